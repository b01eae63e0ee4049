import { test, expect, createRoom, enterRoom, messages, msg, send, uniqueName } from '../support/chat';

test('history survives a reload and "Load older" brings the earlier messages once', async ({ people }, testInfo) => {
  const ann = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'History'));
  await enterRoom(ann.page, room, ann.name);

  // 52 messages through the form (the shared server allows a high rate):
  // a page is 50.
  const bodies = Array.from({ length: 52 }, (_, i) => `Message number ${i + 1}`);
  const all = bodies.map((b) => msg(ann.name, b));
  for (const body of bodies.slice(0, 50)) await send(ann.page, body);

  // Exactly one page of messages: nothing older to load.
  await ann.page.reload();
  await expect(messages(ann.page)).toHaveText(all.slice(0, 50));
  await expect(ann.page.getByRole('button', { name: 'Load older' })).toHaveCount(0);

  for (const body of bodies.slice(50)) await send(ann.page, body);
  await expect(messages(ann.page)).toHaveText(all);

  // Someone arriving later sees the newest 50 and can load the rest.
  const bob = await people.join();
  await enterRoom(bob.page, room, bob.name);
  await expect(messages(bob.page)).toHaveText(all.slice(2));
  const older = bob.page.getByRole('button', { name: 'Load older' });
  await older.click();
  await expect(messages(bob.page)).toHaveText(all);
  await expect(older).toHaveCount(0);

  // A reload shows the newest 50 again, once each.
  await ann.page.reload();
  await expect(messages(ann.page)).toHaveText(all.slice(2));
  await ann.page.getByRole('button', { name: 'Load older' }).click();
  await expect(messages(ann.page)).toHaveText(all);
});
