-- Access applications as projected by the user workflows: the enrolment
-- team's provisioning queue reads this table.

-- +goose Up
CREATE TABLE applications (
    subject       TEXT NOT NULL,
    worksite_id   VARCHAR(7) NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    profession    TEXT NOT NULL DEFAULT '',
    location_type TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    submitted_at  TIMESTAMP NOT NULL,
    ready_since   TIMESTAMP NULL,
    app_json      TEXT NOT NULL,
    seq           INTEGER NOT NULL DEFAULT 0,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (subject, worksite_id)
);
CREATE INDEX applications_state_ready ON applications (state, ready_since);

-- +goose Down
DROP TABLE applications;
