// Accounts mode's pages have no axe violations, light and dark, with a
// form's error showing too where it has one. Two tests, so that the two
// workers share the axe runs (about a second each on a busy machine).
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect, addMember, createPrivateRoom, credentials, fillAccountForm, invite, join, refused, setUp, setupLink } from '../support/accounts';

/**
 * expectNoViolations runs axe on the page in both colour schemes, softly,
 * so that one run reports every page. Legacy mode runs axe in the page
 * itself, which has no frames: half the time (see accessibility.spec.ts).
 */
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

test('axe finds no violations on the pages before signing in: /setup, /login, /join', async ({ server, visitors }) => {
  // The forms refused on purpose below come back with 422.
  visitors.allow(refused(422, '/(setup\\?token=\\S+|login)'));
  const { page } = await visitors.open();

  await page.goto('/setup');
  await expect(page.getByRole('heading', { level: 1, name: 'Finish setting up hxchat' })).toBeVisible();
  await expectNoViolations(page, '/setup without the link');

  await page.goto(await setupLink(server));
  await expect(page.getByRole('heading', { level: 1, name: 'Set up hxchat' })).toBeVisible();
  await expectNoViolations(page, '/setup with the link');
  // A refused form: the error sits by its field.
  await fillAccountForm(page, { ...credentials('Ada'), password: 'short' });
  await expect(page.getByRole('alert')).toHaveText('Password must be at least 10 characters.');
  await expectNoViolations(page, '/setup with an error');
  await setUp(page, server);

  const { page: other } = await visitors.open();
  await other.goto(await invite(page));
  await expect(other.getByRole('heading', { level: 1, name: 'Join hxchat' })).toBeVisible();
  await expectNoViolations(other, '/join/CODE');

  await other.goto('/login');
  await expect(other.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expectNoViolations(other, '/login');
  await other.getByLabel('Email', { exact: true }).fill('ada@example.com');
  await other.getByLabel('Password', { exact: true }).fill('not the right one');
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other.getByRole('alert')).toHaveText('That email and password do not match an active account.');
  await expectNoViolations(other, '/login with an error');
});

test('axe finds no violations on the pages of people signed in: /admin, /account, /people, a members page', async ({
  server,
  visitors,
}) => {
  const { page } = await visitors.open();
  await setUp(page, server);
  const bea = await join(visitors, await invite(page), 'Bea');

  const room = await createPrivateRoom(page, 'Accessible');
  await addMember(page, room, 'Bea');
  await expectNoViolations(page, 'a members page, for its manager');
  await bea.page.goto(`${room}/members`);
  await expect(bea.page.getByRole('heading', { level: 1, name: 'Members of Accessible' })).toBeVisible();
  await expectNoViolations(bea.page, 'a members page, for a member');

  await page.goto('/people');
  await expect(page.getByRole('button', { name: 'Message Bea' })).toBeVisible();
  await expectNoViolations(page, '/people');

  await page.goto('/account');
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await expectNoViolations(page, '/account');

  // With two people and an audit log.
  await page.goto('/admin');
  await expect(page.getByRole('region', { name: 'Audit log entries' })).toBeVisible();
  await expectNoViolations(page, '/admin');
});
