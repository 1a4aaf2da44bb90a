-- Server accounts (PostgreSQL). Keep in step with ../postgres.
-- A user's username and TOTP secret are sealed under the user's own data
-- key (in data_keys, owner_id = user id; AAD = table, column, row id, user
-- id). Passwords (Argon2id PHC strings), recovery codes, session and token
-- secrets and setup links are stored only as hashes. Plaintext columns are
-- ids, times, role words, stages and counters.

CREATE TABLE users (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    -- HMAC-SHA256 (blind-index key) of the normalised username.
    username_index  BYTEA NOT NULL UNIQUE,
    username_ct     BYTEA NOT NULL,
    -- Role words of confidant-access, space-separated.
    roles           TEXT NOT NULL,
    practitioner_id TEXT,
    password_hash   TEXT NOT NULL,
    -- NULL until TOTP enrolment is confirmed; pending during enrolment.
    totp_ct         BYTEA,
    totp_pending_ct BYTEA,
    -- The last TOTP time step accepted: codes for it or earlier are refused.
    totp_last_step  BIGINT,
    -- JSON {salt, hashes} of the unused recovery codes (keyed hashes only).
    recovery        TEXT,
    disabled_at     BIGINT
);

CREATE TABLE sessions (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    -- SHA-256 of the cookie's secret.
    token_hash   BYTEA NOT NULL UNIQUE,
    user_id      TEXT NOT NULL,
    -- 'password' (second factor or enrolment still due) or 'full'.
    stage        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id, seq);

CREATE TABLE access_tokens (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    token_hash   BYTEA NOT NULL UNIQUE,
    user_id      TEXT NOT NULL,
    label_ct     BYTEA NOT NULL,
    -- 'read' or 'read write'.
    scopes       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX access_tokens_user ON access_tokens (user_id, seq);

-- Failed sign-ins per account (key: the username's blind index, so unknown
-- names are throttled exactly like known ones) and per address (a hash).
CREATE TABLE sign_in_throttles (
    k            TEXT PRIMARY KEY NOT NULL,
    failures     BIGINT NOT NULL,
    last_failure BIGINT
);

-- One-time links to create the first administrator.
CREATE TABLE setup_tokens (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- Break-glass grants; the reason is sealed under the client's data key.
CREATE TABLE break_glass_grants (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    reason_ct   BYTEA NOT NULL,
    granted_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    reviewed_by TEXT,
    reviewed_at BIGINT
);
CREATE INDEX break_glass_user_client ON break_glass_grants (user_id, client_id);

-- Which practitioners work with a client, and who supervises whom: the
-- facts the access policy decides on.
CREATE TABLE client_assignments (
    client_id       TEXT NOT NULL,
    practitioner_id TEXT NOT NULL,
    assigned_at     BIGINT NOT NULL,
    PRIMARY KEY (client_id, practitioner_id)
);
CREATE INDEX client_assignments_practitioner ON client_assignments (practitioner_id);

CREATE TABLE supervisions (
    supervisor_id TEXT NOT NULL,
    supervisee_id TEXT NOT NULL,
    PRIMARY KEY (supervisor_id, supervisee_id)
);
