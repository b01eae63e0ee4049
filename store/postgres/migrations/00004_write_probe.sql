-- write_probe is where the readiness check, once a write has found the
-- disk full, stores a row and deletes it again in one transaction, to
-- learn whether the store can write again. It is always empty.
--
-- filler is kept out of line and uncompressed (STORAGE EXTERNAL): the
-- probe's bytes are all zero, which TOAST would otherwise compress to a
-- few dozen, asking the disk for next to nothing. (PostgreSQL 16 could
-- say so in CREATE TABLE; 15 needs the ALTER.)

-- +goose Up
CREATE TABLE write_probe (
    filler bytea NOT NULL
);
ALTER TABLE write_probe ALTER COLUMN filler SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE write_probe;
