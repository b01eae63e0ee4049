import { test, expect, createRoom, enterRoom, field, messages, notice, msg, send, uniqueName, sendAlert, online } from '../support/chat';

test('two people see each other’s messages live, in the same order', async ({ people }, testInfo) => {
  const ann = await people.join();
  const bob = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'Live'));
  await enterRoom(ann.page, room, ann.name);
  await enterRoom(bob.page, room, bob.name);

  await send(ann.page, 'Hello from Ann');
  await expect(field(ann.page), 'focus stays in the field after sending').toBeFocused();
  await expect(messages(bob.page)).toHaveText([msg(ann.name, 'Hello from Ann')]);

  await send(bob.page, 'Hi Ann, Bob here');
  await expect(field(bob.page)).toBeFocused();
  await send(ann.page, 'Nice to see you');
  await send(bob.page, 'Likewise');

  const conversation = [
    msg(ann.name, 'Hello from Ann'),
    msg(bob.name, 'Hi Ann, Bob here'),
    msg(ann.name, 'Nice to see you'),
    msg(bob.name, 'Likewise'),
  ];
  await expect(messages(ann.page)).toHaveText(conversation);
  await expect(messages(bob.page)).toHaveText(conversation);

  // Every message carries a machine-readable time.
  await expect(messages(bob.page).first().locator('time')).toHaveAttribute(
    'datetime',
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
  );
  await expect(sendAlert(ann.page)).toHaveText('');
  await expect(sendAlert(bob.page)).toHaveText('');
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name, bob.name].sort());
  expect(people.unexpected(), 'no console errors or CSP violations').toEqual([]);
});

test('rooms are isolated from each other', async ({ people }, testInfo) => {
  const ann = await people.join();
  const bob = await people.join();
  const kitchen = await createRoom(ann.page, uniqueName(testInfo, 'Kitchen'));
  const garden = await createRoom(bob.page, uniqueName(testInfo, 'Garden'));
  await enterRoom(ann.page, kitchen, ann.name);
  await enterRoom(bob.page, garden, bob.name);

  await send(ann.page, 'Only for the kitchen');
  await expect(messages(ann.page)).toHaveText([msg(ann.name, 'Only for the kitchen')]);
  // Bob's own message reaches him after Ann's was delivered to the
  // kitchen, so a leak would have shown by then.
  await send(bob.page, 'Only for the garden');
  await expect(messages(bob.page)).toHaveText([msg(bob.name, 'Only for the garden')]);
  await expect(messages(ann.page)).toHaveText([msg(ann.name, 'Only for the kitchen')]);

  // Presence is per room too.
  await expect(online(bob.page).getByRole('listitem')).toHaveText([bob.name]);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name]);
  await expect(notice(ann.page, `${bob.name} joined`)).toHaveCount(0);
  await expect(notice(bob.page, `${ann.name} joined`)).toHaveCount(0);

  // And so is the history.
  await bob.page.reload();
  await expect(messages(bob.page)).toHaveText([msg(bob.name, 'Only for the garden')]);
  await ann.page.reload();
  await expect(messages(ann.page)).toHaveText([msg(ann.name, 'Only for the kitchen')]);
});
