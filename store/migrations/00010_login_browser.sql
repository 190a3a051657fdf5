-- A pending sign-in is bound to the browser that started it: login_states
-- keeps the SHA-256 of that browser's pre-login cookie, and the callback
-- completes only with the same cookie (login CSRF, issue 12 M3). Pending
-- sign-ins from before have no binding and are dropped; they last ten
-- minutes anyway.

-- +goose Up
DELETE FROM login_states;
ALTER TABLE login_states ADD COLUMN browser_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE login_states DROP COLUMN browser_hash;
