//! Sign-in primitives for the server, with no I/O and no clock of their own
//! (the caller passes "now"), so every rule is tested with data alone:
//!
//! - [`password`]: NIST SP 800-63B rules for a new password (length, not
//!   composition; not a common or context-specific one) and Argon2id hashes.
//! - [`totp`]: RFC 6238 one-time codes, required for every account, with the
//!   matched time step returned so a code cannot be replayed in its window.
//! - [`recovery`]: one-time recovery codes, stored hashed.
//! - [`throttle`]: growing delays after failed sign-ins, per account and per
//!   address.
//!
//! Nothing here logs or formats a secret: errors name the rule, not the
//! input; `Debug` of secret-holding types is redacted.

pub mod password;
pub mod recovery;
pub mod throttle;
pub mod totp;

/// The operating system's random number generator failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomnessUnavailable;

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], RandomnessUnavailable> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| RandomnessUnavailable)?;
    Ok(buf)
}
