// Access tokens on /account/tokens: made by name, the secret shown once,
// listed, and revoked; and the page has no axe violations, light and dark,
// with a refused form and with a new token's secret showing.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect, refused, setUp } from '../support/accounts';

/** The warning beside a new token's secret. */
const copyNow = 'Copy this token now: it will not be shown again.';

/** A token's secret: the prefix and 32 bytes of base64url. */
const secretPattern = /^hxc_[A-Za-z0-9_-]{43}$/;

/** expectNoViolations runs axe on the page in both colour schemes, softly. */
async function expectNoViolations(page: Page, what: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).setLegacyMode().analyze();
    const found = results.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    expect.soft(found, `${what}, ${colorScheme}`).toEqual([]);
  }
}

test('access tokens: made from /account, the secret shown once, revoked', async ({ server, visitors }) => {
  // The form sent with an empty name comes back with 422.
  visitors.allow(refused(422, '/account/tokens'));
  const { page } = await visitors.open();
  await setUp(page, server);

  await page.goto('/account');
  await page.getByRole('link', { name: 'Access tokens' }).click();
  await expect(page).toHaveURL(/\/account\/tokens$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Access tokens' })).toBeVisible();
  await expect(page.getByRole('main')).toContainText('You have no access tokens.');
  await expectNoViolations(page, '/account/tokens without tokens');

  // A name is needed; the error sits by the field.
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('alert')).toHaveText("Name can't be empty.");
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(copyNow)).toHaveCount(0);
  await expectNoViolations(page, '/account/tokens with an error');

  await page.getByLabel('Name', { exact: true }).fill('Deploy bot');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByText(copyNow)).toBeVisible();
  const shown = page.getByText(secretPattern);
  await expect(shown).toBeVisible();
  expect(await shown.evaluate((el) => el.tagName)).toBe('CODE');
  const secret = (await shown.textContent()) ?? '';
  const tokens = page.getByRole('list', { name: 'Access tokens' }).getByRole('listitem');
  await expect(tokens).toHaveText([/^Deploy bot\s*Created .+ · Never used\s*Revoke$/]);
  await expectNoViolations(page, '/account/tokens with a new secret');

  // Another visit lists the token, never its secret.
  await page.goto('/account/tokens');
  await expect(tokens).toHaveText([/^Deploy bot\s*Created .+ · Never used\s*Revoke$/]);
  await expect(page.getByText(copyNow)).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);

  // A second token is listed first; revoking the first leaves it alone.
  await page.getByLabel('Name', { exact: true }).fill('Phone app');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByText(copyNow)).toBeVisible();
  await expect(tokens).toHaveText([/^Phone app/, /^Deploy bot/]);
  await tokens.filter({ hasText: 'Deploy bot' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(page).toHaveURL(/\/account\/tokens$/);
  await expect(tokens).toHaveText([/^Phone app\s*Created .+ · Never used\s*Revoke$/]);
  await expect(page.getByText(copyNow)).toHaveCount(0);

  await tokens.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('main')).toContainText('You have no access tokens.');
});
