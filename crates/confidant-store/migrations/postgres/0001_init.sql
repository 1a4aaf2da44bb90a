-- Confidant store schema v1 (PostgreSQL). Keep in step with ../sqlite.
-- Identifying values are sealed (AES-256-GCM under the owner's data key,
-- AAD = table, column, row id, client id): columns ending in _ct hold
-- `version || nonce || ciphertext || tag`. Nothing identifying is plaintext.
-- Times are microseconds since the Unix epoch, UTC. Flags are 0/1.

CREATE TABLE meta (
    k TEXT PRIMARY KEY NOT NULL,
    v BYTEA NOT NULL
);

-- One wrapped data key per owner (a client, or a practitioner for their
-- name). Deleting the row makes everything sealed under it unreadable.
CREATE TABLE data_keys (
    owner_id   TEXT PRIMARY KEY NOT NULL,
    wrapped    BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE clients (
    seq                     BIGSERIAL PRIMARY KEY,
    id                      TEXT NOT NULL UNIQUE,
    created_at              BIGINT NOT NULL,
    name_ct                 BYTEA NOT NULL,
    dob_ct                  BYTEA,
    email_ct                BYTEA,
    phone_ct                BYTEA,
    address_ct              BYTEA,
    postcode_ct             BYTEA,
    nhs_number_ct           BYTEA,
    protected               BIGINT NOT NULL DEFAULT 0,
    capacity_concern        BIGINT NOT NULL DEFAULT 0,
    parental_responsibility BIGINT NOT NULL DEFAULT 0,
    work_ended              BIGINT NOT NULL DEFAULT 0
);

-- Keyed blind index (HMAC-SHA256 under a key derived from the master key)
-- for finding clients by name or NHS number without a plaintext column.
CREATE TABLE client_index (
    kind      TEXT NOT NULL,
    digest    BYTEA NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (kind, digest, client_id)
);
CREATE INDEX client_index_client ON client_index (client_id);

CREATE TABLE practitioners (
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    name_ct    BYTEA NOT NULL
);

CREATE TABLE practitioner_roles (
    practitioner_id TEXT NOT NULL,
    role            TEXT NOT NULL,
    PRIMARY KEY (practitioner_id, role)
);

CREATE TABLE cases (
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    created_at BIGINT NOT NULL
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
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    client_id  TEXT NOT NULL,
    case_id    TEXT,
    author_id  TEXT,
    created_at BIGINT NOT NULL,
    -- 1 when the note is attributed to anyone besides its owner, so reads
    -- look up note_parties only for those notes.
    shared     BIGINT NOT NULL DEFAULT 0,
    text_ct    BYTEA NOT NULL
);
CREATE INDEX notes_client ON notes (client_id, seq);

CREATE TABLE note_parties (
    note_id   TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (note_id, client_id)
);
CREATE INDEX note_parties_client ON note_parties (client_id);

CREATE TABLE consents (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    client_id    TEXT NOT NULL,
    case_id      TEXT,
    purpose      TEXT NOT NULL,
    form         TEXT NOT NULL,
    status       TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    given_at     BIGINT,
    withdrawn_at BIGINT,
    evidence_ct  BYTEA
);
CREATE INDEX consents_client ON consents (client_id, seq);

CREATE TABLE legal_holds (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    client_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    placed_at   BIGINT NOT NULL,
    placed_by   TEXT NOT NULL,
    released_at BIGINT
);
CREATE INDEX legal_holds_client ON legal_holds (client_id);

-- The hash-chained audit log (confidant-audit). record_ids is the entry's
-- ids joined by single spaces (ids never contain spaces).
CREATE TABLE audit_entries (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    record_ids TEXT NOT NULL,
    prev_hash  BYTEA NOT NULL,
    hash       BYTEA NOT NULL
);

-- The signed checkpoint over the whole log (one row). Every transaction
-- that appends entries updates it first, which also serialises writers.
CREATE TABLE audit_state (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    count     BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    mac       BYTEA NOT NULL,
    writes    BIGINT NOT NULL DEFAULT 0
);
