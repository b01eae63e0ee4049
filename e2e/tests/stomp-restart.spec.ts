// A server restart with a STOMP client and a page in one room: both
// reconnect by themselves, the client resumes with after-seq, and nothing
// is lost or repeated.
import { field, messages, msg, online, send } from '../support/chat';
import { test, expect, meet } from '../support/stomp';

test('after a server restart the program and the page reconnect and resume, nothing lost, nothing twice', async ({ server, visitors, peers }) => {
  // The page's reconnection waits a random back-off that doubles with
  // every failed try: generous limits keep an unlucky draw from failing.
  test.setTimeout(150_000);
  // While the server is down the page's reconnect attempts fail: Chromium
  // logs each, and htmx logs the socket's error event.
  visitors.allow(/: WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws\/chat\?room=\d+' failed: .* \[at \S+\/static\/js\/ws\.min\.js\]$/);
  visitors.allow(/: \[object Event\] \[at \S+\/static\/js\/htmx\.min\.js\]$/);
  const { ada, roomId, token } = await meet(server, visitors, 'Restarts');
  const bot = await peers.connect(server.url, { login: 'bea@example.com', passcode: token, reconnect: true });
  await bot.subscribe(roomId);
  await send(ada.page, 'Before the restart');
  await bot.publish(roomId, 'Also before');
  await bot.waitForChats(2);
  await expect(messages(ada.page)).toHaveText([msg('Ada', 'Before the restart'), msg('Bea', 'Also before')]);

  // The program's reconnection is held until Ada has posted after the
  // restart, so that it has something to catch up on.
  bot.hold();
  const closes = bot.closes.length;
  await server.stop();
  const closed = await bot.waitForClose(closes);
  expect(closed.code, 'a restart is 1012 Service Restart').toBe(1012);
  expect(bot.connected).toBe(false);
  await server.restart();

  await field(ada.page).fill('While the program was away');
  await field(ada.page).press('Enter');
  await expect(field(ada.page)).toHaveValue('', { timeout: 70_000 });
  await send(ada.page, 'Still away');
  expect(bot.chats()).toHaveLength(2);

  bot.release();
  await bot.waitForConnection(2, 20_000);
  const caught = await bot.waitForChats(4);
  expect(caught.slice(2).map((c) => [c.seq, c.writer, c.message])).toEqual([
    [3, 'Ada', 'While the program was away'],
    [4, 'Ada', 'Still away'],
  ]);
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);

  // Live again both ways, and each message once.
  await bot.publish(roomId, 'Back from the restart');
  const all = await bot.waitForChats(5);
  expect(all.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
  const order = all.map((c) => msg(c.writer, c.message));
  await expect(messages(ada.page)).toHaveText(order);
  await ada.page.reload();
  await expect(messages(ada.page)).toHaveText(order);
});
