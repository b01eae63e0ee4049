// The suite's vocabulary: people (one browser context each), and what a
// person does and sees, always through roles, labels and text.
import { test as base, expect, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page, type TestInfo } from '@playwright/test';

/** A person: one browser context (one identity cookie) and its tabs. */
export interface Person {
  /** The display name the server gave or the person chose. */
  name: string;
  context: BrowserContext;
  /** The first tab. */
  page: Page;
  /** newTab opens another tab of the same person. */
  newTab(): Promise<Page>;
}

/** Options for a person's browser context. */
export interface PersonOptions extends BrowserContextOptions {
  /** The server to visit (default: the suite's shared server). */
  baseURL?: string;
}

/**
 * Watched creates the browser contexts of a test and watches every tab
 * for console errors (which include Content-Security-Policy violations
 * and failed requests), page errors and dialogs.
 */
export class Watched {
  private readonly contexts: BrowserContext[] = [];
  private readonly problems: string[] = [];
  private readonly allowed: RegExp[] = [];

  constructor(protected readonly browser: Browser) {}

  /** newContext opens a browser context whose tabs are watched. */
  protected async newContext(opts: BrowserContextOptions): Promise<BrowserContext> {
    const context = await this.browser.newContext(opts);
    this.contexts.push(context);
    context.on('page', (p) => this.watch(p));
    return context;
  }

  /** allow lets console errors matching re pass, for a test that expects them. */
  allow(re: RegExp): void {
    this.allowed.push(re);
  }

  /** unexpected lists the console errors, page errors and dialogs seen so far that were not allowed. */
  unexpected(): string[] {
    return this.problems.filter((p) => !this.allowed.some((re) => re.test(p)));
  }

  /** close closes every context. */
  async close(): Promise<void> {
    await Promise.all(this.contexts.map((c) => c.close()));
  }

  private watch(page: Page): void {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // The location is the script that logged, or the resource that failed.
      this.problems.push(`console error on ${page.url()}: ${msg.text()} [at ${msg.location().url}]`);
    });
    page.on('pageerror', (err) => this.problems.push(`page error on ${page.url()}: ${err.message}`));
    page.on('dialog', (d) => {
      this.problems.push(`dialog on ${page.url()}: ${d.type()} ${d.message()}`);
      void d.dismiss();
    });
  }
}

/** People are the watched people of a test on a server in open mode. */
export class People extends Watched {
  constructor(
    browser: Browser,
    private readonly defaults: BrowserContextOptions,
  ) {
    super(browser);
  }

  /**
   * join makes a new person who opens the room list, and learns their name.
   * In open mode looking at the list makes nobody: the person is given a
   * name when they first open a room, so they open Help first
   * (General is the room the screenshots show).
   */
  async join(opts: PersonOptions = {}): Promise<Person> {
    const context = await this.newContext({ ...this.defaults, ...opts });
    const page = await context.newPage();
    await page.goto('/chat/rooms');
    await page.getByRole('main').getByRole('link', { name: 'Help', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Help' })).toBeVisible();
    await page.goto('/chat/rooms');
    await expect(page.getByRole('heading', { level: 1, name: 'Rooms' })).toBeVisible();
    const name = await myName(page);
    return { name, context, page, newTab: () => context.newPage() };
  }
}

/**
 * test gives every test a `people` fixture; when the test ends, any
 * console error, page error or dialog it did not allow fails it.
 */
export const test = base.extend<{ people: People }>({
  people: async ({ browser, baseURL }, use) => {
    const people = new People(browser, { baseURL });
    await use(people);
    const problems = people.unexpected();
    await people.close();
    expect(problems, 'console errors, page errors and dialogs').toEqual([]);
  },
});

export { expect };

/** myName reads who the page says the viewer is ("You are NAME"). */
export async function myName(page: Page): Promise<string> {
  const banner = page.getByRole('banner');
  await expect(banner).toContainText(/You are \S/);
  const m = /You are (.+)$/.exec((await banner.innerText()).trim());
  if (!m) throw new Error('no "You are NAME" in the page header');
  return m[1].trim();
}

/** uniqueName makes a room name no other test (or repeat) uses. */
export function uniqueName(testInfo: TestInfo, label: string): string {
  return `${label} ${testInfo.workerIndex}-${testInfo.repeatEachIndex}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** createRoom creates a room through the form and returns its address. */
export async function createRoom(page: Page, name: string): Promise<string> {
  if (new URL(page.url()).pathname !== '/chat/rooms') await page.goto('/chat/rooms');
  await page.getByLabel('Room name').fill(name);
  await page.getByRole('button', { name: 'Create room' }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page).toHaveURL(/\/chat\/rooms\/\d+$/);
  return new URL(page.url()).pathname;
}

/**
 * enterRoom opens a room and waits until the page's websocket is live:
 * the online list, which the server sends once the socket opens, names
 * the person.
 */
export async function enterRoom(page: Page, path: string, me: string): Promise<void> {
  await page.goto(path);
  await expect(online(page).getByText(me, { exact: true })).toBeVisible();
}

/** log is the room's message log. */
export function log(page: Page): Locator {
  return page.getByRole('log', { name: 'Chat history' });
}

/** messages are the messages of the log (not the notices): the items with a time. */
export function messages(page: Page): Locator {
  return log(page)
    .getByRole('listitem')
    .filter({ has: page.locator('time') });
}

/** notice is the log line with exactly this text ("NAME joined"). */
export function notice(page: Page, text: string): Locator {
  return log(page).getByRole('listitem').filter({ hasText: new RegExp(`^\\s*${escape(text)}\\s*$`) });
}

/** online is the list of people online. */
export function online(page: Page): Locator {
  return page.getByRole('list', { name: 'People online' });
}

/** field is the message field. */
export function field(page: Page): Locator {
  return page.getByLabel('Message', { exact: true });
}

/**
 * sendAlert is the alert under the message form (the room page's only
 * alert while the name form shows no error).
 */
export function sendAlert(page: Page): Locator {
  return page.getByRole('alert');
}

/**
 * send types text and presses Enter, then waits until the server answered
 * with a fresh, empty form: the message is stored.
 */
export async function send(page: Page, text: string): Promise<void> {
  const f = field(page);
  await f.fill(text);
  await f.press('Enter');
  await expect(f).toHaveValue('');
}

/**
 * msg matches a message item's text: the author, the time of day and the
 * body, and nothing else.
 */
export function msg(author: string, body: string): RegExp {
  return new RegExp(`^${escape(author)}\\s*\\d{2}:\\d{2}\\s*${escape(body)}$`);
}

/** escape quotes s for a RegExp. */
export function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
