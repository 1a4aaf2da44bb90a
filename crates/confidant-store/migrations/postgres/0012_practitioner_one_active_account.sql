-- A practitioner record is linked to at most one active (not disabled)
-- account: a second account on the same record would read that
-- practitioner's caseload (attack finding 1). The service refuses a second
-- link with a clear error; this index makes a race unable to do it either.
CREATE UNIQUE INDEX users_practitioner_active
    ON users (practitioner_id)
    WHERE practitioner_id IS NOT NULL AND disabled_at IS NULL;
