-- Matters, their steps, and the accounting of disclosures (SQLite). Keep in
-- step with ../postgres. Everything about a matter that says anything about
-- the client (what was asked or feared, by whom, the situation, the
-- decision record, package contents) is sealed in body_ct under the
-- client's data key, AAD = (table, 'body_ct', row id, client id). Plaintext
-- columns are ids, times, the acting user and the step's kind.

CREATE TABLE matters (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    client_id  TEXT NOT NULL,
    case_id    TEXT,
    opened_at  INTEGER NOT NULL,
    opened_by  TEXT NOT NULL,
    closed_at  INTEGER,
    body_ct    BLOB NOT NULL
);
CREATE INDEX matters_client ON matters (client_id, seq);

-- Steps are appended, never changed: a signed decision record is corrected
-- by a later `amend` step. `mac` is HMAC-SHA256 (audit key) over the
-- step's canonical content, author and time: the author's signature.
CREATE TABLE matter_events (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    matter_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    body_ct    BLOB NOT NULL,
    mac        BLOB NOT NULL
);
CREATE INDEX matter_events_matter ON matter_events (matter_id, seq);
CREATE INDEX matter_events_client ON matter_events (client_id);

-- The client's accounting of disclosures: one row per package delivered,
-- written in the same transaction as the delivery step. Append-only.
CREATE TABLE disclosures (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    client_id     TEXT NOT NULL,
    matter_id     TEXT NOT NULL,
    package_id    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    at            INTEGER NOT NULL,
    manifest_hash TEXT NOT NULL,
    body_ct       BLOB NOT NULL
);
CREATE INDEX disclosures_client ON disclosures (client_id, seq);

CREATE TRIGGER matter_events_append_only BEFORE UPDATE ON matter_events
BEGIN
    SELECT RAISE(ABORT, 'matter steps are append-only');
END;
CREATE TRIGGER disclosures_append_only BEFORE UPDATE ON disclosures
BEGIN
    SELECT RAISE(ABORT, 'the accounting of disclosures is append-only');
END;
