import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { OwnServer } from '../support/server';
import { test, expect, enterRoom, messages, msg, online, send } from '../support/chat';

// The room page at a phone's and a desktop's size, light and dark, as
// test artifacts. The desktop light one is also the README's picture,
// docs/screenshot.png, rewritten when HXCHAT_E2E_UPDATE_SCREENSHOT=1 (it
// shows the time of day, so rewriting it on every run would leave the
// work tree changed after each `make test`).
const sizes = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
};

/** rename sets the person's display name through the form on the room list. */
async function rename(page: Page, name: string): Promise<void> {
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByRole('banner')).toContainText(`You are ${name}`);
}

test('screenshots of the room page: phone and desktop, light and dark', async ({ people }, testInfo) => {
  // A server of its own, so the room list holds only the starter rooms
  // and the picture no test's leftovers.
  const server = await OwnServer.start(testInfo);
  try {
    const ada = await people.join({ baseURL: server.url, viewport: sizes.desktop });
    const grace = await people.join({ baseURL: server.url });
    await rename(ada.page, 'Ada');
    await rename(grace.page, 'Grace');
    await ada.page.getByRole('main').getByRole('link', { name: 'General', exact: true }).click();
    const room = new URL(ada.page.url()).pathname;
    await enterRoom(ada.page, room, 'Ada');
    await enterRoom(grace.page, room, 'Grace');

    const lines: [Page, string, string][] = [
      [ada.page, 'Ada', 'Morning! Is the release still on for Friday?'],
      [grace.page, 'Grace', 'Yes. The last migration went in an hour ago.'],
      [ada.page, 'Ada', 'Great. I’ll write the release notes after lunch.'],
      [grace.page, 'Grace', 'Thanks! Ping me if the changelog needs anything.'],
    ];
    for (const [page, , body] of lines) await send(page, body);
    await expect(messages(ada.page)).toHaveText(lines.map(([, who, body]) => msg(who, body)));
    await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Grace']);
    // The focus ring of the field would show in the picture.
    await ada.page.getByLabel('Message', { exact: true }).blur();

    for (const [size, viewport] of Object.entries(sizes)) {
      for (const colorScheme of ['light', 'dark'] as const) {
        await ada.page.setViewportSize(viewport);
        await ada.page.emulateMedia({ colorScheme });
        const name = `room-${size}-${colorScheme}.png`;
        const file = testInfo.outputPath(name);
        const body = await ada.page.screenshot({ path: file });
        await testInfo.attach(name, { body, contentType: 'image/png' });
        if (size === 'desktop' && colorScheme === 'light' && process.env.HXCHAT_E2E_UPDATE_SCREENSHOT === '1') {
          const docs = path.join(__dirname, '..', '..', 'docs');
          mkdirSync(docs, { recursive: true });
          writeFileSync(path.join(docs, 'screenshot.png'), body);
        }
      }
    }
  } finally {
    // Pages first: a page whose server goes away reconnects, and its
    // failed attempts would be logged as errors.
    await people.close();
    await server.stop();
  }
});
