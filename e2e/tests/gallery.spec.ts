import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { OwnServer } from '../support/server';
import { test, expect } from '../support/chat';

// The component gallery (/dev/gallery, served with -dev) shows every page
// and fragment in a light and a dark frame, each a document of its own.
// At each width the test loads the gallery (the people fixture fails it on
// any console error from the gallery or a frame), checks that every frame
// drew its sample, then runs axe on the gallery and on every frame's
// document by itself: axe run over the gallery with its frames inside
// would compare landmarks across documents that never share a page.
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
  test(`the component gallery at ${size} width: every sample renders, with no console error`, async ({ people }, testInfo) => {
    // Some fifty frames load at once.
    test.setTimeout(180_000);
    const server = await OwnServer.start(testInfo, { args: ['-dev'] });
    try {
      const { page } = await people.join({ baseURL: server.url, viewport });
      await page.goto('/dev/gallery');
      await expect(page.getByRole('heading', { level: 1, name: 'Component gallery' })).toBeVisible();
      // page.goto waits for the load event, which waits for every frame.
      const drawn = await page.locator('iframe').evaluateAll((frames) =>
        frames.map((f) => {
          const doc = (f as HTMLIFrameElement).contentDocument;
          return {
            title: f.getAttribute('title') ?? '',
            scheme: doc?.documentElement.dataset.scheme ?? '',
            heading: doc?.querySelector('h1')?.textContent?.trim() ?? '',
          };
        }),
      );
      expect(drawn.length, 'frames: each sample, light and dark').toBeGreaterThan(40);
      for (const f of drawn) {
        expect.soft(f.scheme, `${f.title}: scheme`).toBe(f.title.endsWith(', dark') ? 'dark' : 'light');
        expect.soft(f.heading, `${f.title}: a heading drawn`).not.toBe('');
      }
      await testInfo.attach(`gallery-${size}.png`, { body: await page.screenshot(), contentType: 'image/png' });
      expect(await violations(page), `axe on the gallery at ${size} width`).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  // Contrast depends on the scheme and layout on the width: both schemes
  // at desktop width and the light one at a phone's cover both, with a
  // quarter fewer documents to check than every pair would.
  for (const scheme of size === 'desktop' ? ['light', 'dark'] : ['light']) {
    test(`axe finds no violations in any sample of the gallery, ${scheme}, at ${size} width`, async ({ people }, testInfo) => {
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
