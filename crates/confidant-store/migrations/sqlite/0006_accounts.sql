-- Server accounts (SQLite). Keep in step with ../postgres.
-- A user's username and TOTP secret are sealed under the user's own data
-- key (in data_keys, owner_id = user id; AAD = table, column, row id, user
-- id). Passwords (Argon2id PHC strings), recovery codes, session and token
-- secrets and setup links are stored only as hashes. Plaintext columns are
-- ids, times, role words, stages and counters.

CREATE TABLE users (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    -- HMAC-SHA256 (blind-index key) of the normalised username.
    username_index  BLOB NOT NULL UNIQUE,
    username_ct     BLOB NOT NULL,
    -- Role words of confidant-access, space-separated.
    roles           TEXT NOT NULL,
    practitioner_id TEXT,
    password_hash   TEXT NOT NULL,
    -- NULL until TOTP enrolment is confirmed; pending during enrolment.
    totp_ct         BLOB,
    totp_pending_ct BLOB,
    -- The last TOTP time step accepted: codes for it or earlier are refused.
    totp_last_step  INTEGER,
    -- JSON {salt, hashes} of the unused recovery codes (keyed hashes only).
    recovery        TEXT,
    disabled_at     INTEGER
);

CREATE TABLE sessions (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    -- SHA-256 of the cookie's secret.
    token_hash   BLOB NOT NULL UNIQUE,
    user_id      TEXT NOT NULL,
    -- 'password' (second factor or enrolment still due) or 'full'.
    stage        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id, seq);

CREATE TABLE access_tokens (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    token_hash   BLOB NOT NULL UNIQUE,
    user_id      TEXT NOT NULL,
    label_ct     BLOB NOT NULL,
    -- 'read' or 'read write'.
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX access_tokens_user ON access_tokens (user_id, seq);

-- Failed sign-ins per account (key: the username's blind index, so unknown
-- names are throttled exactly like known ones) and per address (a hash).
CREATE TABLE sign_in_throttles (
    k            TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    last_failure INTEGER
);

-- One-time links to create the first administrator.
CREATE TABLE setup_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- Break-glass grants; the reason is sealed under the client's data key.
CREATE TABLE break_glass_grants (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    reason_ct   BLOB NOT NULL,
    granted_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    reviewed_by TEXT,
    reviewed_at INTEGER
);
CREATE INDEX break_glass_user_client ON break_glass_grants (user_id, client_id);

-- Which practitioners work with a client, and who supervises whom: the
-- facts the access policy decides on.
CREATE TABLE client_assignments (
    client_id       TEXT NOT NULL,
    practitioner_id TEXT NOT NULL,
    assigned_at     INTEGER NOT NULL,
    PRIMARY KEY (client_id, practitioner_id)
);
CREATE INDEX client_assignments_practitioner ON client_assignments (practitioner_id);

CREATE TABLE supervisions (
    supervisor_id TEXT NOT NULL,
    supervisee_id TEXT NOT NULL,
    PRIMARY KEY (supervisor_id, supervisee_id)
);
