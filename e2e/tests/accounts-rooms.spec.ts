// Accounts mode: private rooms and their members, and direct
// conversations. Each test has a server of its own with accounts (the
// `server` fixture); Ada sets it up and Bea joins with the invitation
// link.
import type { OwnServer } from '../support/server';
import { enterRoom, log, messages, msg, notice, online, send, sendAlert } from '../support/chat';
import {
  test,
  expect,
  addMember,
  createPrivateRoom,
  invite,
  join,
  members,
  openMembers,
  refused,
  removeMember,
  setUp,
  type Member,
  type Visitors,
} from '../support/accounts';

/** twoPeople sets the server up: Ada, its administrator, and Bea, invited. */
async function twoPeople(server: OwnServer, visitors: Visitors): Promise<{ ada: Member; bea: Member }> {
  const a = await visitors.open();
  const ada = { ...a, ...(await setUp(a.page, server)) };
  const bea = await join(visitors, await invite(ada.page), 'Bea');
  return { ada, bea };
}

/** roomLink is the room list's link to the room called name. */
function roomLink(m: Member, name: string) {
  return m.page.getByRole('main').getByRole('link', { name, exact: true });
}

test('a private room is hidden from others until its creator adds them', async ({ server, visitors }) => {
  // The room and its members page are 404 pages to Bea until she is
  // added; a name nobody has is refused with 422.
  visitors.allow(refused(404, '/chat/rooms/\\d+(/members)?'));
  visitors.allow(refused(422, '/chat/rooms/\\d+/members'));
  const { ada, bea } = await twoPeople(server, visitors);
  const room = await createPrivateRoom(ada.page, 'Secret plans');
  await expect(ada.page.getByRole('link', { name: 'Members', exact: true })).toBeVisible();

  // Ada's list shows it as private; Bea's list does not show it at all.
  await ada.page.goto('/chat/rooms');
  await expect(roomLink(ada, 'Secret plans')).toBeVisible();
  await expect(
    ada.page.getByRole('main').getByRole('listitem').filter({ has: ada.page.getByRole('link', { name: 'Secret plans', exact: true }) }),
  ).toContainText('Private');
  await bea.page.goto('/chat/rooms');
  await expect(bea.page.getByRole('heading', { level: 1, name: 'Rooms' })).toBeVisible();
  await expect(roomLink(bea, 'Secret plans')).toHaveCount(0);

  // Its address is a 404 page to her, as if it did not exist, and so
  // is its members page.
  let res = await bea.page.goto(room);
  expect(res?.status()).toBe(404);
  await expect(bea.page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
  await expect(bea.page.getByText('Secret plans')).toHaveCount(0);
  res = await bea.page.goto(`${room}/members`);
  expect(res?.status()).toBe(404);
  await expect(bea.page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();

  // Ada adds her on the room's "Members" page; a name nobody has is refused.
  await openMembers(ada.page, room);
  await ada.page.getByLabel('Name', { exact: true }).fill('Nobody');
  await ada.page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(ada.page.getByRole('alert')).toHaveText('Nobody with an account is called "Nobody".');
  await expect(ada.page.getByLabel('Name', { exact: true })).toHaveValue('Nobody');
  await addMember(ada.page, room, 'Bea');
  await expect(members(ada.page).getByRole('listitem')).toHaveText([/Ada/, /Bea/]);

  await bea.page.goto('/chat/rooms');
  await roomLink(bea, 'Secret plans').click();
  await expect(bea.page).toHaveURL(new RegExp(`${room}$`));
  await expect(bea.page.getByRole('heading', { level: 1, name: 'Secret plans' })).toBeVisible();

  // Both talk, live.
  await enterRoom(ada.page, room, 'Ada');
  await enterRoom(bea.page, room, 'Bea');
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada', 'Bea']);
  await send(bea.page, 'Thanks for adding me');
  await expect(messages(ada.page)).toHaveText([msg('Bea', 'Thanks for adding me')]);
  await send(ada.page, 'Welcome, Bea');
  const both = [msg('Bea', 'Thanks for adding me'), msg('Ada', 'Welcome, Bea')];
  await expect(messages(bea.page)).toHaveText(both);
  await expect(messages(ada.page)).toHaveText(both);

  // Bea sees the members but may not change them.
  await bea.page.getByRole('link', { name: 'Members', exact: true }).click();
  await expect(members(bea.page).getByRole('listitem')).toHaveText([/Ada/, /Bea/]);
  await expect(bea.page.getByRole('button', { name: /^Remove/ })).toHaveCount(0);
  await expect(bea.page.getByRole('button', { name: 'Add', exact: true })).toHaveCount(0);
});

test("a removed member's open page stops receiving at once", async ({ server, visitors }) => {
  // After her removal the room is a 404 page to Bea.
  visitors.allow(refused(404, '/chat/rooms/\\d+'));
  const { ada, bea } = await twoPeople(server, visitors);
  const room = await createPrivateRoom(ada.page, 'Inner circle');
  await addMember(ada.page, room, 'Bea');
  await enterRoom(ada.page, room, 'Ada');
  await enterRoom(bea.page, room, 'Bea');
  await send(ada.page, 'Before');
  await expect(messages(bea.page)).toHaveText([msg('Ada', 'Before')]);

  // Ada removes Bea from another tab, her room page staying open.
  const manage = await ada.context.newPage();
  await removeMember(manage, room, 'Bea');
  await expect(members(manage).getByRole('listitem')).toHaveText([/Ada/]);

  // Bea's page says so at once, and Ada's sees her go.
  await expect(sendAlert(bea.page)).toHaveText('You are no longer in this room.');
  await expect(online(ada.page).getByRole('listitem')).toHaveText(['Ada']);
  await expect(notice(ada.page, 'Bea left')).toHaveCount(1);

  // A message Ada posts now reaches Ada's page and never Bea's: by the
  // time Ada's page has it, the server has sent it to everyone it was
  // going to.
  await send(ada.page, 'After');
  await expect(messages(ada.page)).toHaveText([msg('Ada', 'Before'), msg('Ada', 'After')]);
  await expect(log(bea.page)).not.toContainText('After');
  await expect(messages(bea.page)).toHaveText([msg('Ada', 'Before')]);

  // The room is gone from her list, and its address is a 404 page.
  await bea.page.goto('/chat/rooms');
  await expect(roomLink(bea, 'Inner circle')).toHaveCount(0);
  const res = await bea.page.goto(room);
  expect(res?.status()).toBe(404);
});

test('a direct conversation: "Message NAME" on /people, listed for the other, live both ways', async ({ server, visitors }) => {
  // The conversation is a 404 page to a third person.
  visitors.allow(refused(404, '/chat/rooms/\\d+'));
  const { ada, bea } = await twoPeople(server, visitors);
  await ada.page.goto('/people');
  await expect(ada.page.getByRole('heading', { level: 1, name: 'People' })).toBeVisible();
  const people = ada.page.getByRole('list', { name: 'People' }).getByRole('listitem');
  await expect(people).toHaveText([/Ada\s*You/, /Bea\s*Message Bea/]);
  await expect(ada.page.getByRole('button', { name: 'Message Ada' })).toHaveCount(0);
  await ada.page.getByRole('button', { name: 'Message Bea', exact: true }).click();
  await expect(ada.page).toHaveURL(/\/chat\/rooms\/\d+$/);
  await expect(ada.page.getByRole('heading', { level: 1, name: 'Bea' })).toBeVisible();
  const room = new URL(ada.page.url()).pathname;

  // One conversation per pair: asking again opens the same one.
  await ada.page.goto('/people');
  await ada.page.getByRole('button', { name: 'Message Bea', exact: true }).click();
  await expect(ada.page).toHaveURL(new RegExp(`${room}$`));

  // Bea finds it under "Direct messages", named after Ada.
  await bea.page.goto('/chat/rooms');
  const direct = bea.page.getByRole('region', { name: 'Direct messages' });
  await expect(direct.getByRole('link')).toHaveText(['Ada']);
  await direct.getByRole('link', { name: 'Ada', exact: true }).click();
  await expect(bea.page).toHaveURL(new RegExp(`${room}$`));
  await expect(bea.page.getByRole('heading', { level: 1, name: 'Ada' })).toBeVisible();
  // Not among the rooms everyone sees.
  await bea.page.goto('/chat/rooms');
  await expect(bea.page.getByRole('region', { name: 'Rooms', exact: true }).getByRole('link', { name: 'Ada', exact: true })).toHaveCount(0);

  await enterRoom(ada.page, room, 'Ada');
  await enterRoom(bea.page, room, 'Bea');
  await send(ada.page, 'Got a minute?');
  await expect(messages(bea.page)).toHaveText([msg('Ada', 'Got a minute?')]);
  await send(bea.page, 'Sure, what is up?');
  const both = [msg('Ada', 'Got a minute?'), msg('Bea', 'Sure, what is up?')];
  await expect(messages(ada.page)).toHaveText(both);
  await expect(messages(bea.page)).toHaveText(both);

  // Nobody else sees it: not listed, and a 404 page at its address.
  const cy = await join(visitors, await invite(ada.page), 'Cy');
  await expect(cy.page.getByRole('heading', { level: 1, name: 'Rooms' })).toBeVisible();
  await expect(cy.page.getByRole('region', { name: 'Direct messages' })).toHaveCount(0);
  const res = await cy.page.goto(room);
  expect(res?.status()).toBe(404);
  await expect(cy.page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
});
