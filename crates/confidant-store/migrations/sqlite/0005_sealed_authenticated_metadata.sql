-- 0005 (issue 8, part A): sensitive metadata sealed, every decision-relevant
-- row authenticated, a missing row detected. Keep in step with ../postgres.
--
-- SQL cannot seal (it has no keys), so this migration only adds the new
-- columns; the store's first open with write access after it seals the
-- old plaintext columns row by row into meta_ct, blanks them (flags 0,
-- vocabularies '', times 0 or NULL), rewrites the links as keyed digests,
-- computes every row MAC, client digest and the manifest, all in one
-- transaction, and records meta.records_format = 2. Until then nothing is
-- read from a store in the old format (reads say "upgrade pending").

-- meta_ct: the row's sensitive facts, sealed under the client's data key
-- with AAD (table, 'meta_ct', row id, client id). mac: HMAC-SHA256 under
-- HKDF(master, "confidant/v3/records") over the table, row id, client id
-- and every stored column of the row; checked on every read.
ALTER TABLE clients ADD COLUMN meta_ct BLOB;
ALTER TABLE clients ADD COLUMN mac BLOB;
ALTER TABLE notes ADD COLUMN meta_ct BLOB;
ALTER TABLE notes ADD COLUMN mac BLOB;
ALTER TABLE consents ADD COLUMN meta_ct BLOB;
ALTER TABLE consents ADD COLUMN mac BLOB;
ALTER TABLE legal_holds ADD COLUMN meta_ct BLOB;
ALTER TABLE legal_holds ADD COLUMN mac BLOB;
-- A case's parties, sealed under HKDF(master, "confidant/v3/case-parties").
ALTER TABLE cases ADD COLUMN parties_ct BLOB;
ALTER TABLE cases ADD COLUMN mac BLOB;

-- Links hold keyed digests, not client ids: party = hex(HMAC-SHA256(
-- HKDF(master, "confidant/v3/links"), table || row id || client id)), so
-- the table says neither who is in a case or note nor which rows share a
-- person.
ALTER TABLE case_parties RENAME COLUMN client_id TO party;
ALTER TABLE note_parties RENAME COLUMN client_id TO party;

-- One MAC per client over the set of its rows (table, row id, row MAC),
-- updated in the same transaction as every write; '~cases' covers cases
-- and their links. A deleted, added or replayed row disagrees with it.
CREATE TABLE client_digests (
    client_id TEXT PRIMARY KEY NOT NULL,
    digest    BLOB NOT NULL
);

-- The store manifest (a MAC over every client digest) and its Ed25519
-- signature together with the checkpoint's count and head hash.
ALTER TABLE audit_state ADD COLUMN manifest BLOB;
ALTER TABLE audit_state ADD COLUMN manifest_sig BLOB;
