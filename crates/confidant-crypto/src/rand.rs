use ring::rand::{SecureRandom, SystemRandom};

/// Fills `buf` from the operating system's CSPRNG.
///
/// On Linux this is the `getrandom` system call, which blocks until the pool
/// is seeded and then does not fail; a failure means the platform cannot
/// provide randomness at all, and continuing would produce predictable keys
/// or reused nonces, so this is the one place the crate panics.
pub(crate) fn fill(buf: &mut [u8]) {
    if SystemRandom::new().fill(buf).is_err() {
        panic!("the operating system's random number generator failed");
    }
}
