// STOMP over a plain WebSocket (/ws/stomp) with a client of someone
// else's making, @stomp/stompjs on the `ws` package, in the same room as a
// browser page: both see each other's messages and notices, in one order,
// and a client that reconnects with after-seq misses nothing. Each test
// has a server of its own with accounts: Ada chats in her browser, Bea's
// program connects with an access token (support/stomp.ts).
import { enterRoom, field, messages, msg, notice, online, send } from '../support/chat';
import { test, expect, meet, type RoomEvent } from '../support/stomp';

test('a STOMP client and a page chat both ways; the author is the account, whatever the body says', async ({ server, visitors, peers }) => {
  const { ada, roomId, token } = await meet(server, visitors);
  const bot = await peers.connect(server.url, { login: 'bea@example.com', passcode: token });
  expect(bot.connections[0].headers.version, 'the newest version both speak').toBe('1.2');
  expect(bot.connections[0].headers.server).toMatch(/^hxchat\//);
  await bot.subscribe(roomId);

  // Ada types in her browser; the program receives the tutorial's JSON.
  await send(ada.page, 'Hello from the browser');
  const [first] = await bot.waitForChats(1);
  expect(first).toEqual(
    expect.objectContaining({
      type: 'CHAT',
      chatRoomId: roomId,
      writer: 'Ada',
      message: 'Hello from the browser',
      id: expect.stringMatching(/^\S+$/),
      seq: 1,
      sentAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
    }),
  );
  const headers = bot.received[0].headers;
  expect(headers.destination).toBe(`/subscribe/chat/room/${roomId}`);
  expect(headers.subscription).toBe(`room-${roomId}`);
  expect(headers['message-id']).toBeTruthy();
  expect(headers['content-type']).toMatch(/^application\/json/);

  // The program sends, claiming to be someone else: the page shows Bea,
  // whose token signed in, and so does the program's own copy.
  await bot.publish(roomId, 'Hello from a program', { type: 'CHAT', writer: 'Ada' });
  await expect(messages(ada.page)).toHaveText([msg('Ada', 'Hello from the browser'), msg('Bea', 'Hello from a program')]);
  const chats = await bot.waitForChats(2);
  expect(chats[1]).toEqual(expect.objectContaining({ type: 'CHAT', writer: 'Bea', message: 'Hello from a program', seq: 2 }));
  expect(bot.stompErrors).toEqual([]);

  // What the page holds after a reload is what the store holds.
  await ada.page.reload();
  await expect(messages(ada.page)).toHaveText([msg('Ada', 'Hello from the browser'), msg('Bea', 'Hello from a program')]);
});

test('joins and leaves: the program hears the page come and go, the page shows the program’s person online', async ({ server, visitors, peers }) => {
  const { ada, room, roomId, token } = await meet(server, visitors);
  // Ada's page leaves first, so that the program sees her come.
  await ada.page.goto('/chat/rooms');
  const bot = await peers.connect(server.url, { login: 'bea@example.com', passcode: token });
  await bot.subscribe(roomId);

  const from = bot.received.length;
  await enterRoom(ada.page, room, 'Ada');
  const joined = await bot.waitForEvent({ type: 'JOIN', writer: 'Ada' }, from);
  expect(joined.chatRoomId).toBe(roomId);
  expect(joined.message).toMatch(/^Ada joined\.?$/);
  // The program's subscription makes Bea present, as a page would.
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);

  // Ada's page leaves: the program hears it.
  const before = bot.received.length;
  await ada.page.goto('/chat/rooms');
  const left = await bot.waitForEvent({ type: 'LEAVE', writer: 'Ada' }, before);
  expect(left.message).toMatch(/^Ada left\.?$/);

  // Back again, Ada sees Bea's program go when it disconnects.
  await enterRoom(ada.page, room, 'Ada');
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);
  await bot.disconnect();
  await expect(notice(ada.page, 'Bea left')).toHaveCount(1);
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada']);
});

test('one order for everyone: the seq order the program sees is the order the page shows', async ({ server, visitors, peers }) => {
  const { ada, roomId, token } = await meet(server, visitors);
  const bot = await peers.connect(server.url, { login: 'bea@example.com', passcode: token });
  await bot.subscribe(roomId);

  // Both sides post at once: the program's five SENDs go out without
  // waiting while Ada types five messages, so the two streams interleave
  // however the server stores them.
  const posted = Promise.all([1, 2, 3, 4, 5].map((i) => bot.publish(roomId, `Program ${i}`)));
  for (const i of [1, 2, 3, 4, 5]) await send(ada.page, `Browser ${i}`);
  await posted;

  const chats = await bot.waitForChats(10);
  expect(chats.map((c) => c.seq), 'every message once, numbered without a gap').toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Each side's own messages keep the order they were sent in.
  expect(chats.filter((c) => c.writer === 'Bea').map((c) => c.message)).toEqual([1, 2, 3, 4, 5].map((i) => `Program ${i}`));
  expect(chats.filter((c) => c.writer === 'Ada').map((c) => c.message)).toEqual([1, 2, 3, 4, 5].map((i) => `Browser ${i}`));

  const order = chats.map((c) => msg(c.writer, c.message));
  await expect(messages(ada.page)).toHaveText(order);
  await ada.page.reload();
  await expect(messages(ada.page)).toHaveText(order);
});

test('a program that reconnects with after-seq gets exactly the messages it missed, once, in order', async ({ server, visitors, peers }) => {
  const { ada, roomId, token } = await meet(server, visitors);
  const creds = { login: 'bea@example.com', passcode: token };
  const bot = await peers.connect(server.url, creds);
  await bot.subscribe(roomId);
  // The page shows Bea present before she leaves: a join and a leave
  // within one presence update (250 ms) show neither, as a reload does.
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);
  await send(ada.page, 'Seen before leaving');
  await bot.waitForChats(1);
  const last = bot.lastSeq(roomId);
  expect(last).toBe(1);
  await bot.disconnect();
  await expect(notice(ada.page, 'Bea left')).toHaveCount(1);

  // Ada goes on while the program is away.
  const missed = ['Missed one', 'Missed two', 'Missed three'];
  for (const m of missed) await send(ada.page, m);

  const back = await peers.connect(server.url, creds);
  await back.subscribe(roomId, last);
  const caught = await back.waitForChats(3);
  expect(caught.map((c) => [c.seq, c.writer, c.message])).toEqual([
    [2, 'Ada', 'Missed one'],
    [3, 'Ada', 'Missed two'],
    [4, 'Ada', 'Missed three'],
  ]);

  // Then live messages, and nothing twice: the live one comes after the
  // catch-up, so a repeat would have come before it.
  await send(ada.page, 'Live again');
  const all = await back.waitForChats(4);
  expect(all.map((c) => c.seq)).toEqual([2, 3, 4, 5]);
  expect(all[3]).toEqual(expect.objectContaining({ writer: 'Ada', message: 'Live again' }));
  await back.publish(roomId, 'Thanks, caught up');
  await expect(messages(ada.page).last()).toHaveText(msg('Bea', 'Thanks, caught up'));
  const mine = await back.waitForChats(5);
  expect(mine.map((c: RoomEvent) => c.seq)).toEqual([2, 3, 4, 5, 6]);
  await expect(field(ada.page)).toHaveValue('');
});
