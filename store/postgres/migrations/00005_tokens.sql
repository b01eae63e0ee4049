-- Personal access tokens: what a program (a bot, a native app) signs in
-- with as a person, instead of their password.
--
-- digest is the SHA-256 of the token's secret: the secret itself is
-- never stored. The identity column never hands out an ID twice, so a
-- revoked token's ID never names a new one: a connection keeps its
-- token's ID as its session key (chat.TokenSession), and a hub that
-- missed the revocation checks it again by that ID.

-- +goose Up
CREATE TABLE tokens (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id),
    name       text        NOT NULL,
    digest     text        NOT NULL,
    created_at timestamptz NOT NULL,
    -- NULL until the token is first used.
    last_used  timestamptz
);
CREATE UNIQUE INDEX tokens_digest ON tokens (digest);
-- A person's tokens, newest first.
CREATE INDEX tokens_by_user ON tokens (user_id, id);

-- +goose Down
DROP TABLE tokens;
