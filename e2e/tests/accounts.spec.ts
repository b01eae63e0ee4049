// Accounts mode: setting up, signing in and out, invitations, and ending
// sessions. Each test has a server of its own with accounts and an empty
// database (the `server` fixture), so the first account made is the
// administrator.
import { createRoom, enterRoom, log, messages, msg, send, sendAlert } from '../support/chat';
import {
  test,
  expect,
  credentials,
  expectSignedIn,
  fillAccountForm,
  invite,
  join,
  refused,
  setUp,
  setupLink,
  signIn,
  signOutButton,
} from '../support/accounts';

test('setup: every page points to the log, its link makes the administrator once', async ({ server, visitors }) => {
  // The second, stale setup form is refused with 409, and a sign-in
  // without an account with 422.
  visitors.allow(refused(409, '/setup\\?token=\\S+'));
  visitors.allow(refused(422, '/login'));
  const ada = await visitors.open();
  // Before setup every page leads to /setup, which says where the link is.
  for (const path of ['/', '/chat/rooms', '/login', '/account', '/admin', '/people', '/join/anything']) {
    await ada.page.goto(path);
    await expect(ada.page, path).toHaveURL(/\/setup$/);
    await expect(ada.page.getByRole('heading', { level: 1, name: 'Finish setting up hxchat' })).toBeVisible();
    await expect(ada.page.getByRole('main')).toContainText('the server wrote to its log');
    await expect(ada.page.getByRole('main').getByText('setup link', { exact: true })).toBeVisible();
    await expect(ada.page.getByLabel('Email')).toHaveCount(0);
    await expect(signOutButton(ada.page)).toHaveCount(0);
  }

  // Someone else opens the link too, and waits.
  const link = await setupLink(server);
  expect(new URL(link).origin).toBe(server.url);
  const eve = await visitors.open();
  await eve.page.goto(link);
  await expect(eve.page.getByRole('heading', { level: 1, name: 'Set up hxchat' })).toBeVisible();

  // Ada fills in the form first and lands on /admin, signed in.
  await setUp(ada.page, server, credentials('Ada'));
  await expect(ada.page.getByRole('region', { name: 'Accounts' }).getByRole('row')).toHaveText([
    /Name\s*Email\s*Role/,
    /Ada\s*ada@example\.com\s*Administrator\s*Active\s*This is you/,
  ]);
  await ada.page.goto('/chat/rooms');
  await expect(ada.page.getByRole('heading', { level: 1, name: 'Rooms' })).toBeVisible();
  await expectSignedIn(ada.page, 'Ada');

  // The link does not work twice: the form Eve had open is refused...
  await fillAccountForm(eve.page, credentials('Eve'));
  await expect(eve.page.getByRole('main')).toContainText('hxchat is set up already: its first account exists. Sign in instead.');
  await expect(signOutButton(eve.page)).toHaveCount(0);
  // ...and opening the link again leads to the sign-in form.
  await eve.page.goto(link);
  await expect(eve.page).toHaveURL(/\/login$/);
  await expect(eve.page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(eve.page.getByLabel('Name', { exact: true })).toHaveCount(0);
  // Eve has no account: her email does not sign in.
  await eve.page.getByLabel('Email', { exact: true }).fill(credentials('Eve').email);
  await eve.page.getByLabel('Password', { exact: true }).fill(credentials('Eve').password);
  await eve.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(eve.page.getByRole('alert')).toHaveText('That email and password do not match an active account.');
});

test('sign in and out: a wrong password keeps the email, signing out closes the rooms', async ({ server, visitors }) => {
  // A refused sign-in comes back with 422.
  visitors.allow(refused(422, '/login'));
  const { context, page } = await visitors.open();
  const ada = await setUp(page, server);

  await signOutButton(page).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(page.getByRole('status')).toHaveText('You are signed out.');
  await expect(signOutButton(page)).toHaveCount(0);

  // The rooms now send to /login, and back after signing in.
  await page.goto('/chat/rooms');
  await expect(page).toHaveURL(/\/login\?next=%2Fchat%2Frooms$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();

  const email = page.getByLabel('Email', { exact: true });
  const password = page.getByLabel('Password', { exact: true });
  await email.fill(ada.email);
  await password.fill('not the right password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('That email and password do not match an active account.');
  await expect(email).toHaveValue(ada.email);
  await expect(password).toHaveValue('');
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toBeFocused();
  await expect(signOutButton(page)).toHaveCount(0);

  await password.fill(ada.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/chat\/rooms$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Rooms' })).toBeVisible();
  await expectSignedIn(page, ada.name);

  // "Sign out" is in the header of every page, and goes to /login.
  for (const path of ['/people', '/account', '/admin']) {
    await page.goto(path);
    await expect(signOutButton(page), path).toBeVisible();
  }
  // Signing out closes the session's live pages too: a room open in
  // another tab says so.
  const room = await createRoom(page, 'Signing out');
  const tab = await context.newPage();
  await enterRoom(tab, room, ada.name);
  await page.goto('/chat/rooms');
  await signOutButton(page).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(sendAlert(tab)).toHaveText('You are signed out. Sign in again.');
  await page.goto('/chat/rooms');
  await expect(page).toHaveURL(/\/login\?next=%2Fchat%2Frooms$/);
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);

  // Signing in from /login itself lands on the rooms.
  await page.goto('/login');
  await signIn(page, ada.email, ada.password);
  await expect(page).toHaveURL(/\/chat\/rooms$/);
  await expectSignedIn(page, ada.name);
});

test('invitation: a second person joins with the link from /admin; a reset link replaces it', async ({ server, visitors }) => {
  // The replaced link's page answers 404.
  visitors.allow(refused(404, '/join/\\S+'));
  const ada = await visitors.open();
  await setUp(ada.page, server);
  const link = await invite(ada.page);
  expect(new URL(link).origin).toBe(server.url);

  const bea = await join(visitors, link, 'Bea');
  // Not an administrator: no admin link, and /admin is refused.
  await expect(bea.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);

  await ada.page.goto('/admin');
  await expect(ada.page.getByRole('region', { name: 'Accounts' }).getByRole('row').filter({ hasText: 'bea@example.com' })).toContainText(
    /Bea\s*bea@example\.com\s*Member\s*Active/,
  );

  // Resetting the link: the old one shows an error page, the new one works.
  await ada.page.getByRole('button', { name: 'Reset invitation link' }).click();
  await expect(ada.page.getByLabel('Invitation link')).not.toHaveValue(link);
  const fresh = await invite(ada.page);
  expect(fresh).not.toBe(link);
  await expect(ada.page.getByRole('region', { name: 'Audit log entries' })).toContainText('Reset the invitation link');

  const cy = await visitors.open();
  const res = await cy.page.goto(link);
  expect(res?.status()).toBe(404);
  await expect(cy.page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
  await expect(cy.page.getByRole('main')).toContainText(
    'This link has been used, replaced or has expired. Ask an administrator for a new one.',
  );
  await expect(cy.page.getByLabel('Password')).toHaveCount(0);

  // Bea's account, made with the old link, stays.
  await bea.page.reload();
  await expectSignedIn(bea.page, 'Bea');

  const cyMember = await join(visitors, fresh, 'Cy');
  await expectSignedIn(cyMember.page, 'Cy');
});

test('sign out everywhere closes the live page of another browser', async ({ server, visitors }) => {
  // Ada signs in in two browsers: A holds a room open, B manages the account.
  const a = await visitors.open();
  const ada = await setUp(a.page, server);
  const b = await visitors.open();
  await signIn(b.page, ada.email, ada.password);

  const room = await createRoom(a.page, 'Everywhere');
  await enterRoom(a.page, room, ada.name);

  await b.page.goto('/account');
  await expect(b.page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  const sessions = b.page.getByRole('region', { name: 'Sessions' }).getByRole('listitem');
  await expect(sessions).toHaveCount(2);
  await expect(sessions.filter({ hasText: 'This device' })).toHaveCount(1);
  await expect(sessions.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(2);

  await b.page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(b.page).toHaveURL(/\/login\?signed_out=1$/);

  // A's open page says it is signed out, at once, without a reload.
  await expect(sendAlert(a.page)).toHaveText('You are signed out. Sign in again.');

  // And it receives nothing more: B signs in again and posts; once B's
  // page shows the message, the server has sent it to every page of
  // the room it was going to.
  await signIn(b.page, ada.email, ada.password);
  await enterRoom(b.page, room, ada.name);
  await send(b.page, 'Posted after signing out everywhere');
  await expect(messages(b.page)).toHaveText([msg(ada.name, 'Posted after signing out everywhere')]);
  await expect(log(a.page)).not.toContainText('Posted after signing out everywhere');

  // A's next navigation lands on /login.
  await a.page.getByRole('link', { name: 'All rooms' }).click();
  await expect(a.page).toHaveURL(/\/login\?next=%2Fchat%2Frooms$/);
  await expect(a.page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await signIn(a.page, ada.email, ada.password);
  await expect(a.page).toHaveURL(/\/chat\/rooms$/);
});

test("one session's Sign out on /account closes that browser's live page only", async ({ server, visitors }) => {
  // Both sessions are the same browser, Ada's; the one B uses is
  // marked "This device" on B's /account.
  const a = await visitors.open();
  const ada = await setUp(a.page, server);
  const b = await visitors.open();
  await signIn(b.page, ada.email, ada.password);
  const room = await createRoom(a.page, 'One session');
  await enterRoom(a.page, room, ada.name);
  await enterRoom(b.page, room, ada.name);

  const manage = await b.context.newPage();
  await manage.goto('/account');
  const sessions = manage.getByRole('region', { name: 'Sessions' }).getByRole('listitem');
  await expect(sessions).toHaveCount(2);
  await sessions.filter({ hasNotText: 'This device' }).getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(manage).toHaveURL(/\/account$/);
  await expect(sessions).toHaveCount(1);
  await expect(sessions).toContainText('This device');

  await expect(sendAlert(a.page)).toHaveText('You are signed out. Sign in again.');
  // B's page of the same room, another session, goes on; A's no longer
  // receives.
  await send(b.page, 'Still here');
  await expect(messages(b.page)).toHaveText([msg(ada.name, 'Still here')]);
  await expect(sendAlert(b.page)).toHaveText('');
  await expect(log(a.page)).not.toContainText('Still here');
  await a.page.reload();
  await expect(a.page).toHaveURL(/\/login\?next=/);
});

test('a password change and a deactivation close live pages; a reset link sets a new password', async ({ server, visitors }) => {
  // A deactivated account's sign-in is refused with 422.
  visitors.allow(refused(422, '/login'));
  const a = await visitors.open();
  await setUp(a.page, server);
  const bea = await join(visitors, await invite(a.page), 'Bea');
  const room = await createRoom(bea.page, 'Lobby');
  await enterRoom(bea.page, room, 'Bea');

  // Bea changes her password in another browser: this one's page ends.
  const b = await visitors.open();
  await signIn(b.page, bea.email, bea.password);
  await b.page.goto('/account');
  const newPassword = 'an even longer password';
  await b.page.getByLabel('Current password').fill(bea.password);
  await b.page.getByLabel('New password').fill(newPassword);
  await b.page.getByRole('button', { name: 'Change password' }).click();
  await expect(b.page.getByRole('status')).toHaveText('Password changed. Your other sessions were signed out.');
  await expect(sendAlert(bea.page)).toHaveText('You are signed out. Sign in again.');
  await expect(b.page.getByRole('region', { name: 'Sessions' }).getByRole('listitem')).toHaveCount(1);

  // Ada deactivates her: her open page ends too, and she cannot sign in.
  await enterRoom(b.page, room, 'Bea');
  await a.page.goto('/admin');
  await a.page.getByRole('button', { name: 'Deactivate Bea' }).click();
  await expect(a.page.getByRole('region', { name: 'Accounts' }).getByRole('row').filter({ hasText: 'bea@example.com' })).toContainText(
    'Deactivated',
  );
  await expect(sendAlert(b.page)).toHaveText('You are signed out. Sign in again.');
  await b.page.goto('/login');
  await b.page.getByLabel('Email', { exact: true }).fill(bea.email);
  await b.page.getByLabel('Password', { exact: true }).fill(newPassword);
  await b.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(b.page.getByRole('alert')).toHaveText('That email and password do not match an active account.');

  // Reactivated, and given a reset link, she chooses a third password.
  await a.page.getByRole('button', { name: 'Reactivate Bea' }).click();
  await a.page.getByRole('button', { name: 'Password-reset link for Bea' }).click();
  const shown = a.page.getByRole('status').filter({ hasText: 'Password-reset link for Bea' }).getByText(/^http:\S+\/reset\/\S+$/);
  await expect(shown).toBeVisible();
  const reset = (await shown.innerText()).trim();
  await b.page.goto(reset);
  await expect(b.page.getByRole('heading', { level: 1, name: 'Choose a new password' })).toBeVisible();
  await b.page.getByLabel('New password').fill('the third password of Bea');
  await b.page.getByRole('button', { name: 'Set password' }).click();
  await expect(b.page).toHaveURL(/\/chat\/rooms$/);
  await expectSignedIn(b.page, 'Bea');
});
