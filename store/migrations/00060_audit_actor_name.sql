-- The team's audit timeline names who acted (issue 15), not their subject
-- ID: the API records the actor's name with each row it writes, as it was
-- then. Older rows, and the rows workflows record, have none; they are
-- named on read from the people and accounts tables.

-- +goose Up
ALTER TABLE audit_events ADD COLUMN actor_name TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_events DROP COLUMN actor_name;
