-- Display names are unique among people, compared by chat.NameKey (case
-- and compatibility forms folded), which the Go side computes. People who
-- already share a name keep it, but only the first of them holds its key:
-- the others find the name taken if they choose it again.

-- +goose Up
ALTER TABLE users ADD COLUMN name_key TEXT;
UPDATE users SET name_key = lower(name)
    WHERE id IN (SELECT min(id) FROM users GROUP BY lower(name));
CREATE UNIQUE INDEX users_name_key ON users (name_key);

-- +goose Down
DROP INDEX users_name_key;
ALTER TABLE users DROP COLUMN name_key;
