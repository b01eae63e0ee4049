import { OwnServer } from '../support/server';
import { test, expect, createRoom, enterRoom, field, messages, msg, online, send } from '../support/chat';

test('after a server restart every page reconnects and catches up, each message once', async ({ people }, testInfo) => {
  // Reconnecting waits a random back-off that doubles with every failed
  // try, up to 64 s: generous limits keep an unlucky draw from failing.
  test.setTimeout(150_000);
  const server = await OwnServer.start(testInfo);
  // While the server is down the pages' reconnect attempts fail: Chromium
  // logs each failed attempt, and htmx logs the socket's error event (as
  // the string "[object Event]").
  people.allow(/: WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws\/chat\?room=\d+' failed: .* \[at \S+\/static\/js\/ws\.min\.js\]$/);
  people.allow(/: \[object Event\] \[at \S+\/static\/js\/htmx\.min\.js\]$/);
  try {
    const ann = await people.join({ baseURL: server.url });
    const bob = await people.join({ baseURL: server.url });
    const room = await createRoom(ann.page, 'Restarts');
    await enterRoom(ann.page, room, ann.name);
    await enterRoom(bob.page, room, bob.name);
    await send(ann.page, 'Before the restart');
    await expect(messages(bob.page)).toHaveText([msg(ann.name, 'Before the restart')]);

    // Ann loses her network just as the server restarts, so she stays
    // away while Bob comes back.
    await ann.context.setOffline(true);
    await server.stop();
    await server.restart();

    // Bob's page reconnects by itself; his message goes out once it has.
    await field(bob.page).fill('Posted while Ann was away');
    await field(bob.page).press('Enter');
    await expect(field(bob.page)).toHaveValue('', { timeout: 70_000 });
    await expect(messages(bob.page)).toHaveText([
      msg(ann.name, 'Before the restart'),
      msg(bob.name, 'Posted while Ann was away'),
    ]);
    await expect(messages(ann.page)).toHaveText([msg(ann.name, 'Before the restart')]);

    // Ann types while disconnected: the extension holds the message and
    // sends it when the socket opens again.
    await field(ann.page).fill('Sent while offline');
    await field(ann.page).press('Enter');
    await ann.context.setOffline(false);

    const all = [
      msg(ann.name, 'Before the restart'),
      msg(bob.name, 'Posted while Ann was away'),
      msg(ann.name, 'Sent while offline'),
    ];
    // Usually back within a few seconds; see the back-off above.
    await expect(messages(ann.page)).toHaveText(all, { timeout: 70_000 });
    await expect(field(ann.page)).toHaveValue('');
    await expect(messages(bob.page)).toHaveText(all);
    await expect(online(bob.page).getByRole('listitem')).toHaveText([ann.name, bob.name].sort());

    // And that is what the database holds.
    await ann.page.reload();
    await expect(messages(ann.page)).toHaveText(all);
  } finally {
    await server.stop();
  }
});
