-- The team's queue pages with a cursor (issue 14): its order needs a
-- unique tiebreak, and an application is one person's at one worksite, so
-- the queue index ends with the worksite ID after the subject.

-- +goose Up
DROP INDEX applications_queue;
CREATE INDEX applications_queue ON applications (state, ready_since, submitted_at, subject, worksite_id);

-- +goose Down
DROP INDEX applications_queue;
CREATE INDEX applications_queue ON applications (state, ready_since, submitted_at, subject);
