-- What the service promised and did, on the record (PostgreSQL). Keep in
-- step with ../sqlite, which explains the columns.

CREATE TABLE promises (
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    client_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    ref_id     TEXT,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    body_ct    BYTEA NOT NULL
);
CREATE INDEX promises_client ON promises (client_id, seq);
CREATE INDEX promises_kind ON promises (kind, client_id);
-- A complaint is closed once.
CREATE UNIQUE INDEX promises_closed_once ON promises (ref_id) WHERE kind = 'complaint-closed';

CREATE TABLE policy_reviews (
    seq           BIGSERIAL PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    policy_name   TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    reviewed_on   TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    mac           BYTEA NOT NULL
);
CREATE INDEX policy_reviews_name ON policy_reviews (policy_name, seq);

-- confidant_append_only() is defined in 0004.
CREATE TRIGGER promises_append_only BEFORE UPDATE ON promises
    FOR EACH ROW EXECUTE FUNCTION confidant_append_only();
CREATE TRIGGER policy_reviews_append_only BEFORE UPDATE OR DELETE ON policy_reviews
    FOR EACH ROW EXECUTE FUNCTION confidant_append_only();
