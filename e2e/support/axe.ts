// axe-core in the page: the accessibility rules every page of hxchat
// passes, light and dark.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

/**
 * axeViolations runs axe on the page and lists what it finds, briefly.
 * Legacy mode runs axe in the page itself instead of opening a blank page
 * to gather the results of frames, which hxchat's pages do not have; that
 * halves the time a run takes.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).setLegacyMode().analyze();
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}
