//! Time-based one-time passwords (RFC 6238; HOTP, RFC 4226), the second
//! factor every account must enrol at first sign-in.
//!
//! Parameters are the ones authenticator apps support universally: HMAC-SHA1,
//! 6 digits, 30-second steps, a 160-bit random secret (RFC 4226 §4 R6
//! recommends 160 bits). A code is accepted for the current step and one
//! step either side (clock drift), and [`TotpSecret::verify`] returns the
//! step it matched: the caller stores the last accepted step and refuses any
//! code for that step or an earlier one, so a code seen over someone's
//! shoulder cannot be replayed inside its window (ASVS V6.6.x).

use crate::RandomnessUnavailable;
use std::fmt;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

pub const DIGITS: usize = 6;
pub const STEP_SECONDS: u64 = 30;
/// Steps either side of now that are accepted.
pub const SKEW_STEPS: u64 = 1;
const SECRET_BYTES: usize = 20;

/// A TOTP shared secret. Never printed by `Debug`.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    #[error("the one-time code is not valid")]
    Invalid,
    #[error("this one-time code has already been used; wait for the next one")]
    Replayed,
    #[error("the stored authenticator secret is malformed")]
    MalformedSecret,
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Result<TotpSecret, TotpError> {
        Ok(TotpSecret(Zeroizing::new(
            crate::random_bytes::<SECRET_BYTES>()?.to_vec(),
        )))
    }

    /// A secret from its raw bytes (as stored, sealed, by the server).
    pub fn from_bytes(bytes: &[u8]) -> Result<TotpSecret, TotpError> {
        if bytes.len() < 16 {
            return Err(TotpError::MalformedSecret);
        }
        Ok(TotpSecret(Zeroizing::new(bytes.to_vec())))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret in unpadded base32, as typed into an authenticator app.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32::encode(
            base32::Alphabet::Rfc4648 { padding: false },
            &self.0,
        ))
    }

    /// The `otpauth://` URI an authenticator app reads from a QR code.
    /// `account` is shown in the app; use the user name, not a client's.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Zeroizing<String> {
        let issuer = percent_encode(issuer);
        Zeroizing::new(format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            percent_encode(account),
            self.base32().as_str(),
        ))
    }

    fn totp(&self, digits: usize) -> TOTP {
        TOTP::new_unchecked(Algorithm::SHA1, digits, 0, STEP_SECONDS, self.0.to_vec())
    }

    /// The code for a time step (for tests and for showing the user a check
    /// value during enrolment).
    pub fn code_at(&self, unix_seconds: u64) -> Zeroizing<String> {
        Zeroizing::new(self.totp(DIGITS).generate(unix_seconds))
    }

    /// Checks `code` at `unix_seconds`. `last_used_step` is the step of the
    /// last code this account used: a code for that step or an earlier one
    /// is refused as a replay. On success returns the step to store.
    pub fn verify(
        &self,
        code: &str,
        unix_seconds: u64,
        last_used_step: Option<u64>,
    ) -> Result<u64, TotpError> {
        let code = code.trim().replace(' ', "");
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpError::Invalid);
        }
        let now = unix_seconds / STEP_SECONDS;
        let totp = self.totp(DIGITS);
        let mut matched = None;
        // Check every candidate step, without stopping early, so the time
        // taken does not say which step matched.
        for step in now.saturating_sub(SKEW_STEPS)..=now + SKEW_STEPS {
            let expected = totp.generate(step * STEP_SECONDS);
            if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
                matched = Some(step);
            }
        }
        let step = matched.ok_or(TotpError::Invalid)?;
        if last_used_step.is_some_and(|last| step <= last) {
            return Err(TotpError::Replayed);
        }
        Ok(step)
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1, 8 digits, secret "12345678901234567890".
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let totp = secret.totp(8);
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp.generate(time), code, "T={time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_not_two() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_000;
        let code = secret.code_at(now);
        assert_eq!(secret.verify(&code, now, None), Ok(now / 30));
        assert_eq!(secret.verify(&code, now + 30, None), Ok(now / 30));
        assert_eq!(secret.verify(&code, now - 30, None), Ok(now / 30));
        assert_eq!(
            secret.verify(&code, now + 61, None),
            Err(TotpError::Invalid)
        );
        assert_eq!(secret.verify("12345", now, None), Err(TotpError::Invalid));
        assert_eq!(secret.verify("abcdef", now, None), Err(TotpError::Invalid));
    }

    #[test]
    fn a_code_cannot_be_replayed_within_its_window() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_000;
        let code = secret.code_at(now);
        let step = secret.verify(&code, now, None).unwrap();
        assert_eq!(
            secret.verify(&code, now + 10, Some(step)),
            Err(TotpError::Replayed)
        );
        // An older code, still inside the skew window, is refused too.
        let older = secret.code_at(now - 30);
        assert_eq!(
            secret.verify(&older, now, Some(step)),
            Err(TotpError::Replayed)
        );
        // The next step's code is fine.
        let next = secret.code_at(now + 30);
        assert_eq!(secret.verify(&next, now + 30, Some(step)), Ok(step + 1));
    }

    #[test]
    fn the_otpauth_uri_and_debug_output() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let uri = secret.otpauth_uri("Confidant", "jo@example.org");
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/Confidant:jo@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Confidant&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret(..)");
        assert!(TotpSecret::from_bytes(&[1; 8]).is_err());
    }
}
