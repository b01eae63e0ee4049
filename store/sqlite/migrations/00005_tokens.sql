-- Personal access tokens: what a program (a bot, a native app) signs in
-- with as a person, instead of their password.
--
-- digest is the SHA-256 of the token's secret: the secret itself is
-- never stored. AUTOINCREMENT, so that the ID of a revoked token is never
-- given to a new one: a connection keeps its token's ID as its session
-- key (chat.TokenSession), and a hub that missed the revocation checks
-- it again by that ID.

-- +goose Up
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    digest     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    -- NULL until the token is first used.
    last_used  INTEGER
) STRICT;
CREATE UNIQUE INDEX tokens_digest ON tokens (digest);
-- A person's tokens, newest first.
CREATE INDEX tokens_by_user ON tokens (user_id, id);

-- +goose Down
DROP TABLE tokens;
