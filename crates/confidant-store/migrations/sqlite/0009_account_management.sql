-- Account management and form faults (sqlite). Keep in step with the other backend.
-- Reset links are stored only as hashes; a note draft kept when a session
-- ended mid-form is sealed under its author's own data key (owner id = user
-- id; AAD = table, column, draft id, user id). Plaintext columns are ids,
-- times and counters.

-- One-time password reset links an administrator issues.
CREATE TABLE password_resets (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Form nonces consumed by the first submission, shared by every replica:
-- a form sent twice creates one record.
CREATE TABLE form_nonces (
    nonce   TEXT PRIMARY KEY NOT NULL,
    used_at INTEGER NOT NULL
);

-- A note submitted with a session that had ended, kept sealed for its
-- author to take back after signing in again.
CREATE TABLE note_drafts (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body_ct    BLOB NOT NULL
);
CREATE INDEX note_drafts_user_client ON note_drafts (user_id, client_id);
