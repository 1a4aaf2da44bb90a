-- 0003 (issue 8, part B): an anchored audit log and destruction that a
-- backup cannot undo. Keep in step with ../postgres.

-- The checkpoint's Ed25519 signature (SignedHead over count, head hash and
-- the public key); NULL only for a store from before signing began, until
-- its first open with a signing key.
ALTER TABLE audit_state ADD COLUMN sig BLOB;
-- The key-encryption-key generation every data key is wrapped under
-- (0: the version 1 wrap under the master key). Changed only by a
-- destruction, in the same transaction as the re-wrapping; kept in the
-- writer-lock row so every writer sees it in the statement that locks.
ALTER TABLE audit_state ADD COLUMN kek_gen INTEGER NOT NULL DEFAULT 0;

-- Destruction certificates, sealed under a service key (the client's own
-- key is gone) with AAD (table, column, certificate id, client id), and
-- signed with the audit signing key. client_id is a random id, kept so the
-- certificate can be found; audit_seq is the client.destroy entry.
CREATE TABLE destruction_certificates (
    seq       INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    audit_seq INTEGER NOT NULL,
    sealed    BLOB NOT NULL,
    sig       BLOB NOT NULL
);
CREATE INDEX destruction_certificates_client ON destruction_certificates (client_id);
