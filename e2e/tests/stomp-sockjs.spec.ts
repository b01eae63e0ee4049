// STOMP through SockJS (/stomp-chat) with the clients the tutorial's pages
// use, sockjs-client driving @stomp/stompjs, here in the test process and
// held to one transport at a time: each of websocket, xhr-streaming and
// xhr-polling carries messages both ways with a browser page in the room.
import { messages, msg, online, send } from '../support/chat';
import { test, expect, meet, sockJSTransports } from '../support/stomp';

for (const transport of sockJSTransports) {
  test(`SockJS over ${transport}: a program and a page chat both ways`, async ({ server, visitors, peers }) => {
    const { ada, roomId, token } = await meet(server, visitors);
    const bot = await peers.connect(server.url, { transport, login: 'bea@example.com', passcode: token });
    expect(bot.sockJSTransport, 'the transport sockjs-client settled on').toBe(transport);
    expect(bot.connections[0].headers['user-name']).toBe('Bea');
    await bot.subscribe(roomId);
    await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);

    await send(ada.page, `Hello over ${transport}`);
    const [first] = await bot.waitForChats(1);
    expect(first).toEqual(expect.objectContaining({ type: 'CHAT', chatRoomId: roomId, writer: 'Ada', message: `Hello over ${transport}`, seq: 1 }));

    await bot.publish(roomId, `Answer over ${transport}`, { type: 'CHAT', writer: 'Ada' });
    await bot.publish(roomId, 'And a second one');
    await send(ada.page, 'Got both');
    const chats = await bot.waitForChats(4);
    expect(chats.map((c) => [c.seq, c.writer, c.message])).toEqual([
      [1, 'Ada', `Hello over ${transport}`],
      [2, 'Bea', `Answer over ${transport}`],
      [3, 'Bea', 'And a second one'],
      [4, 'Ada', 'Got both'],
    ]);
    await expect(messages(ada.page)).toHaveText(chats.map((c) => msg(c.writer, c.message)));
    expect(bot.stompErrors).toEqual([]);

    // Leaving through SockJS takes Bea off the page's online list.
    await bot.disconnect();
    await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada']);
  });
}
