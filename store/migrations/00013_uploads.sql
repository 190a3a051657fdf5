-- Staged uploads (issue 13: one owner per write). A declaration's
-- screenshot is too big for a workflow's history, so the API stores the
-- validated upload here (not a business row: keyed by a random ID), then
-- sends the sign-declaration update with the upload's ID. The worksite
-- workflow's projection write makes the declaration row from it and
-- deletes it, in one transaction. An upload no workflow claimed (the
-- update was refused, or never reached its workflow) is swept by the
-- worker's relay once it is older than an hour.

-- +goose Up
CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    worksite_id     TEXT NOT NULL,
    content         BYTEA NOT NULL,
    content_type    TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX uploads_created ON uploads (created_at);

-- +goose Down
DROP TABLE uploads;
