// Who may use STOMP, end to end: on a server with accounts a CONNECT needs
// an email and a token (or the token as a bearer on the handshake), a
// revoked token ends its connections at once, and a private room is
// closed to people who are not its members.
import { enterRoom, messages, msg, notice, online } from '../support/chat';
import { createPrivateRoom } from '../support/accounts';
import { test, expect, meet, revokeToken, roomIdOf, describeFrame } from '../support/stomp';

test('a CONNECT without credentials gets an ERROR and the connection closes', async ({ server, visitors, peers }) => {
  await meet(server, visitors);
  const anon = peers.make(server.url);
  await expect(anon.connect()).rejects.toThrow(/ERROR instead of CONNECTED/);
  expect(anon.stompErrors[0].headers.message, describeFrame(anon.stompErrors[0])).toMatch(/authentication required/i);
  await anon.waitForClose();
  expect(anon.connections).toEqual([]);
});

test('a wrong token gets an ERROR and the connection closes; the right one as a bearer signs in', async ({ server, visitors, peers }) => {
  const { ada, roomId, token } = await meet(server, visitors);
  const wrong = peers.make(server.url, { login: 'bea@example.com', passcode: token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA') });
  await expect(wrong.connect()).rejects.toThrow(/ERROR instead of CONNECTED/);
  expect(wrong.stompErrors[0].headers.message, describeFrame(wrong.stompErrors[0])).toMatch(/authentication failed/i);
  await wrong.waitForClose();

  // Someone else's email with Bea's token is wrong too.
  const mismatched = peers.make(server.url, { login: 'ada@example.com', passcode: token });
  await expect(mismatched.connect()).rejects.toThrow(/ERROR instead of CONNECTED/);
  await mismatched.waitForClose();

  // The token as a bearer on the handshake: no login needed.
  const bearer = await peers.connect(server.url, { bearer: token });
  expect(bearer.connections[0].headers['user-name']).toBe('Bea');
  await bearer.subscribe(roomId);
  await bearer.publish(roomId, 'Signed in with a bearer token');
  await expect(messages(ada.page)).toHaveText([msg('Bea', 'Signed in with a bearer token')]);
});

test('revoking a token on /account/tokens closes its connections at once, subscribed or not', async ({ server, visitors, peers }) => {
  const { ada, bea, roomId, token } = await meet(server, visitors);
  const creds = { login: bea.email, passcode: token };
  const bot = await peers.connect(server.url, creds);
  await bot.subscribe(roomId);
  // A second connection of the token's, subscribed to nothing.
  const idle = await peers.connect(server.url, creds);
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);

  await revokeToken(bea.page, 'Chat bot');
  // At once, both of them: well within one heart-beat interval (10 s).
  for (const peer of [bot, idle]) {
    const closed = await peer.waitForClose(0, 5_000);
    expect(closed.code, JSON.stringify(closed)).not.toBe(1000);
    expect(peer.stompErrors.map((f) => f.headers.message), 'the ERROR before the close').toEqual(['signed out']);
  }
  await expect(notice(ada.page, 'Bea left')).toHaveCount(1);
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada']);

  // And it does not sign in again.
  const again = peers.make(server.url, creds);
  await expect(again.connect()).rejects.toThrow(/ERROR instead of CONNECTED/);
  await again.waitForClose();
});

test('a private room: a SUBSCRIBE by someone not a member is an ERROR and closes', async ({ server, visitors, peers }) => {
  const { ada, token } = await meet(server, visitors);
  const secret = roomIdOf(await createPrivateRoom(ada.page, 'Only Ada'));
  const bot = await peers.connect(server.url, { login: 'bea@example.com', passcode: token });
  await expect(bot.subscribe(secret)).rejects.toThrow(/ERROR instead of a RECEIPT/);
  expect(bot.stompErrors[0].headers.message, describeFrame(bot.stompErrors[0])).toMatch(/no such room/);
  await bot.waitForClose();
  expect(bot.received).toEqual([]);
});

test('a private room: a SEND by someone not a member is refused on /user/queue/errors and the connection stays up', async ({ server, visitors, peers }) => {
  const { ada, roomId, token } = await meet(server, visitors);
  const privatePath = await createPrivateRoom(ada.page, 'Only Ada');
  const secret = roomIdOf(privatePath);
  await enterRoom(ada.page, privatePath, 'Ada');

  const bot = await peers.connect(server.url, { login: 'bea@example.com', passcode: token });
  await bot.subscribeRefusals();
  await bot.subscribe(roomId);
  await bot.publish(secret, 'Let me in');
  const refusal = await bot.waitForRefusal();
  expect(refusal).toEqual(expect.objectContaining({ type: 'ERROR', reason: 'no_room', chatRoomId: secret }));
  expect(typeof refusal.message).toBe('string');

  // Nothing reached the private room, and the connection is up: the
  // next SEND, to the open room, arrives.
  expect(bot.stompErrors).toEqual([]);
  expect(bot.closes).toEqual([]);
  await bot.publish(roomId, 'Still here');
  await bot.waitForEvent({ type: 'CHAT', message: 'Still here', writer: 'Bea' });
  await expect(messages(ada.page)).toHaveCount(0);
  await enterRoom(ada.page, `/chat/rooms/${roomId}`, 'Ada');
  await expect(messages(ada.page)).toHaveText([msg('Bea', 'Still here')]);
});
