import { test, expect, createRoom, enterRoom, messages, msg, online, send, uniqueName, myName } from '../support/chat';

// A refused form comes back with status 422, which Chromium logs as a
// failed resource load; that is the expected answer here, not an error.
const refusedForm =
  /: Failed to load resource: the server responded with a status of 422 \(Unprocessable Entity\) \[at \S+\/(chat\/rooms|me\/name)\]$/;

test('creating a room: empty and taken names are refused, a good one opens the room', async ({ people }, testInfo) => {
  people.allow(refusedForm);
  const ann = await people.join();
  const page = ann.page;
  const name = page.getByLabel('Room name');
  const create = page.getByRole('button', { name: 'Create room' });

  await name.fill('   ');
  await create.click();
  await expect(page.getByRole('alert')).toHaveText("Room name can't be empty.");
  await expect(name).toHaveValue('   ');
  await expect(page).toHaveURL(/\/chat\/rooms$/);

  const taken = uniqueName(testInfo, 'Taken');
  await createRoom(page, taken);
  await page.goto('/chat/rooms');
  await name.fill(taken);
  await create.click();
  await expect(page.getByRole('alert')).toHaveText(`A room named "${taken}" already exists.`);
  await expect(name).toHaveValue(taken);
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/chat\/rooms$/);

  const fresh = uniqueName(testInfo, 'Fresh');
  await name.fill(fresh);
  await create.click();
  await expect(page.getByRole('heading', { level: 1, name: fresh })).toBeVisible();
  await expect(page).toHaveURL(/\/chat\/rooms\/\d+$/);
  const path = new URL(page.url()).pathname;

  // The list links to it.
  await page.goto('/');
  await expect(page).toHaveURL(/\/chat\/rooms$/);
  await page.getByRole('main').getByRole('link', { name: fresh, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${path}$`));
  await expect(page.getByRole('heading', { level: 1, name: fresh })).toBeVisible();
});

test('an unknown room is a 404 page', async ({ people }) => {
  people.allow(/: Failed to load resource: the server responded with a status of 404 \(Not Found\) \[at \S+\/chat\/rooms\/987654321\]$/);
  const ann = await people.join();
  const res = await ann.page.goto('/chat/rooms/987654321');
  expect(res?.status()).toBe(404);
  await expect(ann.page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
  await ann.page.getByRole('link', { name: 'Back to the rooms' }).click();
  await expect(ann.page.getByRole('heading', { level: 1, name: 'Rooms' })).toBeVisible();
});

test('changing the display name: refused names keep the text, a good one shows on new messages', async ({ people }, testInfo) => {
  people.allow(refusedForm);
  const ann = await people.join();
  const bob = await people.join();
  const page = ann.page;
  const displayName = page.getByLabel('Display name');
  const save = page.getByRole('button', { name: 'Save name' });
  await expect(displayName).toHaveValue(ann.name);

  // On the room list.
  await displayName.fill('   ');
  await save.click();
  await expect(page.getByRole('alert')).toHaveText("Display name can't be empty.");
  await expect(displayName).toHaveValue('   ');
  await expect(displayName).toHaveAttribute('aria-invalid', 'true');
  // The field takes at most 40 characters, the server's limit.
  await displayName.fill('N'.repeat(41));
  await expect(displayName).toHaveValue('N'.repeat(40));

  const first = `Ann ${testInfo.workerIndex}${Date.now() % 100000}`;
  await displayName.fill(first);
  await save.click();
  await expect(page.getByRole('status')).toContainText('Saved');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByRole('banner')).toContainText(`You are ${first}`);
  await page.reload();
  expect(await myName(page)).toBe(first);

  // In a room, the form sits in "Change your name".
  const room = await createRoom(bob.page, uniqueName(testInfo, 'Names'));
  await enterRoom(page, room, first);
  await enterRoom(bob.page, room, bob.name);
  await send(page, 'Before the change');
  await page.getByText('Change your name').click();
  await displayName.fill('');
  await save.click();
  await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toHaveText("Display name can't be empty.");

  const second = `${first} B`;
  await displayName.fill(second);
  await save.click();
  await expect(page.getByRole('status')).toContainText('Saved');
  await expect(page.getByRole('banner')).toContainText(`You are ${second}`);
  await send(page, 'After the change');

  const expected = [msg(first, 'Before the change'), msg(second, 'After the change')];
  await expect(messages(bob.page)).toHaveText(expected);
  await expect(messages(page)).toHaveText(expected);
  // After a reload the list of people online uses the new name too.
  await page.reload();
  await expect(messages(page)).toHaveText(expected);
  await expect(online(bob.page).getByText(second, { exact: true })).toBeVisible();
});
