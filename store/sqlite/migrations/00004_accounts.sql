-- Accounts, private and direct rooms, their members, sessions, one-time
-- links and the administrators' audit log.
--
-- An account is a user with an email; the people of open mode stay users
-- without one. Every room there is becomes an open room.
--
-- rooms is rebuilt rather than altered: its first schema made name UNIQUE
-- for every room, and a direct room has no name of its own. Names stay
-- unique through name_key, which the Go side computes with chat.NameKey,
-- as before; a direct room's name_key is "direct:" and its members'
-- sorted IDs, unique in an index of its own, so that it can never clash
-- with a room someone named.

-- +goose Up
-- Dropping rooms deletes its rows first, which leaves every message
-- without its room until the copies are back; deferred, the foreign keys
-- are checked at COMMIT instead, when each message has its room again.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE rooms_copy AS SELECT id, name, name_key, created_at FROM rooms;
-- Dropping the table forgets its AUTOINCREMENT counter too.
CREATE TABLE rooms_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'rooms';
DROP TABLE rooms;

CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- '' for a direct room, which its members name.
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    kind       TEXT    NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'private', 'direct')),
    -- NULL for the rooms the server made and for open mode.
    created_by INTEGER REFERENCES users (id),
    archived   INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
) STRICT;

INSERT INTO rooms (id, name, name_key, created_at)
    SELECT id, name, name_key, created_at FROM rooms_copy;
UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM rooms_sequence))
    WHERE name = 'rooms';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'rooms', seq FROM rooms_sequence
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'rooms');
DROP TABLE rooms_sequence;
DROP TABLE rooms_copy;

-- The names of open and private rooms share one namespace.
CREATE UNIQUE INDEX rooms_name_key ON rooms (name_key) WHERE kind <> 'direct';
-- One direct room per set of people.
CREATE UNIQUE INDEX rooms_direct_key ON rooms (name_key) WHERE kind = 'direct';
-- The room list: a page of each kind in order of name, read from here
-- without sorting the rooms (see RoomsFor).
CREATE INDEX rooms_by_kind_name ON rooms (kind, name_key, id);

ALTER TABLE users ADD COLUMN email TEXT;
-- chat.EmailKey of email, computed by the Go side.
ALTER TABLE users ADD COLUMN email_key TEXT;
-- The password's argon2id hash in PHC form; '' for open-mode people.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));
ALTER TABLE users ADD COLUMN deactivated INTEGER NOT NULL DEFAULT 0 CHECK (deactivated IN (0, 1));
-- 0 for the people who came before this column.
ALTER TABLE users ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
-- Partial, so that the open-mode people, who may be many, stay out of
-- the indexes of accounts.
CREATE UNIQUE INDEX users_email_key ON users (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX users_accounts ON users (id) WHERE email_key IS NOT NULL;

-- The people added to private and direct rooms; open rooms have none.
CREATE TABLE room_members (
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
-- The rooms of a person.
CREATE INDEX room_members_by_user ON room_members (user_id, room_id);

-- id is the SHA-256 of the session's token: the token itself is never
-- stored.
CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    device     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id, last_seen);

-- One-time links (setup, invitation, password reset), by the digest of
-- their token. user_id is 0 for the setup link, which is for nobody yet.
CREATE TABLE links (
    digest     TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX links_by_user ON links (user_id);

-- The actor's name as it was then, so that the log reads the same after
-- a rename.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor_id   INTEGER NOT NULL,
    actor_name TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    subject    TEXT    NOT NULL
) STRICT;

-- +goose Down
DROP TABLE audit;
DROP TABLE links;
DROP TABLE sessions;
DROP TABLE room_members;

DROP INDEX users_accounts;
DROP INDEX users_email_key;
ALTER TABLE users DROP COLUMN created_at;
ALTER TABLE users DROP COLUMN deactivated;
ALTER TABLE users DROP COLUMN admin;
ALTER TABLE users DROP COLUMN password_hash;
ALTER TABLE users DROP COLUMN email_key;
ALTER TABLE users DROP COLUMN email;

-- The first schema has no direct rooms: they go, with their messages.
-- Private rooms become open ones.
DELETE FROM messages WHERE room_id IN (SELECT id FROM rooms WHERE kind = 'direct');
DELETE FROM rooms WHERE kind = 'direct';

PRAGMA defer_foreign_keys = ON;
CREATE TABLE rooms_copy AS SELECT id, name, name_key, created_at FROM rooms;
CREATE TABLE rooms_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'rooms';
DROP TABLE rooms;
CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name_key   TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;
INSERT INTO rooms (id, name, name_key, created_at)
    SELECT id, name, name_key, created_at FROM rooms_copy;
UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM rooms_sequence))
    WHERE name = 'rooms';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'rooms', seq FROM rooms_sequence
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'rooms');
DROP TABLE rooms_sequence;
DROP TABLE rooms_copy;
