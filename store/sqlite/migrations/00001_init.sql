-- The first schema of hxchat. Times are INTEGER unix nanoseconds in UTC,
-- so they sort as numbers and round-trip to the nanosecond. STRICT makes
-- SQLite refuse a value of the wrong type instead of storing it anyway.

-- +goose Up
CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NOCASE folds ASCII only; name_key holds the Go-lowercased name so
    -- that "Café" and "CAFÉ" clash too, as chat.Store promises.
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name_key   TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

-- AUTOINCREMENT never hands out an id twice, so "member7" stays unique
-- even if the newest member row were ever deleted.
CREATE TABLE users (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT    NOT NULL
) STRICT;

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    room_id     INTEGER NOT NULL REFERENCES rooms (id),
    seq         INTEGER NOT NULL,
    author_id   INTEGER NOT NULL,
    author_name TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    -- NULL when the message came without a token: NULLs never clash in a
    -- UNIQUE constraint, so such messages are never taken for resends.
    token       TEXT,
    created_at  INTEGER NOT NULL,
    -- Also the index behind max(seq), paging and the room_id foreign key.
    UNIQUE (room_id, seq),
    UNIQUE (room_id, token)
) STRICT;

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE secrets;
DROP TABLE messages;
DROP TABLE users;
DROP TABLE rooms;
