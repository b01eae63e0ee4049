// Compatibility mode: a room page whose websocket does not get through
// offers, after 4 s, to switch to the same fragments over server-sent
// events, with messages sent by POST. A page in that mode chats with the
// pages on websockets and with STOMP clients in one order, keeps the
// choice for the browser, shows refusals as the websocket page does, and
// catches up after a server restart.
import { axeViolations } from '../support/axe';
import {
  blockLiveSocket,
  compatNote,
  expectCompatMode,
  expectLiveMode,
  liveHint,
  pageAge,
  switchToLive,
} from '../support/compat';
import {
  test as openTest,
  createRoom,
  enterRoom,
  field,
  messages,
  msg,
  notice,
  online,
  send,
  sendAlert,
  uniqueName,
} from '../support/chat';
import { invite, join } from '../support/accounts';
import { test as stompTest, expect, meet } from '../support/stomp';

// A refused send comes back with 422, which Chromium logs as a failed
// load of the POST; that is the expected answer here, not an error.
const refusedSend = /: Failed to load resource: the server responded with a status of 422 \(Unprocessable Entity\) \[at \S+\/chat\/rooms\/\d+\/messages\]$/;

openTest('after 4 s a page whose websocket is blocked offers compatibility mode, a live page does not; the link opens it', async ({ people }, testInfo) => {
  const ann = await people.join();
  const bob = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'Hint'));
  await enterRoom(ann.page, room, ann.name);
  await expectLiveMode(ann.page, room);

  // Bob's network lets no websocket through: his page shows the room,
  // tries its socket in vain, and 4 s after it loads offers
  // compatibility mode.
  const attempts = await blockLiveSocket(bob.page);
  await bob.page.goto(room);
  await expect(bob.page.getByRole('heading', { level: 1, name: /^Hint / })).toBeVisible();
  await expect(liveHint(bob.page)).toBeVisible();
  expect(await pageAge(bob.page), 'the hint waits 4 s for the socket').toBeGreaterThanOrEqual(4_000);
  expect(attempts(), 'the page tried its websocket').toBeGreaterThan(0);
  await expect(online(bob.page).getByRole('listitem'), 'a page whose socket never opened is not online').toHaveText([ann.name]);

  // Ann's page, opened before Bob's, has been open longer than 4 s by
  // now: its socket opened, so it shows no hint.
  expect(await pageAge(ann.page)).toBeGreaterThan(4_000);
  await expect(liveHint(ann.page)).toBeHidden();
  await expect(ann.page.getByText('Live updates are not getting through')).toHaveCount(0);

  // Bob follows the hint: the room in compatibility mode, live over the
  // event stream, with no websocket tried.
  const sockets: string[] = [];
  bob.page.on('websocket', (ws) => sockets.push(ws.url()));
  await liveHint(bob.page).click();
  await expect(bob.page).toHaveURL(new RegExp(`${room}\\?transport=sse$`));
  await expectCompatMode(bob.page, room);
  await expect(online(bob.page).getByRole('listitem')).toHaveText([ann.name, bob.name].sort());
  await expect(notice(ann.page, `${bob.name} joined`)).toHaveCount(1);
  await send(bob.page, 'Through at last');
  await send(ann.page, 'Welcome');
  const both = [msg(bob.name, 'Through at last'), msg(ann.name, 'Welcome')];
  await expect(messages(bob.page)).toHaveText(both);
  await expect(messages(ann.page)).toHaveText(both);
  await expect(liveHint(ann.page)).toBeHidden();
  expect(sockets, 'compatibility mode opens no websocket').toEqual([]);
});

