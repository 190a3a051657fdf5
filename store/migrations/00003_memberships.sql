-- Memberships: the projection of each worksite's members, join requests
-- and invitations, written by the worksite workflow. The whole projection
-- is kept as JSON on the worksite (what the portal shows); the members are
-- also rows so that "who administers this worksite" and "which worksites is
-- this person at" are indexed queries. Types mean the same in PostgreSQL
-- and SQLite.
--
-- The address prefix search index is version 4, a Go migration registered
-- in store.Migrate: PostgreSQL needs text_pattern_ops, which SQLite lacks.

-- +goose Up
CREATE TABLE memberships (
    worksite_id     VARCHAR(7) NOT NULL REFERENCES worksites (id) ON DELETE CASCADE,
    subject         TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    profession      TEXT NOT NULL DEFAULT '',
    user_type       TEXT NOT NULL DEFAULT '',
    admin           BOOLEAN NOT NULL DEFAULT FALSE,
    active          BOOLEAN NOT NULL DEFAULT FALSE,
    since           TIMESTAMP NOT NULL,
    ends_at         TIMESTAMP NULL,
    inactive_since  TIMESTAMP NULL,
    inactive_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (worksite_id, subject)
);
CREATE INDEX memberships_subject_active ON memberships (subject, active);

-- '{}' means "not projected yet": SaveMembership always writes the three lists.
ALTER TABLE worksites ADD COLUMN membership_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE worksites ADD COLUMN membership_seq INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE worksites DROP COLUMN membership_seq;
ALTER TABLE worksites DROP COLUMN membership_json;
DROP TABLE memberships;
