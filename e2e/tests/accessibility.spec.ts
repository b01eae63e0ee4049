import type { Locator, Page } from '@playwright/test';
import { axeViolations } from '../support/axe';
import { test, expect, createRoom, enterRoom, field, log, messages, msg, send, sendAlert, uniqueName } from '../support/chat';

/** tabTo presses Tab until target has the focus, as a keyboard user would. */
async function tabTo(page: Page, target: Locator, max = 200): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${target} not reached with ${max} presses of Tab`);
}

test('axe finds no violations on the room list and the room page, light and dark', async ({ people }, testInfo) => {
  const ann = await people.join();
  const bob = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'Axe'));
  await enterRoom(ann.page, room, ann.name);
  await enterRoom(bob.page, room, bob.name);
  await send(ann.page, 'Can everyone read this?');
  await send(bob.page, 'Loud and clear.');
  await expect(messages(ann.page)).toHaveCount(2);
  // A refused send shows its alert; open the name form too, so that axe
  // sees every part of the page.
  await field(ann.page).press('Enter');
  await expect(sendAlert(ann.page)).toHaveText('Type a message before sending.');
  await ann.page.getByText('Change your name').click();
  await expect(ann.page.getByLabel('Display name')).toBeVisible();

  const rooms = bob.page;
  await rooms.goto('/chat/rooms');
  for (const colorScheme of ['light', 'dark'] as const) {
    await ann.page.emulateMedia({ colorScheme });
    await rooms.emulateMedia({ colorScheme });
    // Soft, so that one run reports every page and scheme.
    expect.soft(await axeViolations(rooms), `room list, ${colorScheme}`).toEqual([]);
    expect.soft(await axeViolations(ann.page), `room page, ${colorScheme}`).toEqual([]);
  }

  // The message log is a live region that screen readers announce.
  await expect(log(ann.page)).toHaveAttribute('aria-live', 'polite');
});

test('create a room, join it and talk, with the keyboard alone', async ({ people }, testInfo) => {
  const ann = await people.join();
  const page = ann.page;
  const name = uniqueName(testInfo, 'Keys');

  await tabTo(page, page.getByLabel('Room name'));
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  const room = new URL(page.url()).pathname;

  // The message field has the focus on arrival; Enter sends.
  await expect(field(page)).toBeFocused();
  await page.keyboard.type('Typed, not clicked');
  await page.keyboard.press('Enter');
  await expect(messages(page)).toHaveText([msg(ann.name, 'Typed, not clicked')]);
  await expect(field(page)).toBeFocused();
  await expect(field(page)).toHaveValue('');

  // The Send button is next in the tab order.
  await page.keyboard.type('Sent with the button');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Send' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(messages(page)).toHaveText([
    msg(ann.name, 'Typed, not clicked'),
    msg(ann.name, 'Sent with the button'),
  ]);

  // Bob finds the room in the list and joins it by keyboard.
  const bob = await people.join();
  await tabTo(bob.page, bob.page.getByRole('main').getByRole('link', { name, exact: true }));
  await bob.page.keyboard.press('Enter');
  await expect(bob.page).toHaveURL(new RegExp(`${room}$`));
  await expect(field(bob.page)).toBeFocused();
  await bob.page.keyboard.type('Found it with Tab');
  await bob.page.keyboard.press('Enter');
  const all = [
    msg(ann.name, 'Typed, not clicked'),
    msg(ann.name, 'Sent with the button'),
    msg(bob.name, 'Found it with Tab'),
  ];
  await expect(messages(bob.page)).toHaveText(all);
  await expect(messages(page)).toHaveText(all);

  // Back to the list with the keyboard.
  await tabTo(bob.page, bob.page.getByRole('link', { name: 'All rooms' }));
  await bob.page.keyboard.press('Enter');
  await expect(bob.page.getByRole('heading', { level: 1, name: 'Rooms' })).toBeVisible();
});
