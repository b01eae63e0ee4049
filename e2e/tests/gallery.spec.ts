import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { OwnServer } from '../support/server';
import { test, expect } from '../support/chat';

// The component gallery (/dev/gallery, served with -dev) shows every page
// and fragment in a light and a dark frame, each a document of its own
// that loads as it scrolls into view. At each width the test checks the
// gallery itself with axe, then opens every frame's document by itself,
// checks that it drew its sample in its scheme and runs axe on it: axe run
// over the gallery with its frames inside would compare landmarks across
// documents that never share a page. The people fixture fails a test on
// any console error, from the gallery or a sample.
const sizes = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
};

/** violations runs axe on the page, its frames left out, and lists what it finds, briefly. */
async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).options({ iframes: false }).setLegacyMode().analyze();
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

for (const [size, viewport] of Object.entries(sizes)) {
  test(`the component gallery at ${size} width: no console error or axe violation`, async ({ people }, testInfo) => {
    const server = await OwnServer.start(testInfo, { args: ['-dev'] });
    try {
      const { page } = await people.join({ baseURL: server.url, viewport });
      await page.goto('/dev/gallery');
      await expect(page.getByRole('heading', { level: 1, name: 'Component gallery' })).toBeVisible();
      const frames = await page.locator('iframe').count();
      expect(frames, 'frames: each sample, light and dark').toBeGreaterThan(40);
      await testInfo.attach(`gallery-${size}.png`, { body: await page.screenshot(), contentType: 'image/png' });
      // The frames leave the page before axe runs: it would wait up to a
      // second for each one that has not loaded, and each frame's document
      // is checked by itself below.
      await page.locator('iframe').evaluateAll((frames) => frames.forEach((f) => f.remove()));
      expect(await violations(page), `axe on the gallery at ${size} width`).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  // Contrast depends on the scheme and layout on the width: both schemes
  // at desktop width and the light one at a phone's cover both, with a
  // quarter fewer documents to check than every pair would.
  for (const scheme of size === 'desktop' ? ['light', 'dark'] : ['light']) {
    test(`every sample of the gallery draws, ${scheme}, at ${size} width, with no axe violation`, async ({ people }, testInfo) => {
      // Some thirty documents, one after another.
      test.setTimeout(300_000);
      const server = await OwnServer.start(testInfo, { args: ['-dev'] });
      try {
        const { page } = await people.join({ baseURL: server.url, viewport });
        await page.goto('/dev/gallery');
        const sources = await page
          .locator(`iframe[src$="?scheme=${scheme}"]`)
          .evaluateAll((frames) => frames.map((f) => f.getAttribute('src') ?? ''));
        expect(sources.length, `${scheme} frames`).toBeGreaterThan(20);
        for (const src of sources) {
          await page.goto(src);
          // Soft, so that one run reports every sample.
          await expect.soft(page.locator('html'), `${src}: its scheme`).toHaveAttribute('data-scheme', scheme);
          await expect.soft(page.getByRole('heading', { level: 1 }).first(), `${src}: drawn`).toBeAttached();
          expect.soft(await violations(page), `axe on ${src} at ${size} width`).toEqual([]);
        }
      } finally {
        await server.stop();
      }
    });
  }
}

test('without -dev there is no gallery', async ({ page }) => {
  const res = await page.request.get('/dev/gallery');
  expect(res.status()).toBe(404);
});
