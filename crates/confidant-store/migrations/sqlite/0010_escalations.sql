-- Matters escalated to a safeguarding officer (SQLite). Keep in step with
-- ../postgres.
--
-- escalations: one row per matter escalated to a user holding the
-- safeguarding-officer role (Handcrafted: "only contact the Safeguarding
-- Officer or their deputy"). Only ids and a time: no text. `mac` is
-- HMAC-SHA256 under the audit key over every column, so an SQL edit that
-- points a matter at another user is detected on read (the row decides who
-- may see the matter). Append-only; deleted only with the client.
CREATE TABLE escalations (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    matter_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    to_user    TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    mac        BLOB NOT NULL
);
CREATE INDEX escalations_matter ON escalations (matter_id, seq);
CREATE INDEX escalations_to_user ON escalations (to_user, seq);
-- A matter is escalated to the same person once.
CREATE UNIQUE INDEX escalations_once ON escalations (matter_id, to_user);

CREATE TRIGGER escalations_append_only BEFORE UPDATE ON escalations
BEGIN
    SELECT RAISE(ABORT, 'escalations are append-only');
END;
