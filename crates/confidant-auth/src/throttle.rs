//! Growing delays after failed sign-ins (ASVS V6.3.x; NIST SP 800-63B
//! §3.2.2 rate limiting), kept per account and per address by the caller.
//!
//! The first few failures cost nothing (people mistype); after that each
//! failure doubles the wait before the next attempt is even checked, up to a
//! ceiling, and a success clears the count. There is no permanent lockout:
//! that would let anyone lock a practitioner out of their records by
//! guessing badly on purpose. Every state change is the caller's to audit.

use serde::{Deserialize, Serialize};

/// Failures allowed before any delay.
pub const FREE_FAILURES: u32 = 3;
/// The first delay, doubled by each further failure.
pub const BASE_DELAY_SECONDS: i64 = 2;
/// The longest delay.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// How one kind of throttle grows: the failures allowed before any delay,
/// the first delay (doubled by each further failure) and the ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    pub free_failures: u32,
    pub base_delay_seconds: i64,
    pub max_delay_seconds: i64,
}

impl ThrottleRule {
    /// Per account (username, or the account at the second factor).
    pub const PER_ACCOUNT: ThrottleRule = ThrottleRule {
        free_failures: FREE_FAILURES,
        base_delay_seconds: BASE_DELAY_SECONDS,
        max_delay_seconds: MAX_DELAY_SECONDS,
    };
    /// Per client address: many people may share one (an office, a
    /// proxy), so it allows far more failures and waits far less, and only
    /// slows a guesser spraying many names; each account keeps its own
    /// throttle.
    pub const PER_ADDRESS: ThrottleRule = ThrottleRule {
        free_failures: 100,
        base_delay_seconds: 1,
        max_delay_seconds: 60,
    };

    pub fn delay_seconds(&self, failures: u32) -> i64 {
        if failures < self.free_failures {
            return 0;
        }
        let doublings = (failures - self.free_failures).min(20);
        (self.base_delay_seconds << doublings).min(self.max_delay_seconds)
    }
}

/// Failed attempts for one account or one address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttle {
    pub failures: u32,
    /// Unix seconds of the last failure.
    pub last_failure: Option<i64>,
}

impl Throttle {
    /// The delay in force after `failures` consecutive failures.
    pub fn delay_seconds(failures: u32) -> i64 {
        ThrottleRule::PER_ACCOUNT.delay_seconds(failures)
    }

    /// `Err(seconds)` when an attempt at `now` must wait that much longer;
    /// the attempt is refused without checking the password, so a guesser
    /// learns nothing from it.
    pub fn check(&self, now: i64) -> Result<(), i64> {
        self.check_with(&ThrottleRule::PER_ACCOUNT, now)
    }

    /// As `check`, under `rule`.
    pub fn check_with(&self, rule: &ThrottleRule, now: i64) -> Result<(), i64> {
        let Some(last) = self.last_failure else {
            return Ok(());
        };
        let until = last + rule.delay_seconds(self.failures);
        if now < until {
            Err(until - now)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&mut self, now: i64) {
        self.failures = self.failures.saturating_add(1);
        self.last_failure = Some(now);
    }

    pub fn record_success(&mut self) {
        *self = Throttle::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_up_to_a_ceiling() {
        assert_eq!(Throttle::delay_seconds(0), 0);
        assert_eq!(Throttle::delay_seconds(2), 0);
        assert_eq!(Throttle::delay_seconds(3), 2);
        assert_eq!(Throttle::delay_seconds(4), 4);
        assert_eq!(Throttle::delay_seconds(8), 64);
        assert_eq!(Throttle::delay_seconds(30), MAX_DELAY_SECONDS);
        assert_eq!(Throttle::delay_seconds(u32::MAX), MAX_DELAY_SECONDS);
    }

    #[test]
    fn an_address_allows_far_more_failures_and_waits_at_most_a_minute() {
        let a = ThrottleRule::PER_ADDRESS;
        assert_eq!(a.delay_seconds(99), 0);
        assert_eq!(a.delay_seconds(100), 1);
        assert_eq!(a.delay_seconds(u32::MAX), 60);
        let t = Throttle {
            failures: 50,
            last_failure: Some(1000),
        };
        // Fifty failures lock an account out, not an address.
        assert!(t.check(1000).is_err());
        assert_eq!(t.check_with(&a, 1000), Ok(()));
    }

    #[test]
    fn an_attempt_inside_the_delay_is_refused_and_success_clears_it() {
        let mut t = Throttle::default();
        for i in 0..3 {
            assert_eq!(t.check(1000 + i), Ok(()));
            t.record_failure(1000 + i);
        }
        // Third failure at 1002: wait 2 s.
        assert_eq!(t.check(1003), Err(1));
        assert_eq!(t.check(1004), Ok(()));
        t.record_failure(1004);
        assert_eq!(t.check(1005), Err(3));
        t.record_success();
        assert_eq!(t.check(1005), Ok(()));
        assert_eq!(t.failures, 0);
    }
}
