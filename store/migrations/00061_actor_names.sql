-- Who acted, by name (issue 15): the audit records workflows write carry
-- only the actor's subject ID, and members of the enrolment team have no
-- people row to name them by. Each sign-in records the name the identity
-- provider gave, so that the team's audit timeline can show it.

-- +goose Up
CREATE TABLE actor_names (
    subject    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL
);

-- +goose Down
DROP TABLE actor_names;
