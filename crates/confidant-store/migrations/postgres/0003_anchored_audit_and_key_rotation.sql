-- 0003 (issue 8, part B): an anchored audit log and destruction that a
-- backup cannot undo. Keep in step with ../sqlite (comments there).

ALTER TABLE audit_state ADD COLUMN sig BYTEA;
ALTER TABLE audit_state ADD COLUMN kek_gen BIGINT NOT NULL DEFAULT 0;

CREATE TABLE destruction_certificates (
    seq       BIGSERIAL PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    audit_seq BIGINT NOT NULL,
    sealed    BYTEA NOT NULL,
    sig       BYTEA NOT NULL
);
CREATE INDEX destruction_certificates_client ON destruction_certificates (client_id);
