-- The enrolment team's queue at scale: the escalation flag becomes a
-- column so that the queue filters overdue applications in SQL and passes
-- each stored application through without decoding it, and both lists of
-- the queue read an index in the order they are shown.

-- +goose Up
ALTER TABLE applications ADD COLUMN escalated BOOLEAN NOT NULL DEFAULT FALSE;
-- Backfill from the stored JSON. The two dialects share no JSON function
-- (PostgreSQL's ->> against SQLite's json_extract), so match the text
-- json.Marshal wrote: compact, fields in struct order, and "escalated"
-- (added together with "breached", which follows it) appears as a key
-- followed by "breached" only at the top level of an application: maps
-- (answers) sort their keys, so no map holds "escalated" right before
-- "breached", and a quote inside a string is escaped, so no string holds
-- the key pattern ,"escalated": with its unescaped quotes.
UPDATE applications SET escalated = TRUE WHERE app_json LIKE '%,"escalated":true,"breached":%';

-- The queue's order (ListApplications): state, then longest ready first.
-- It extends applications_state_ready, which it replaces.
CREATE INDEX applications_queue ON applications (state, ready_since, submitted_at, subject);
DROP INDEX applications_state_ready;

-- The worksite list's order (ListWorksites): state, then registration.
CREATE INDEX worksites_state_registered ON worksites (state, registered_at, id);

-- +goose Down
DROP INDEX worksites_state_registered;
CREATE INDEX applications_state_ready ON applications (state, ready_since);
DROP INDEX applications_queue;
ALTER TABLE applications DROP COLUMN escalated;
