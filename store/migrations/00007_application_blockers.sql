-- What each application waits for, as columns: the team's funnel groups by
-- them and an authorizer lists the sponsorship requests at a worksite.

-- +goose Up
ALTER TABLE applications ADD COLUMN blocker TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN waiting_on TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN sponsorship_requested_at TIMESTAMP NULL;
ALTER TABLE applications ADD COLUMN sponsored BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX applications_worksite ON applications (worksite_id, state);

-- +goose Down
DROP INDEX applications_worksite;
ALTER TABLE applications DROP COLUMN sponsored;
ALTER TABLE applications DROP COLUMN sponsorship_requested_at;
ALTER TABLE applications DROP COLUMN waiting_on;
ALTER TABLE applications DROP COLUMN blocker;
