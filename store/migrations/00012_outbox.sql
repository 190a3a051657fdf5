-- The transactional outbox of the workflows' effects (issue 13). The
-- projection write of a workflow task stores the emails and member notices
-- the task queued in the same transaction as the change that caused them,
-- so each exists exactly when that change committed; the worker's relay
-- sends them afterwards.
--
-- email_log keeps one row per email event, keyed by its idempotency key.
-- payload is what the workflow asked for (domain.Email as JSON: the kind,
-- the worksite or person, who to send it to or how to find them, the
-- template's inputs); the relay renders it when it sends, against the
-- worksite and the account as they are then, and records the recipients
-- and subject it sent to. status is pending (waiting, or retrying:
-- attempts and last_error say how it went), sent, or failed (for good).
-- next_attempt_at is when the relay may next claim the row: a claim moves
-- it one lease ahead, a failed attempt by the back-off. Rows logged before
-- the outbox have no payload and no next attempt; the relay never claims them.
--
-- notice_outbox holds the member notices a worksite's workflow sends to
-- people's workflows (a signal to the workflow of subject each), with the
-- same life; seq orders one worksite's notices.

-- +goose Up
ALTER TABLE email_log ADD COLUMN payload TEXT NOT NULL DEFAULT '';
ALTER TABLE email_log ADD COLUMN next_attempt_at TIMESTAMP NULL;
CREATE INDEX email_log_due ON email_log (next_attempt_at) WHERE status = 'pending';

CREATE TABLE notice_outbox (
    idempotency_key TEXT PRIMARY KEY,
    subject         TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NULL,
    sent_at         TIMESTAMP NULL
);
CREATE INDEX notice_outbox_due ON notice_outbox (next_attempt_at) WHERE status = 'pending';

-- The relay looks for pending LearningHub events that an account can now take.
CREATE INDEX learninghub_events_pending ON learninghub_events (received_at) WHERE delivered_at IS NULL;

-- +goose Down
DROP INDEX learninghub_events_pending;
DROP INDEX notice_outbox_due;
DROP TABLE notice_outbox;
DROP INDEX email_log_due;
ALTER TABLE email_log DROP COLUMN next_attempt_at;
ALTER TABLE email_log DROP COLUMN payload;