stompTest('a page in compatibility mode, its websocket blocked, chats with a live page and a STOMP client in one order', async ({ server, visitors, peers }) => {
  const { ada, room, roomId, token } = await meet(server, visitors, 'Compatibility');
  const cy = await join(visitors, await invite(ada.page), 'Cy');
  await enterRoom(ada.page, room, 'Ada');

  // Cy's network lets no websocket through; her page in compatibility
  // mode needs none.
  const attempts = await blockLiveSocket(cy.page);
  const sockets: string[] = [];
  cy.page.on('websocket', (ws) => sockets.push(ws.url()));
  await cy.page.goto(`${room}?transport=sse`);
  await expectCompatMode(cy.page, room);
  // Over the event stream Cy is online, for herself and for Ada.
  await expect(online(cy.page).getByRole('listitem')).toHaveText(['Ada', 'Cy']);
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Cy']);
  await expect(notice(ada.page, 'Cy joined')).toHaveCount(1);

  // Bea's program comes in: the compatibility page sees her join.
  const bot = await peers.connect(server.url, { login: 'bea@example.com', passcode: token });
  await bot.subscribe(roomId);
  await expect(notice(cy.page, 'Bea joined')).toHaveCount(1);
  await expect(online(cy.page).getByRole('listitem')).toHaveText(['Ada', 'Bea', 'Cy']);
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea', 'Cy']);

  // All three post at once, so that the streams interleave however the
  // server stores them: the program's SENDs go out without waiting while
  // Ada and Cy each type theirs.
  const n = [1, 2, 3];
  const published = Promise.all(n.map((i) => bot.publish(roomId, `Program ${i}`)));
  await Promise.all([
    (async () => {
      for (const i of n) await send(ada.page, `Live page ${i}`);
    })(),
    (async () => {
      for (const i of n) await send(cy.page, `Compatible page ${i}`);
    })(),
  ]);
  await published;

  const chats = await bot.waitForChats(9);
  expect(chats.map((c) => c.seq), 'every message once, numbered without a gap').toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(chats.filter((c) => c.writer === 'Ada').map((c) => c.message)).toEqual(n.map((i) => `Live page ${i}`));
  expect(chats.filter((c) => c.writer === 'Bea').map((c) => c.message)).toEqual(n.map((i) => `Program ${i}`));
  expect(chats.filter((c) => c.writer === 'Cy').map((c) => c.message)).toEqual(n.map((i) => `Compatible page ${i}`));
  const order = chats.map((c) => msg(c.writer, c.message));
  await expect(messages(cy.page)).toHaveText(order);
  await expect(messages(ada.page)).toHaveText(order);
  await expect(sendAlert(cy.page)).toHaveText('');
  expect(sockets, 'compatibility mode opens no websocket').toEqual([]);
  expect(attempts(), 'nor tries one').toBe(0);

  // The program leaves: the compatibility page sees that too.
  await bot.disconnect();
  await expect(notice(cy.page, 'Bea left')).toHaveCount(1);
  await expect(online(cy.page).getByRole('listitem')).toHaveText(['Ada', 'Cy']);

  // A reload keeps the mode and shows what the store holds.
  await cy.page.reload();
  await expectCompatMode(cy.page, room);
  await expect(messages(cy.page)).toHaveText(order);
});

openTest('compatibility mode sticks to the browser until "Switch to live mode"', async ({ people }, testInfo) => {
  const ann = await people.join();
  const bob = await people.join();
  const kitchen = await createRoom(ann.page, uniqueName(testInfo, 'Kitchen'));
  const garden = await createRoom(ann.page, uniqueName(testInfo, 'Garden'));
  await enterRoom(bob.page, kitchen, bob.name);
  const sockets: string[] = [];
  ann.page.on('websocket', (ws) => sockets.push(new URL(ws.url()).pathname + new URL(ws.url()).search));

  await ann.page.goto(`${kitchen}?transport=sse`);
  await expectCompatMode(ann.page, kitchen);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name, bob.name].sort());

  // Another room, and the same one without ?transport: still
  // compatibility mode, and live over the event stream.
  await ann.page.goto(garden);
  await expectCompatMode(ann.page, garden);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name]);
  await ann.page.goto(kitchen);
  await expectCompatMode(ann.page, kitchen);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name, bob.name].sort());
  await send(bob.page, 'From the websocket');
  await expect(messages(ann.page)).toHaveText([msg(bob.name, 'From the websocket')]);
  await send(ann.page, 'From the event stream');
  const both = [msg(bob.name, 'From the websocket'), msg(ann.name, 'From the event stream')];
  await expect(messages(bob.page)).toHaveText(both);
  await expect(messages(ann.page)).toHaveText(both);
  expect(sockets, 'compatibility mode opens no websocket').toEqual([]);

  // Back to live mode: the websocket, here and in every room.
  const opened = ann.page.waitForEvent('websocket');
  await switchToLive(ann.page).click();
  await expect(ann.page).toHaveURL(new RegExp(`${kitchen}\\?transport=ws$`));
  expect(new URL((await opened).url()).pathname).toBe('/ws/chat');
  await expectLiveMode(ann.page, kitchen);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name, bob.name].sort());
  await expect(liveHint(ann.page)).toBeHidden();
  await send(bob.page, 'Live again');
  await expect(messages(ann.page)).toHaveText([...both, msg(bob.name, 'Live again')]);

  await ann.page.goto(garden);
  await expectLiveMode(ann.page, garden);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name]);
  expect(sockets.filter((s) => s.startsWith('/ws/chat?'))).toHaveLength(2);
});

