-- Identity and accounts: sign-in states, server-side sessions, people
-- (one per BC Services Card subject), their HxBC accounts, and who
-- administers each worksite.

-- +goose Up
CREATE TABLE login_states (
    state      TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    return_to  TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    role        TEXT NOT NULL,
    given_name  TEXT NOT NULL DEFAULT '',
    family_name TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    ial         INTEGER NOT NULL DEFAULT 0,
    csrf_token  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- people: one row per identity, created at first sign-in. Legal names come
-- from the identity token and are never edited here.
CREATE TABLE people (
    subject       TEXT PRIMARY KEY,
    legal_first   TEXT NOT NULL,
    legal_last    TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'identity_validated',
    waiting_on    TEXT NOT NULL DEFAULT '',
    status_json   TEXT NOT NULL DEFAULT '{}',
    status_seq    INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE accounts (
    subject              TEXT PRIMARY KEY REFERENCES people (subject) ON DELETE CASCADE,
    username             TEXT NOT NULL,
    username_key         TEXT NOT NULL,
    email                TEXT NOT NULL,
    preferred_first      TEXT NOT NULL DEFAULT '',
    preferred_last       TEXT NOT NULL DEFAULT '',
    profession           TEXT NOT NULL,
    profession_ids       TEXT NOT NULL DEFAULT '{}',
    phone                TEXT NOT NULL,
    mobile               TEXT NOT NULL DEFAULT '',
    ha_network_account   BOOLEAN NOT NULL,
    password_hash        TEXT NOT NULL,
    password_changed_at  TIMESTAMP NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key);
CREATE UNIQUE INDEX accounts_email ON accounts (email);

ALTER TABLE worksites ADD COLUMN admin_subject TEXT NOT NULL DEFAULT '';
CREATE INDEX worksites_admin_subject ON worksites (admin_subject);

-- +goose Down
DROP INDEX worksites_admin_subject;
ALTER TABLE worksites DROP COLUMN admin_subject;
DROP TABLE accounts;
DROP TABLE people;
DROP TABLE sessions;
DROP TABLE login_states;
