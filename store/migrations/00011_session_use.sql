-- Sessions record their last use (at most once a minute) so that they end
-- when idle, and when the enrolment team's role was last confirmed with
-- the issuer; a team session keeps the issuer's tokens for that, sealed
-- with a key only the browser's cookie yields (issue 12, L5). Sessions
-- from before have neither and are ended: everyone signs in again once.

-- +goose Up
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
ALTER TABLE sessions ADD COLUMN checked_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
ALTER TABLE sessions ADD COLUMN token_sealed TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_subject ON sessions (subject);

-- +goose Down
DROP INDEX sessions_subject;
ALTER TABLE sessions DROP COLUMN token_sealed;
ALTER TABLE sessions DROP COLUMN checked_at;
ALTER TABLE sessions DROP COLUMN last_seen_at;
