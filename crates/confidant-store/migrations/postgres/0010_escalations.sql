-- Matters escalated to a safeguarding officer (PostgreSQL). Keep in step
-- with ../sqlite, which explains the columns.

CREATE TABLE escalations (
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    matter_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    to_user    TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    mac        BYTEA NOT NULL
);
CREATE INDEX escalations_matter ON escalations (matter_id, seq);
CREATE INDEX escalations_to_user ON escalations (to_user, seq);
-- A matter is escalated to the same person once.
CREATE UNIQUE INDEX escalations_once ON escalations (matter_id, to_user);

-- confidant_append_only() is defined in 0004.
CREATE TRIGGER escalations_append_only BEFORE UPDATE ON escalations
    FOR EACH ROW EXECUTE FUNCTION confidant_append_only();
