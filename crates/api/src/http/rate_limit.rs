//! Per user and organization rate limiting (GCRA, from the `governor` crate): a steady rate with
//! a burst on top; beyond it, 429 with `Retry-After`. Only authenticated requests count (health,
//! metrics and the login routes are not limited by user).

use brigade_domain::ids::{TenantId, UserId};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// How often (in checks) keys idle long enough to be full again are forgotten.
const SWEEP_EVERY: u64 = 10_000;

/// The limiter of a server.
pub struct Limiter {
    limiter: DefaultKeyedRateLimiter<(TenantId, UserId)>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl Limiter {
    /// `per_second` requests a second, `burst` at once, per user and organization.
    pub fn new(per_second: u32, burst: u32) -> Limiter {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Limiter {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts a request; `Err(seconds)` to wait when over the limit.
    pub fn check(&self, org: TenantId, user: UserId) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&(org, user)).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_user_waits_and_others_do_not() {
        let limiter = Limiter::new(1, 3);
        let (org, kim, carl) = (
            TenantId(uuid::Uuid::nil()),
            UserId(uuid::Uuid::nil()),
            UserId(uuid::Uuid::max()),
        );
        for _ in 0..3 {
            assert!(limiter.check(org, kim).is_ok());
        }
        assert_eq!(limiter.check(org, kim), Err(1));
        assert!(limiter.check(org, carl).is_ok());
    }
}
