// Without JavaScript every form is a plain POST and every page a page of
// its own: a person with script turned off makes a room, renames
// themselves, signs in, posts and sees their message after the redirect,
// gets a refused message back with its text, reads older messages through
// a link and new ones through "Refresh". The hint offering compatibility
// mode, which only a page trying a websocket needs, never shows.
import { blockLiveSocket, liveHint, pageAge } from '../support/compat';
import {
  test as openTest,
  Watched,
  createRoom,
  enterRoom,
  field,
  messages,
  msg,
  myName,
  send,
  sendAlert,
  uniqueName,
} from '../support/chat';
import { test as accountsTest, expect, expectSignedIn, invite, join, setUp, signIn, signOutButton } from '../support/accounts';
import type { Browser, Page } from '@playwright/test';

// A refused message comes back as the room page with status 422, which
// Chromium logs as a failed load; that is the expected answer here.
const refusedSend = /: Failed to load resource: the server responded with a status of 422 \(Unprocessable Entity\) \[at \S+\/chat\/rooms\/\d+\/messages\]$/;

/** refreshLink is the link a page without script offers to see new messages. */
function refreshLink(page: Page) {
  return page.getByRole('main').getByRole('link', { name: 'Refresh', exact: true });
}

/**
 * post types text into the message field and presses Send, and returns
 * the status of the answer to the POST (before any redirect).
 */