openTest('in compatibility mode a refused send shows the alert and keeps the text', async ({ people }, testInfo) => {
  people.allow(refusedSend);
  const ann = await people.join();
  const bob = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'Refusals'));
  await enterRoom(bob.page, room, bob.name);
  await ann.page.goto(`${room}?transport=sse`);
  await expectCompatMode(ann.page, room);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name, bob.name].sort());

  // Nothing but spaces: refused, and the spaces stay.
  const f = field(ann.page);
  await f.fill('   ');
  await f.press('Enter');
  await expect(sendAlert(ann.page)).toHaveText('Type a message before sending.');
  await expect(f).toHaveValue('   ');

  // One character over the limit: refused, and the text stays to be shortened.
  const tooLong = 'x'.repeat(1999) + 'yz';
  await f.fill(tooLong);
  await ann.page.getByRole('button', { name: 'Send' }).click();
  await expect(sendAlert(ann.page)).toHaveText('That message is 2001 characters long; the limit is 2000.');
  await expect(f).toHaveValue(tooLong);

  // Shortened, it goes, and the alert goes with it.
  await f.press('End');
  await f.press('Backspace');
  await f.press('Enter');
  await expect(f).toHaveValue('');
  await expect(sendAlert(ann.page)).toHaveText('');
  const shown = [msg(ann.name, 'x'.repeat(1999) + 'y')];
  await expect(messages(ann.page)).toHaveText(shown);
  await expect(messages(bob.page)).toHaveText(shown);

  // Nothing refused was stored.
  await ann.page.reload();
  await expect(messages(ann.page)).toHaveText(shown);
  await bob.page.reload();
  await expect(messages(bob.page)).toHaveText(shown);
});

stompTest('after a server restart a page in compatibility mode catches up on what it missed, each message once', async ({ server, visitors, peers }) => {
  // The page's event stream comes back after the stream's retry time (1
  // to 5 s) or htmx's back-off, which doubles with every failed try:
  // generous limits keep an unlucky run from failing.
  stompTest.setTimeout(150_000);
  // While the server is down or the page offline, the page's attempts to
  // reopen its stream fail: Chromium logs each, and htmx logs the
  // stream's error event.
  visitors.allow(/: Failed to load resource: net::ERR_(CONNECTION_REFUSED|INTERNET_DISCONNECTED|EMPTY_RESPONSE|CONNECTION_RESET) \[at \S+\/sse\/chat\?room=\d+\]$/);
  visitors.allow(/: \[object Event\] \[at \S+\/static\/js\/htmx\.min\.js\]$/);
  const { ada, room, roomId, token } = await meet(server, visitors, 'Restarts');
  await ada.page.goto(`${room}?transport=sse`);
  await expectCompatMode(ada.page, room);
  const bot = await peers.connect(server.url, { login: 'bea@example.com', passcode: token, reconnect: true });
  await bot.subscribe(roomId);
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);

  await send(ada.page, 'Before the restart');
  await bot.publish(roomId, 'Also before');
  await bot.waitForChats(2);
  const before = [msg('Ada', 'Before the restart'), msg('Bea', 'Also before')];
  await expect(messages(ada.page)).toHaveText(before);

  // Ada's network goes as the server restarts, so that her page stays
  // away while the program comes back and posts.
  await ada.context.setOffline(true);
  const closes = bot.closes.length;
  await server.stop();
  await bot.waitForClose(closes);
  await server.restart();
  await bot.waitForConnection(2, 20_000);
  const missed = ['Missed one', 'Missed two', 'Missed three'];
  for (const m of missed) await bot.publish(roomId, m);
  await bot.waitForChats(5);
  await expect(messages(ada.page)).toHaveText(before);

  // Back online, the page reopens its stream and gets what it missed.
  await ada.context.setOffline(false);
  const caughtUp = [...before, ...missed.map((m) => msg('Bea', m))];
  await expect(messages(ada.page)).toHaveText(caughtUp, { timeout: 70_000 });
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);

  // Live again both ways, each message once.
  await send(ada.page, 'Back from the restart');
  await bot.publish(roomId, 'Welcome back');
  const all = await bot.waitForChats(7);
  expect(all.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  const order = all.map((c) => msg(c.writer, c.message));
  await expect(messages(ada.page)).toHaveText(order);
  await ada.page.reload();
  await expectCompatMode(ada.page, room);
  await expect(messages(ada.page)).toHaveText(order);
});

openTest('axe finds no violations on a room page in compatibility mode, light and dark', async ({ people }, testInfo) => {
  people.allow(refusedSend);
  const ann = await people.join();
  const bob = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'Axe compat'));
  await enterRoom(bob.page, room, bob.name);
  await ann.page.goto(`${room}?transport=sse`);
  await expectCompatMode(ann.page, room);
  await send(ann.page, 'Can everyone read this?');
  await send(bob.page, 'Loud and clear.');
  await expect(messages(ann.page)).toHaveCount(2);
  // A refused send shows its alert; open the name form too, so that axe
  // sees every part of the page.
  await field(ann.page).press('Enter');
  await expect(sendAlert(ann.page)).toHaveText('Type a message before sending.');
  await ann.page.getByText('Change your name').click();
  await expect(ann.page.getByLabel('Display name')).toBeVisible();
  await expect(compatNote(ann.page)).toBeVisible();

  for (const colorScheme of ['light', 'dark'] as const) {
    await ann.page.emulateMedia({ colorScheme });
    // Soft, so that one run reports both schemes.
    expect.soft(await axeViolations(ann.page), `room page in compatibility mode, ${colorScheme}`).toEqual([]);
  }
});
