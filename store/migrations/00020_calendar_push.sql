-- The business calendar last pushed to the running enrolments of a task
-- queue (issue 16). The worker compares the configured calendar's
-- fingerprint with this row at start-up and, when they differ, sends the
-- calendar to every running workflow, then records it here; the workflows
-- ignore a calendar they already have, so a push cut short is simply made
-- again. calendar is the domain.Calendar pushed, as JSON.
--
-- Numbered 20 to leave 13-19 to the migrations of work merged alongside.

-- +goose Up
CREATE TABLE calendar_pushes (
    task_queue  TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    calendar    TEXT NOT NULL,
    workflows   INTEGER NOT NULL,
    pushed_at   TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE calendar_pushes;
