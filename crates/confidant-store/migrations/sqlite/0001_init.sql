-- Confidant store schema v1 (SQLite). Keep in step with ../postgres.
-- Identifying values are sealed (AES-256-GCM under the owner's data key,
-- AAD = table, column, row id, client id): columns ending in _ct hold
-- `version || nonce || ciphertext || tag`. Nothing identifying is plaintext.
-- Times are microseconds since the Unix epoch, UTC. Flags are 0/1.

CREATE TABLE meta (
    k TEXT PRIMARY KEY NOT NULL,
    v BLOB NOT NULL
);

-- One wrapped data key per owner (a client, or a practitioner for their
-- name). Deleting the row makes everything sealed under it unreadable.
CREATE TABLE data_keys (
    owner_id   TEXT PRIMARY KEY NOT NULL,
    wrapped    BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE clients (
    seq                     INTEGER PRIMARY KEY,
    id                      TEXT NOT NULL UNIQUE,
    created_at              INTEGER NOT NULL,
    name_ct                 BLOB NOT NULL,
    dob_ct                  BLOB,
    email_ct                BLOB,
    phone_ct                BLOB,
    address_ct              BLOB,
    postcode_ct             BLOB,
    nhs_number_ct           BLOB,
    protected               INTEGER NOT NULL DEFAULT 0,
    capacity_concern        INTEGER NOT NULL DEFAULT 0,
    parental_responsibility INTEGER NOT NULL DEFAULT 0,
    work_ended              INTEGER NOT NULL DEFAULT 0
);

-- Keyed blind index (HMAC-SHA256 under a key derived from the master key)
-- for finding clients by name or NHS number without a plaintext column.
CREATE TABLE client_index (
    kind      TEXT NOT NULL,
    digest    BLOB NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (kind, digest, client_id)
);
CREATE INDEX client_index_client ON client_index (client_id);

CREATE TABLE practitioners (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    name_ct    BLOB NOT NULL
);

CREATE TABLE practitioner_roles (
    practitioner_id TEXT NOT NULL,
    role            TEXT NOT NULL,
    PRIMARY KEY (practitioner_id, role)
);

CREATE TABLE cases (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE case_parties (
    case_id   TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (case_id, client_id)
);
CREATE INDEX case_parties_client ON case_parties (client_id);

-- A note belongs to (is sealed under the key of) one client; note_parties
-- lists every client it is attributable to.
CREATE TABLE notes (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    client_id  TEXT NOT NULL,
    case_id    TEXT,
    author_id  TEXT,
    created_at INTEGER NOT NULL,
    -- 1 when the note is attributed to anyone besides its owner, so reads
    -- look up note_parties only for those notes.
    shared     INTEGER NOT NULL DEFAULT 0,
    text_ct    BLOB NOT NULL
);
CREATE INDEX notes_client ON notes (client_id, seq);

CREATE TABLE note_parties (
    note_id   TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (note_id, client_id)
);
CREATE INDEX note_parties_client ON note_parties (client_id);

CREATE TABLE consents (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    client_id    TEXT NOT NULL,
    case_id      TEXT,
    purpose      TEXT NOT NULL,
    form         TEXT NOT NULL,
    status       TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL,
    given_at     INTEGER,
    withdrawn_at INTEGER,
    evidence_ct  BLOB
);
CREATE INDEX consents_client ON consents (client_id, seq);

CREATE TABLE legal_holds (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    client_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    placed_at   INTEGER NOT NULL,
    placed_by   TEXT NOT NULL,
    released_at INTEGER
);
CREATE INDEX legal_holds_client ON legal_holds (client_id);

-- The hash-chained audit log (confidant-audit). record_ids is the entry's
-- ids joined by single spaces (ids never contain spaces).
CREATE TABLE audit_entries (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    record_ids TEXT NOT NULL,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL
);

-- The signed checkpoint over the whole log (one row). Every transaction
-- that appends entries updates it first, which also serialises writers.
CREATE TABLE audit_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    count     INTEGER NOT NULL,
    head_hash BLOB NOT NULL,
    mac       BLOB NOT NULL,
    writes    INTEGER NOT NULL DEFAULT 0
);
