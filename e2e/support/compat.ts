// Compatibility mode and pages without script: what a room page offers
// when its websocket does not get through, how a test makes a page's
// websocket fail, and how a page says which mode it is in.
import { expect, type Locator, type Page } from '@playwright/test';

/** The hint's link text, as a room page on the websocket shows it. */
export const hintText = 'Live updates are not getting through. Switch to compatibility mode';

/**
 * liveHint is the link a room page on the websocket reveals when its
 * socket has not opened within 4 s.
 */
export function liveHint(page: Page): Locator {
  return page.getByRole('link', { name: hintText, exact: true });
}

/** switchToLive is the link a page in compatibility mode offers back to the websocket. */
export function switchToLive(page: Page): Locator {
  return page.getByRole('link', { name: 'Switch to live mode', exact: true });
}

/** compatNote is the line saying that the page is in compatibility mode. */
export function compatNote(page: Page): Locator {
  return page.getByRole('main').getByText('Compatibility mode.');
}

/**
 * blockLiveSocket makes every websocket the page opens to /ws/chat fail
 * before it opens, as behind a proxy that drops the upgrade: the page
 * sees a close with 1006 (abnormal closure), after which htmx's
 * extension tries again later, and fails again. It returns a function
 * that counts the attempts so far.
 */
export async function blockLiveSocket(page: Page): Promise<() => number> {
  let attempts = 0;
  await page.routeWebSocket(/\/ws\/chat\?/, async (ws) => {
    attempts++;
    await ws.close({ code: 1006, reason: '' });
  });
  return () => attempts;
}

/**
 * pageAge is how long the page has been open, in ms, by the clock its
 * CSS animations run on (the document timeline starts as the page loads).
 */
export async function pageAge(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.timeline.currentTime ?? 0));
}

/**
 * expectCompatMode checks that the page shows room id in compatibility
 * mode: it says so, its live updates come from the room's event stream,
 * and it offers no hint about the websocket.
 */
export async function expectCompatMode(page: Page, roomPath: string): Promise<void> {
  const id = roomID(roomPath);
  await expect(compatNote(page)).toBeVisible();
  await expect(switchToLive(page)).toBeVisible();
  await expect(page.getByRole('main')).toHaveAttribute('sse-connect', `/sse/chat?room=${id}`);
  await expect(page.getByRole('main')).not.toHaveAttribute('ws-connect', /./);
  await expect(liveHint(page)).toHaveCount(0);
}

/**
 * expectLiveMode checks that the page shows room id on the websocket,
 * not in compatibility mode.
 */
export async function expectLiveMode(page: Page, roomPath: string): Promise<void> {
  const id = roomID(roomPath);
  await expect(page.getByRole('main')).toHaveAttribute('ws-connect', `/ws/chat?room=${id}`);
  await expect(page.getByRole('main')).not.toHaveAttribute('sse-connect', /./);
  await expect(compatNote(page)).toHaveCount(0);
  await expect(switchToLive(page)).toHaveCount(0);
}

/** roomID returns the ID at the end of a room's path, /chat/rooms/ID. */
export function roomID(path: string): string {
  const m = /\/chat\/rooms\/(\d+)$/.exec(path);
  if (!m) throw new Error(`not a room's path: ${path}`);
  return m[1];
}
