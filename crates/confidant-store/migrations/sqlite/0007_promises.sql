-- What the service promised and did, on the record (SQLite). Keep in step
-- with ../postgres.
--
-- promises: one row per recorded step about a client: the limits of
-- confidentiality explained ('limits-given'), a confidentiality agreement
-- ('agreement'), a complaint opened ('complaint-opened') or closed
-- ('complaint-closed'). Everything said (how, parties, terms, route,
-- outcome) is sealed in body_ct under the client's data key, AAD =
-- ('promises', 'body_ct', row id, client id). Plaintext: ids, kind, time,
-- acting user, and ref_id: the statement's SHA-256 for 'limits-given' (a
-- hash of a public document, so `client limits-missing` is one query), the
-- complaint's id for 'complaint-closed', the hold's id for
-- 'complaint-opened'. Append-only; deleted only with the client.
CREATE TABLE promises (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    client_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    ref_id     TEXT,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    body_ct    BLOB NOT NULL
);
CREATE INDEX promises_client ON promises (client_id, seq);
CREATE INDEX promises_kind ON promises (kind, client_id);
-- A complaint is closed once.
CREATE UNIQUE INDEX promises_closed_once ON promises (ref_id) WHERE kind = 'complaint-closed';

-- policy_reviews: a review of a policy (not about a client): the policy's
-- name and the SHA-256 of its exact text, the date reviewed, who approved
-- it. `mac` is HMAC-SHA256 under the audit key over those columns, so an
-- SQL edit of a review is detected on read. Append-only.
CREATE TABLE policy_reviews (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    policy_name   TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    reviewed_on   TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    mac           BLOB NOT NULL
);
CREATE INDEX policy_reviews_name ON policy_reviews (policy_name, seq);

CREATE TRIGGER promises_append_only BEFORE UPDATE ON promises
BEGIN
    SELECT RAISE(ABORT, 'promises are append-only');
END;
CREATE TRIGGER policy_reviews_append_only BEFORE UPDATE ON policy_reviews
BEGIN
    SELECT RAISE(ABORT, 'policy reviews are append-only');
END;
CREATE TRIGGER policy_reviews_no_delete BEFORE DELETE ON policy_reviews
BEGIN
    SELECT RAISE(ABORT, 'policy reviews are append-only');
END;
