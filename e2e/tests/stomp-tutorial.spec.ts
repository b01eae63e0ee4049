// The tutorial's own chat page (fixtures/tutorial.html: sockjs-client and a
// STOMP client on /stomp-chat), served from another origin, which hxchat
// names in -origins, chats with an hxchat page in Chromium.
import { OwnServer } from '../support/server';
import { messages, msg, online, send, enterRoom } from '../support/chat';
import { test as base, expect, meet, TutorialSite } from '../support/stomp';

const test = base.extend<{ site: TutorialSite }>({
  site: async ({}, use) => {
    const site = await TutorialSite.start();
    await use(site);
    await site.close();
  },
  // The test's own server with accounts, trusting the site's origin.
  server: async ({ site }, use, testInfo) => {
    const server = await OwnServer.start(testInfo, { accounts: true, args: ['-origins', site.origin] });
    await use(server);
    await server.stop();
  },
});

test('the tutorial’s page, from another origin, chats with an hxchat page both ways', async ({ server, visitors, site }) => {
  const { ada, room, roomId, token } = await meet(server, visitors);

  // Bea opens the tutorial's page, served by another origin, and connects
  // with her email and token.
  const tutorial = await visitors.open(site.origin);
  const page = tutorial.page;
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(`/tutorial.html?server=${encodeURIComponent(server.url)}&room=${roomId}`);
  await expect(page.getByLabel('Server')).toHaveValue(server.url);
  await page.getByLabel('Email').fill('bea@example.com');
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('status')).toHaveText('Connected as Bea.');
  // SockJS chose its first transport, a websocket of hxchat's.
  expect(sockets).toEqual([expect.stringMatching(new RegExp(`^${server.url.replace(/^http/, 'ws')}/stomp-chat/[^/]+/[^/]+/websocket$`))]);
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);

  const log = page.getByRole('log', { name: 'Chat log' }).getByRole('listitem');
  // Its own subscription is announced first, as in the tutorial.
  await expect(log).toHaveText([/^Bea joined\.?$/]);
  await send(ada.page, 'Hello, tutorial page');
  await expect(log).toHaveText([/^Bea joined\.?$/, 'Ada: Hello, tutorial page']);

  // The page sends the tutorial's JSON, writer and all: hxchat names Bea.
  await page.getByLabel('Message', { exact: true }).fill('Hello from the tutorial');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByLabel('Message', { exact: true })).toHaveValue('');
  await expect(messages(ada.page)).toHaveText([msg('Ada', 'Hello, tutorial page'), msg('Bea', 'Hello from the tutorial')]);
  await expect(log).toHaveText([/^Bea joined\.?$/, 'Ada: Hello, tutorial page', 'Bea: Hello from the tutorial']);

  // Notices reach it as the tutorial's JOIN and LEAVE messages.
  await ada.page.goto('/chat/rooms');
  await expect(log.last()).toHaveText(/^Ada left\.?$/);
  await enterRoom(ada.page, room, 'Ada');
  await expect(log.last()).toHaveText(/^Ada joined\.?$/);
  await send(ada.page, 'Back');
  await expect(log.last()).toHaveText('Ada: Back');
});