async function post(page: Page, room: string, text: string): Promise<number> {
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${room}/messages`);
  await field(page).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const status = (await answer).status();
  await page.waitForLoadState();
  return status;
}

/** rename changes the viewer's display name through the form under "Change your name". */
async function rename(page: Page, name: string): Promise<void> {
  await page.getByText('Change your name', { exact: true }).click();
  await page.getByLabel('Display name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Save name', exact: true }).click();
  await expect(page.getByRole('banner')).toContainText(`You are ${name}`);
}

openTest('without script: a room, a new name, messages by POST, refusals that keep the text, "Refresh" and "Load older" as links', async ({ people }, testInfo) => {
  openTest.setTimeout(150_000);
  people.allow(refusedSend);
  const ann = await people.join({ javaScriptEnabled: false });
  const bob = await people.join();
  const page = ann.page;
  const room = await createRoom(page, uniqueName(testInfo, 'No script'));
  await expect(refreshLink(page)).toBeVisible();

  // A new name, kept by the browser.
  const name = `Ann ${testInfo.workerIndex}${testInfo.repeatEachIndex}${Date.now().toString(36).slice(-5)}`;
  await rename(page, name);
  await expect(page).toHaveURL(new RegExp(`${room}$`));
  await page.goto('/chat/rooms');
  expect(await myName(page)).toBe(name);
  await page.goto(room);

  // A message: the POST answers with a redirect to the room, which shows it.
  expect(await post(page, room, 'Hello without script')).toBe(303);
  await expect(page).toHaveURL(new RegExp(`${room}$`));
  await expect(messages(page)).toHaveText([msg(name, 'Hello without script')]);
  await expect(field(page)).toHaveValue('');
  await expect(sendAlert(page)).toHaveText('');

  // Refused: spaces alone, then one character over the limit. The room
  // comes back with the alert and the text as typed.
  expect(await post(page, room, '   ')).toBe(422);
  await expect(sendAlert(page)).toHaveText('Type a message before sending.');
  await expect(field(page)).toHaveValue('   ');
  const tooLong = 'x'.repeat(1999) + 'yz';
  expect(await post(page, room, tooLong)).toBe(422);
  await expect(sendAlert(page)).toHaveText('That message is 2001 characters long; the limit is 2000.');
  await expect(field(page)).toHaveValue(tooLong);
  await expect(field(page)).toHaveAttribute('aria-invalid', 'true');
  await expect(messages(page)).toHaveText([msg(name, 'Hello without script')]);
  // Shortened, it goes.
  const shortened = 'x'.repeat(1999) + 'y';
  expect(await post(page, room, shortened)).toBe(303);
  await expect(sendAlert(page)).toHaveText('');
  const mine = [msg(name, 'Hello without script'), msg(name, shortened)];
  await expect(messages(page)).toHaveText(mine);

  // Bob, on the websocket, saw both, and posts 50 more while Ann reads:
  // her page does not change until she follows "Refresh".
  await enterRoom(bob.page, room, bob.name);
  await expect(messages(bob.page)).toHaveText(mine);
  const bobs = Array.from({ length: 50 }, (_, i) => `Bob number ${i + 1}`);
  for (const body of bobs) await send(bob.page, body);
  await expect(messages(bob.page)).toHaveCount(52);
  await expect(messages(page)).toHaveText(mine);
  await refreshLink(page).click();
  await expect(page).toHaveURL(new RegExp(`${room}$`));
  const newest = bobs.map((b) => msg(bob.name, b));
  await expect(messages(page)).toHaveText(newest);

  // A page holds 50: the two before are a link away, not a button.
  await expect(page.getByRole('button', { name: 'Load older', includeHidden: true })).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Load older', includeHidden: true })).toBeHidden();
  await page.getByRole('link', { name: 'Load older', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${room}\\?before=\\d+$`));
  await expect(messages(page)).toHaveText(mine);
  await expect(page.getByRole('link', { name: 'Load older', exact: true })).toHaveCount(0);
  await page.getByRole('link', { name: 'Back to the newest messages', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${room}$`));
  await expect(messages(page)).toHaveText(newest);
  await expect(page.getByRole('link', { name: 'Load older', exact: true })).toBeVisible();
  await expect(liveHint(page)).toBeHidden();
});

openTest('without script the hint offering compatibility mode never shows', async ({ people }, testInfo) => {
  // The page with script below shows, by its hint, that 4 s have passed.
  const ann = await people.join({ javaScriptEnabled: false });
  const bob = await people.join();
  const room = await createRoom(ann.page, uniqueName(testInfo, 'No hint'));
  await expect(refreshLink(ann.page)).toBeVisible();

  // Bob's page, with script but no websocket, opened after Ann's: its
  // hint shows 4 s after it loads, by when Ann's page has been open
  // longer than that, and hers must still show none.
  await blockLiveSocket(bob.page);
  await bob.page.goto(room);
  await expect(liveHint(bob.page)).toBeVisible();
  expect(await pageAge(ann.page)).toBeGreaterThan(4_000);
  await expect(liveHint(ann.page)).toBeHidden();
  await expect(ann.page.getByText('Live updates are not getting through')).toBeHidden();
  await expect(refreshLink(ann.page)).toBeVisible();
});

/** Browsers without script, watched as every test's browsers are. */
class NoScript extends Watched {
  constructor(
    browser: Browser,
    private readonly baseURL: string,
  ) {
    super(browser);
  }

  /** open makes a browser context with JavaScript turned off and opens a tab. */
  async open(): Promise<Page> {
    const context = await this.newContext({ baseURL: this.baseURL, javaScriptEnabled: false });
    return context.newPage();
  }
}

/** The accounts test with `noScript`, whose browsers visit the test's server. */
const test = accountsTest.extend<{ noScript: NoScript }>({
  noScript: async ({ browser, server }, use) => {
    const noScript = new NoScript(browser, server.url);
    await use(noScript);
    const problems = noScript.unexpected();
    await noScript.close();
    expect(problems, 'console errors, page errors and dialogs').toEqual([]);
  },
});

test('without script: set up, sign out and in, make a room, post, rename; a live page sees it all', async ({ server, visitors, noScript }) => {
  const page = await noScript.open();
  const ada = await setUp(page, server);
  const link = await invite(page);

  await signOutButton(page).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(page.getByRole('status')).toHaveText('You are signed out.');
  await signIn(page, ada.email, ada.password);
  await expectSignedIn(page, 'Ada');

  const room = await createRoom(page, 'Without script');
  await expect(refreshLink(page)).toBeVisible();
  expect(await post(page, room, 'Posted by a plain form')).toBe(303);
  await expect(page).toHaveURL(new RegExp(`${room}$`));
  await expect(messages(page)).toHaveText([msg('Ada', 'Posted by a plain form')]);

  // Bea, with script, is in the room live: Ada's next messages reach her
  // at once, under Ada's new name.
  const bea = await join(visitors, link, 'Bea');
  await enterRoom(bea.page, room, 'Bea');
  await expect(messages(bea.page)).toHaveText([msg('Ada', 'Posted by a plain form')]);
  await rename(page, 'Ada Lovelace');
  await expect(page).toHaveURL(new RegExp(`${room}$`));
  expect(await post(page, room, 'Now with my full name')).toBe(303);
  const all = [msg('Ada', 'Posted by a plain form'), msg('Ada Lovelace', 'Now with my full name')];
  await expect(messages(page)).toHaveText(all);
  await expect(messages(bea.page)).toHaveText(all);

  // Bea answers; Ada sees it when she refreshes.
  await send(bea.page, 'Welcome, Ada');
  await expect(messages(page)).toHaveText(all);
  await refreshLink(page).click();
  await expect(messages(page)).toHaveText([...all, msg('Bea', 'Welcome, Ada')]);
});
