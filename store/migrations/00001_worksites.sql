-- Worksites, their status projection, declarations, the email log and the
-- audit trail. Types are chosen to mean the same in PostgreSQL and SQLite.

-- +goose Up
CREATE TABLE worksites (
    id                  VARCHAR(7) PRIMARY KEY,
    name                TEXT NOT NULL,
    phone               TEXT NOT NULL,
    extension           TEXT NOT NULL DEFAULT '',
    email               TEXT NOT NULL,
    unit                TEXT NOT NULL DEFAULT '',
    street_number       TEXT NOT NULL,
    street_name         TEXT NOT NULL,
    city                TEXT NOT NULL,
    province            TEXT NOT NULL,
    postal_code         TEXT NOT NULL,
    address_key         TEXT NOT NULL,
    unit_key            TEXT NOT NULL DEFAULT '',
    location_type       TEXT NOT NULL,
    sub_option          TEXT NOT NULL DEFAULT '',
    other_description   TEXT NOT NULL DEFAULT '',
    emr                 TEXT NOT NULL,
    admin_name          TEXT NOT NULL,
    admin_email         TEXT NOT NULL,
    registered_at       TIMESTAMP NOT NULL,
    -- The status projection, written by the worksite workflow.
    state               TEXT NOT NULL DEFAULT 'registering',
    waiting_on          TEXT NOT NULL DEFAULT '',
    waiting_since       TIMESTAMP NULL,
    next_milestone_kind TEXT NOT NULL DEFAULT '',
    next_milestone_at   TIMESTAMP NULL,
    stalled             BOOLEAN NOT NULL DEFAULT FALSE,
    escalated           BOOLEAN NOT NULL DEFAULT FALSE,
    breached            BOOLEAN NOT NULL DEFAULT FALSE,
    status_json         TEXT NOT NULL DEFAULT '{}',
    status_seq          INTEGER NOT NULL DEFAULT 0,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX worksites_address_unit ON worksites (address_key, unit_key);
CREATE INDEX worksites_state_since ON worksites (state, waiting_since);

CREATE TABLE declarations (
    worksite_id       VARCHAR(7) PRIMARY KEY REFERENCES worksites (id) ON DELETE CASCADE,
    signer_name       TEXT NOT NULL,
    signer_title      TEXT NOT NULL,
    signer_email      TEXT NOT NULL DEFAULT '',
    attestations      TEXT NOT NULL,
    screenshot        BYTEA NOT NULL,
    screenshot_type   TEXT NOT NULL,
    screenshot_sha256 TEXT NOT NULL,
    signed_at         TIMESTAMP NOT NULL,
    request_id        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE email_log (
    idempotency_key TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipients      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP NULL
);

CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    worksite_id TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_subject_at ON audit_events (subject, at);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE email_log;
DROP TABLE declarations;
DROP TABLE worksites;
