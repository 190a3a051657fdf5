-- Only a live worksite holds its address (issue 14): a lapsed, rejected or
-- closed worksite frees its (address, unit) pair for a new registration,
-- which DOMAIN's lapse email promises ("register it again"). The unique
-- index becomes partial over the live states; a plain index on the same
-- columns keeps serving address search (SQLite's range query) and the
-- ended rows. The ended states are domain.EndedWorksiteStates.

-- +goose Up
DROP INDEX worksites_address_unit;
CREATE INDEX worksites_address_unit ON worksites (address_key, unit_key);
CREATE UNIQUE INDEX worksites_live_address_unit ON worksites (address_key, unit_key)
    WHERE state NOT IN ('rejected', 'lapsed', 'closed');

-- +goose Down
DROP INDEX worksites_live_address_unit;
DROP INDEX worksites_address_unit;
CREATE UNIQUE INDEX worksites_address_unit ON worksites (address_key, unit_key);
