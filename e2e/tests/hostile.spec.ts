import { OwnServer } from '../support/server';
import { test, expect, createRoom, enterRoom, field, log, messages, msg, send, sendAlert, uniqueName } from '../support/chat';

test('markup is shown as text; empty and over-long messages are refused and kept in the field', async ({ people }, testInfo) => {
  const ann = await people.join();
  const bob = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'Hostile'));
  await enterRoom(ann.page, room, ann.name);
  await enterRoom(bob.page, room, bob.name);

  // Markup arrives as the very characters typed, for sender and reader.
  const img = '<img src=x onerror=alert(document.cookie)>';
  const script = '<script>alert("pwned")</script>';
  const entities = 'Tom &amp; Jerry &lt;b&gt; "quotes" \'apostrophes\'';
  await send(ann.page, img);
  await send(ann.page, script);
  await send(ann.page, entities);
  const shown = [msg(ann.name, img), msg(ann.name, script), msg(ann.name, entities)];
  for (const page of [ann.page, bob.page]) {
    await expect(messages(page)).toHaveText(shown);
    await expect(log(page).locator('img, script, b')).toHaveCount(0);
  }

  // An empty message is refused with an alert; so is whitespace alone.
  const f = field(ann.page);
  await f.fill('');
  await f.press('Enter');
  await expect(sendAlert(ann.page)).toHaveText('Type a message before sending.');
  await f.fill('   ');
  await ann.page.getByRole('button', { name: 'Send' }).click();
  await expect(sendAlert(ann.page)).toHaveText('Type a message before sending.');
  await expect(f).toHaveValue('   ');

  // One character over the limit: refused, and the text stays to be shortened.
  const tooLong = 'x'.repeat(1999) + 'yz';
  await f.fill(tooLong);
  await f.press('Enter');
  await expect(sendAlert(ann.page)).toHaveText('That message is 2001 characters long; the limit is 2000.');
  await expect(f).toHaveValue(tooLong);

  // Characters, not bytes, count: 2,001 four-byte characters are refused
  // the same way (and do not break the connection).
  const emoji = '🙂'.repeat(2001);
  await f.fill(emoji);
  await f.press('Enter');
  await expect(sendAlert(ann.page)).toHaveText('That message is 2001 characters long; the limit is 2000.');
  await expect(f).toHaveValue(emoji);

  // Exactly at the limit is fine, and clears the alert.
  const atLimit = '🙂'.repeat(2000);
  await send(ann.page, atLimit);
  await expect(sendAlert(ann.page)).toHaveText('');
  await expect(messages(bob.page)).toHaveText([...shown, msg(ann.name, atLimit)]);

  // Nothing refused reached anyone, even after a reload.
  await bob.page.reload();
  await expect(messages(bob.page)).toHaveText([...shown, msg(ann.name, atLimit)]);
  await expect(sendAlert(bob.page)).toHaveText('');
});

test('sending too fast is refused with an alert and the text stays', async ({ people }, testInfo) => {
  // The default limit (burst 10, 5 a second) on a server of this test's
  // own would make the test slow; a burst of 3 and a trickle after it
  // shows the same behaviour.
  const server = await OwnServer.start(testInfo, { args: ['-msg-burst', '3', '-msg-rate', '0.05'] });
  try {
    const ann = await people.join({ baseURL: server.url });
    const room = await createRoom(ann.page, 'Slow down');
    await enterRoom(ann.page, room, ann.name);
    for (const body of ['one', 'two', 'three']) await send(ann.page, body);
    const f = field(ann.page);
    await f.fill('four');
    await f.press('Enter');
    await expect(sendAlert(ann.page)).toHaveText('You are sending too fast. Wait a moment and send again.');
    await expect(f).toHaveValue('four');
    await expect(messages(ann.page)).toHaveText(['one', 'two', 'three'].map((b) => msg(ann.name, b)));
  } finally {
    // Pages first: a page whose server goes away reconnects, and its
    // failed attempts would be logged as errors.
    await people.close();
    await server.stop();
  }
});
