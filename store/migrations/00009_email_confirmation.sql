-- Email ownership (DOMAIN "Account fields"): an account's address binds
-- LearningHub events and invitations only once its owner has used the
-- signed link sent to it, and a changed address is held as pending until
-- its own link is used, the confirmed one staying in force meanwhile.
--
-- email_nonce names the one link that may confirm the address awaiting
-- confirmation (pending_email, or email while email_confirmed_at is NULL);
-- a change of address gives a new nonce, so the old address's links stop
-- working. email_confirmed_nonce is the link that confirmed the address in
-- force, so that a replay of it answers "already confirmed".
--
-- Uniqueness moves from every address to confirmed ones: an unconfirmed
-- claim binds nothing and must not keep an address from its owner.
-- Accounts registered before this migration start unconfirmed: their
-- addresses were never proved, and the portal offers them a link.
--
-- learninghub_id is bound at the first LearningHub event delivered to the
-- account by its confirmed address; later events with that ID reach the
-- account whatever address they carry.

-- +goose Up
ALTER TABLE accounts ADD COLUMN email_confirmed_at TIMESTAMP NULL;
ALTER TABLE accounts ADD COLUMN pending_email TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN email_nonce TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN email_confirmed_nonce TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN email_links_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN learninghub_id TEXT NOT NULL DEFAULT '';
DROP INDEX accounts_email;
CREATE INDEX accounts_email ON accounts (email);
CREATE UNIQUE INDEX accounts_confirmed_email ON accounts (email) WHERE email_confirmed_at IS NOT NULL;
CREATE UNIQUE INDEX accounts_learninghub_id ON accounts (learninghub_id) WHERE learninghub_id <> '';
-- Pending events of a learner, looked up by learningHubId as well as by email.
CREATE INDEX learninghub_events_learner_delivered ON learninghub_events (learninghub_id, delivered_at);

-- +goose Down
-- Going down fails while two accounts share an address (an unconfirmed
-- claim beside a confirmed one): the old unique index cannot hold them.
DROP INDEX learninghub_events_learner_delivered;
DROP INDEX accounts_learninghub_id;
DROP INDEX accounts_confirmed_email;
DROP INDEX accounts_email;
CREATE UNIQUE INDEX accounts_email ON accounts (email);
ALTER TABLE accounts DROP COLUMN learninghub_id;
ALTER TABLE accounts DROP COLUMN email_links_sent;
ALTER TABLE accounts DROP COLUMN email_confirmed_nonce;
ALTER TABLE accounts DROP COLUMN email_nonce;
ALTER TABLE accounts DROP COLUMN pending_email;
ALTER TABLE accounts DROP COLUMN email_confirmed_at;
