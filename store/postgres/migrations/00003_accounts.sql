-- Accounts, private and direct rooms, their members, sessions, one-time
-- links and the administrators' audit log.
--
-- An account is a user with an email; the people of open mode stay users
-- without one. Every room there is becomes an open room.
--
-- A direct room has no name of its own: its name is '' and its name_key
-- "direct:" and its members' sorted IDs, unique in an index of its own,
-- so that it can never clash with a room someone named. The names of
-- open and private rooms stay unique through the other.

-- +goose Up
ALTER TABLE users
    ADD COLUMN email         text,
    -- chat.EmailKey of email, computed by the Go side.
    ADD COLUMN email_key     text,
    -- The password's argon2id hash in PHC form; '' for open-mode people.
    ADD COLUMN password_hash text        NOT NULL DEFAULT '',
    ADD COLUMN admin         boolean     NOT NULL DEFAULT false,
    ADD COLUMN deactivated   boolean     NOT NULL DEFAULT false,
    -- The migration's time for the people who came before this column.
    ADD COLUMN created_at    timestamptz NOT NULL DEFAULT now();
-- Partial, so that the open-mode people, who may be many, stay out of
-- the indexes of accounts.
CREATE UNIQUE INDEX users_email_key ON users (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX users_accounts ON users (id) WHERE email_key IS NOT NULL;

ALTER TABLE rooms
    ADD COLUMN kind       text    NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'private', 'direct')),
    -- NULL for the rooms the server made and for open mode.
    ADD COLUMN created_by bigint  REFERENCES users (id),
    ADD COLUMN archived   boolean NOT NULL DEFAULT false,
    DROP CONSTRAINT rooms_name_key_key,
    -- The room list is in order of name_key as Go orders strings, byte by
    -- byte, on every server: "C" rather than the database's collation,
    -- which may follow a locale's rules.
    ALTER COLUMN name_key TYPE text COLLATE "C";
-- The names of open and private rooms share one namespace.
CREATE UNIQUE INDEX rooms_name_key ON rooms (name_key) WHERE kind <> 'direct';
-- One direct room per set of people.
CREATE UNIQUE INDEX rooms_direct_key ON rooms (name_key) WHERE kind = 'direct';
-- The room list: a page of each kind in order of name, read from here
-- without sorting the rooms (see RoomsFor).
CREATE INDEX rooms_by_kind_name ON rooms (kind, name_key, id);
-- Statistics of kind now, rather than at autovacuum's next pass: without
-- them the planner may take the room list for a short one, and sort all
-- of it for each page instead of reading the page from the index.
ANALYZE rooms;

-- The people added to private and direct rooms; open rooms have none.
CREATE TABLE room_members (
    room_id bigint NOT NULL REFERENCES rooms (id),
    user_id bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (room_id, user_id)
);
-- The rooms of a person.
CREATE INDEX room_members_by_user ON room_members (user_id, room_id);

-- id is the SHA-256 of the session's token: the token itself is never
-- stored.
CREATE TABLE sessions (
    id         text        PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id),
    device     text        NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id, last_seen);

-- One-time links (setup, invitation, password reset), by the digest of
-- their token. user_id is 0 for the setup link, which is for nobody yet.
CREATE TABLE links (
    digest     text        PRIMARY KEY,
    user_id    bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX links_by_user ON links (user_id);

-- The actor's name as it was then, so that the log reads the same after
-- a rename.
CREATE TABLE audit (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor_id   bigint      NOT NULL,
    actor_name text        NOT NULL,
    action     text        NOT NULL,
    subject    text        NOT NULL
);

-- +goose Down
DROP TABLE audit;
DROP TABLE links;
DROP TABLE sessions;
DROP TABLE room_members;

-- The first schema has no direct rooms: they go, with their messages.
-- Private rooms become open ones.
DELETE FROM messages WHERE room_id IN (SELECT id FROM rooms WHERE kind = 'direct');
DELETE FROM rooms WHERE kind = 'direct';
DROP INDEX rooms_by_kind_name;
DROP INDEX rooms_direct_key;
DROP INDEX rooms_name_key;
ALTER TABLE rooms
    ALTER COLUMN name_key TYPE text COLLATE "default",
    ADD CONSTRAINT rooms_name_key_key UNIQUE (name_key),
    DROP COLUMN archived,
    DROP COLUMN created_by,
    DROP COLUMN kind;

DROP INDEX users_accounts;
DROP INDEX users_email_key;
ALTER TABLE users
    DROP COLUMN created_at,
    DROP COLUMN deactivated,
    DROP COLUMN admin,
    DROP COLUMN password_hash,
    DROP COLUMN email_key,
    DROP COLUMN email;
