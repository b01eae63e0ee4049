import { test, expect, createRoom, enterRoom, messages, msg, notice, online, send, uniqueName } from '../support/chat';

test('join and leave notices and the online list update live; two tabs count once', async ({ people }, testInfo) => {
  const ann = await people.join();
  const bob = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'Presence'));
  await enterRoom(ann.page, room, ann.name);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name]);

  // Bob comes in: Ann sees him join, and both see the same list.
  await enterRoom(bob.page, room, bob.name);
  const both = [ann.name, bob.name].sort();
  await expect(notice(ann.page, `${bob.name} joined`)).toHaveCount(1);
  await expect(online(ann.page).getByRole('listitem')).toHaveText(both);
  await expect(online(bob.page).getByRole('listitem')).toHaveText(both);

  // A second tab of Bob's is still one Bob.
  const bobTab = await bob.newTab();
  await bobTab.goto(room);
  // The server answering a message proves this tab's socket is open.
  await send(bobTab, 'Me again, from another tab');
  await expect(messages(ann.page)).toHaveText([msg(bob.name, 'Me again, from another tab')]);
  await expect(online(bobTab).getByRole('listitem')).toHaveText(both);
  await bob.page.close();
  await expect(online(bobTab).getByRole('listitem')).toHaveText(both);

  // His last tab closes: now he has left.
  await bobTab.close();
  await expect(notice(ann.page, `${bob.name} left`)).toHaveCount(1);
  await expect(online(ann.page).getByRole('listitem')).toHaveText([ann.name]);
  // The "left" notice came last, so any notice the extra tab caused by
  // mistake would be in the log by now.
  await expect(notice(ann.page, `${bob.name} joined`)).toHaveCount(1);
  await expect(notice(ann.page, `${bob.name} left`)).toHaveCount(1);

  // Bob comes back and is announced again.
  const again = await bob.newTab();
  await enterRoom(again, room, bob.name);
  await expect(notice(ann.page, `${bob.name} joined`)).toHaveCount(2);
  await expect(online(ann.page).getByRole('listitem')).toHaveText(both);
});
