// The vocabulary of accounts mode: a server of the test's own started
// with accounts (the `server` fixture), its setup link, signing up through the setup form or an
// invitation, signing in and out, and private rooms with their members.
// Everything goes through the pages, by roles, labels and text.
import { test as base, expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { Watched } from './chat';
import { OwnServer } from './server';

/** What a person types to make an account and to sign in. */
export interface Credentials {
  name: string;
  email: string;
  password: string;
}

/** A browser of its own: one context (one session cookie) and its first tab. */
export interface Visitor {
  context: BrowserContext;
  page: Page;
}

/** A person with an account, signed in in their own browser context. */
export type Member = Visitor & Credentials;

/** credentials makes a person's email and password from their name. */
export function credentials(name: string): Credentials {
  const local = name.toLowerCase().replace(/[^a-z0-9]+/g, '.');
  return { name, email: `${local}@example.com`, password: `${name} has a long password` };
}

/**
 * Visitors opens the watched browser contexts of a test (see Watched in
 * support/chat.ts); unlike People it opens no page, since in accounts mode
 * the room list is only for people who signed in.
 */
export class Visitors extends Watched {
  constructor(
    browser: Browser,
    private readonly server: OwnServer,
  ) {
    super(browser);
  }

  /**
   * open makes a new browser context for the server at base (by default
   * the test's own) and opens a blank tab in it.
   */
  async open(base: OwnServer | string = this.server): Promise<Visitor> {
    const baseURL = typeof base === 'string' ? base : base.url;
    const context = await this.newContext({ baseURL });
    const page = await context.newPage();
    return { context, page };
  }
}

/**
 * test gives every test a `server` of its own with accounts and an empty
 * database, and a `visitors` fixture whose browsers visit it. When the
 * test ends, any console error, page error or dialog it did not allow
 * fails it; the browsers close before the server stops, so that no page
 * still loading sees the server go.
 */
export const test = base.extend<{ server: OwnServer; visitors: Visitors }>({
  server: async ({}, use, testInfo) => {
    const server = await OwnServer.start(testInfo, { accounts: true });
    await use(server);
    await server.stop();
  },
  visitors: async ({ browser, server }, use) => {
    const visitors = new Visitors(browser, server);
    await use(visitors);
    const problems = visitors.unexpected();
    await visitors.close();
    expect(problems, 'console errors, page errors and dialogs').toEqual([]);
  },
});

export { expect };

/**
 * refused matches the console error Chromium logs for a response with
 * status at a path (a RegExp source, such as '/login'): a refused form or
 * an error page is the expected answer in some tests, not an error.
 */
export function refused(status: number, path: string): RegExp {
  return new RegExp(`: Failed to load resource: the server responded with a status of ${status} \\(.*\\) \\[at \\S+?${path}\\]$`);
}

/**
 * setupLink reads the one-time setup link that a server with no account
 * yet writes to its log on start:
 * `level=WARN msg="setup link: ..." url="http://HOST:PORT/setup?token=..."`.
 */
export async function setupLink(server: OwnServer): Promise<string> {
  const m = await server.waitForLog(/msg="setup link:[^"]*".*\burl="?(http:\/\/[^"\s]+\/setup\?token=[^"\s]+)"?/);
  return m[1];
}

/**
 * setUp opens the server's setup link on page and fills in the form,
 * making who (by default Ada) the first account, an administrator; the
 * page ends on /admin, signed in.
 */
export async function setUp(page: Page, server: OwnServer, who: Credentials = credentials('Ada')): Promise<Credentials> {
  await page.goto(await setupLink(server));
  await expect(page.getByRole('heading', { level: 1, name: 'Set up hxchat' })).toBeVisible();
  await fillAccountForm(page, who);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Administration' })).toBeVisible();
  await expectSignedIn(page, who.name);
  return who;
}

/** invite reads the invitation link an administrator's /admin shows. */
export async function invite(adminPage: Page): Promise<string> {
  await adminPage.goto('/admin');
  const link = adminPage.getByLabel('Invitation link');
  await expect(link).toHaveValue(/\/join\/\S+$/);
  return link.inputValue();
}

/**
 * join opens an invitation link in a new browser context and makes an
 * account called name; it returns the person, signed in, on the room list.
 */
export async function join(visitors: Visitors, link: string, name: string): Promise<Member> {
  const who = credentials(name);
  const visitor = await visitors.open(new URL(link).origin);
  await visitor.page.goto(link);
  await expect(visitor.page.getByRole('heading', { level: 1, name: 'Join hxchat' })).toBeVisible();
  await fillAccountForm(visitor.page, who);
  await expect(visitor.page).toHaveURL(/\/chat\/rooms$/);
  await expect(visitor.page.getByRole('heading', { level: 1, name: 'Rooms' })).toBeVisible();
  await expectSignedIn(visitor.page, name);
  return { ...visitor, ...who };
}

/** fillAccountForm fills in the form of /setup and /join/CODE and sends it. */
export async function fillAccountForm(page: Page, who: Credentials): Promise<void> {
  await page.getByLabel('Name', { exact: true }).fill(who.name);
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/**
 * signIn signs in through /login (opening it unless the page is on it
 * already, as after a redirect there) and waits until the page has left
 * it, signed in.
 */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  if (!page.url().includes('/login')) await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/\/login(\?|$)/);
  await expect(signOutButton(page)).toBeVisible();
}

/** signOutButton is the "Sign out" button in the page's header. */
export function signOutButton(page: Page): Locator {
  return page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true });
}

/** expectSignedIn checks that the header says who the viewer is and offers to sign out. */
export async function expectSignedIn(page: Page, name: string): Promise<void> {
  await expect(page.getByRole('banner')).toContainText(`You are ${name}`);
  await expect(signOutButton(page)).toBeVisible();
}

/** createPrivateRoom creates a room only the people its creator adds may see, and returns its address. */
export async function createPrivateRoom(page: Page, name: string): Promise<string> {
  await page.goto('/chat/rooms');
  await page.getByLabel('Room name').fill(name);
  await page.getByRole('group', { name: 'Who can join' }).getByRole('radio', { name: 'Only people I add' }).check();
  await page.getByRole('button', { name: 'Create room' }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page).toHaveURL(/\/chat\/rooms\/\d+$/);
  return new URL(page.url()).pathname;
}

/** members is the list on a room's "Members" page. */
export function members(page: Page): Locator {
  return page.getByRole('main').getByRole('list', { name: 'Members' });
}

/** openMembers goes from a room's page to its "Members" page. */
export async function openMembers(page: Page, room: string): Promise<void> {
  await page.goto(room);
  await page.getByRole('link', { name: 'Members', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${room}/members$`));
  await expect(page.getByRole('heading', { level: 1, name: /^Members of / })).toBeVisible();
}

/** addMember adds the person called name on a room's "Members" page. */
export async function addMember(page: Page, room: string, name: string): Promise<void> {
  await openMembers(page, room);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(members(page).getByRole('listitem').filter({ hasText: name })).toHaveCount(1);
}

/** removeMember removes the person called name on a room's "Members" page. */
export async function removeMember(page: Page, room: string, name: string): Promise<void> {
  await openMembers(page, room);
  await members(page).getByRole('button', { name: `Remove ${name}`, exact: true }).click();
  await expect(members(page).getByRole('listitem').filter({ hasText: name })).toHaveCount(0);
}
