-- LearningHub callbacks: every accepted event, stored before the callback
-- is answered, so none is lost when its delivery to the person's workflow
-- fails or the person has no account yet. event_id is LearningHub's own
-- key: a redelivered event finds its row and is acknowledged as a
-- duplicate. delivered_at is NULL until the event reached the workflow of
-- subject (or was found not to concern CareConnect).

-- +goose Up
CREATE TABLE learninghub_events (
    event_id       TEXT PRIMARY KEY,
    type           TEXT NOT NULL,
    course_code    TEXT NOT NULL,
    email          TEXT NOT NULL,
    learninghub_id TEXT NOT NULL DEFAULT '',
    occurred_at    TIMESTAMP NOT NULL,
    received_at    TIMESTAMP NOT NULL,
    body           TEXT NOT NULL,
    delivered_at   TIMESTAMP NULL,
    subject        TEXT NOT NULL DEFAULT ''
);
-- Pending events of an email, looked up when its account registers.
CREATE INDEX learninghub_events_email_delivered ON learninghub_events (email, delivered_at);

-- +goose Down
DROP TABLE learninghub_events;
