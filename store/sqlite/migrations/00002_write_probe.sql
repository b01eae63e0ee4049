-- write_probe is where the readiness check, once a write has found the
-- disk full, stores a row and deletes it again in one transaction, to
-- learn whether the store can write again. It is always empty.

-- +goose Up
CREATE TABLE write_probe (
    filler BLOB NOT NULL
) STRICT;

-- +goose Down
DROP TABLE write_probe;
