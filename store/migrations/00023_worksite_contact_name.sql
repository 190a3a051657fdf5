-- The worksite's contact name (DOMAIN "Worksites": contact), given at
-- registration and shown to the enrolment team. Optional: worksites
-- registered before it have none.

-- +goose Up
ALTER TABLE worksites ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE worksites DROP COLUMN contact_name;
