-- Matters, their steps, and the accounting of disclosures (PostgreSQL).
-- Keep in step with ../sqlite, which explains the columns.

CREATE TABLE matters (
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    client_id  TEXT NOT NULL,
    case_id    TEXT,
    opened_at  BIGINT NOT NULL,
    opened_by  TEXT NOT NULL,
    closed_at  BIGINT,
    body_ct    BYTEA NOT NULL
);
CREATE INDEX matters_client ON matters (client_id, seq);

CREATE TABLE matter_events (
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    matter_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    body_ct    BYTEA NOT NULL,
    mac        BYTEA NOT NULL
);
CREATE INDEX matter_events_matter ON matter_events (matter_id, seq);
CREATE INDEX matter_events_client ON matter_events (client_id);

CREATE TABLE disclosures (
    seq           BIGSERIAL PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    client_id     TEXT NOT NULL,
    matter_id     TEXT NOT NULL,
    package_id    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    at            BIGINT NOT NULL,
    manifest_hash TEXT NOT NULL,
    body_ct       BYTEA NOT NULL
);
CREATE INDEX disclosures_client ON disclosures (client_id, seq);

CREATE FUNCTION confidant_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER matter_events_append_only BEFORE UPDATE ON matter_events
    FOR EACH ROW EXECUTE FUNCTION confidant_append_only();
CREATE TRIGGER disclosures_append_only BEFORE UPDATE ON disclosures
    FOR EACH ROW EXECUTE FUNCTION confidant_append_only();
