-- A person's workflow tells their worksites' workflows that their
-- profession, name or email changed (issue 14: a correction updates the
-- membership everywhere; worksite records carry the current contact). Those
-- member profile notices share notice_outbox with the member notices a
-- worksite sends its people, and its life; kind tells them apart:
-- 'membership' (to the workflow of subject) or 'profile' (from the person
-- subject to the workflow of each worksite where they are a member or have
-- asked to join).

-- +goose Up
ALTER TABLE notice_outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'membership';

-- +goose Down
ALTER TABLE notice_outbox DROP COLUMN kind;
