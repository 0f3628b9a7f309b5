//! When a failed webhook message is tried again: exponential backoff from a first delay,
//! capped, with ±20% jitter (so receivers recovering from an outage are not hit by every
//! retry at once), until the message has been failing for too long. Pure arithmetic: the
//! caller brings the randomness and the clock.

use std::time::Duration;

/// How far jitter moves a delay either way, as a fraction of it.
const JITTER: f64 = 0.2;

/// A retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The delay after the first failed attempt.
    pub first: Duration,
    /// What each further failure multiplies the delay by.
    pub factor: u32,
    /// The longest delay before jitter.
    pub cap: Duration,
    /// How long after its first attempt a message is given up.
    pub give_up_after: Duration,
}

impl Schedule {
    /// 5 s, doubling, at most an hour apart, given up after a day.
    pub const STANDARD: Schedule = Schedule {
        first: Duration::from_secs(5),
        factor: 2,
        cap: Duration::from_secs(60 * 60),
        give_up_after: Duration::from_secs(24 * 60 * 60),
    };

    /// The wait before the next attempt, after `attempt` attempts have failed (1 after the
    /// first; 0 counts as 1): `first * factor^(attempt - 1)`, at most `cap`, then moved by
    /// up to ±20% by `jitter`, a number from 0.0 to 1.0 the caller draws at random (0.5 moves
    /// nothing; out-of-range values are clamped, NaN counts as 0.5).
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let base = self.base(attempt);
        let jitter = if jitter.is_nan() {
            0.5
        } else {
            jitter.clamp(0.0, 1.0)
        };
        let scale = 1.0 + JITTER * (2.0 * jitter - 1.0);
        Duration::try_from_secs_f64(base.as_secs_f64() * scale).unwrap_or(base)
    }

    /// The delay before jitter.
    fn base(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1);
        self.factor
            .checked_pow(exponent)
            .and_then(|growth| self.first.checked_mul(growth))
            .map_or(self.cap, |delay| delay.min(self.cap))
    }

    /// Whether a message whose first attempt was `first_attempt_age` ago is given up.
    pub fn gives_up(&self, first_attempt_age: Duration) -> bool {
        first_attempt_age >= self.give_up_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Schedule = Schedule::STANDARD;

    #[test]
    fn without_jitter_the_standard_schedule_doubles_from_five_seconds_up_to_an_hour() {
        let secs: Vec<u64> = (1..=12).map(|n| S.delay(n, 0.5).as_secs()).collect();
        assert_eq!(
            secs,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        assert_eq!(S.delay(0, 0.5), S.delay(1, 0.5));
    }

    #[test]
    fn delays_grow_with_each_failure_until_the_cap() {
        for jitter in [0.0, 0.3, 0.5, 1.0] {
            let delays: Vec<Duration> = (1..=40).map(|n| S.delay(n, jitter)).collect();
            assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
            assert!(delays[..10].windows(2).all(|w| w[0] < w[1]), "{delays:?}");
        }
    }

    #[test]
    fn no_delay_exceeds_the_cap_by_more_than_a_fifth_even_after_many_failures() {
        let most = S.cap.mul_f64(1.2);
        for attempt in [1, 11, 12, 31, 32, 33, 64, 1000, u32::MAX] {
            for jitter in [0.0, 0.5, 0.999, 1.0, 7.0] {
                assert!(S.delay(attempt, jitter) <= most, "{attempt} {jitter}");
            }
        }
        let huge = Schedule {
            cap: Duration::MAX,
            ..S
        };
        assert!(huge.delay(u32::MAX, 1.0) >= Duration::from_secs(u64::MAX / 2));
    }

    #[test]
    fn jitter_moves_a_delay_by_at_most_a_fifth_either_way() {
        assert_eq!(S.delay(1, 0.0), Duration::from_secs(4));
        assert_eq!(S.delay(1, 1.0), Duration::from_secs(6));
        assert_eq!(S.delay(1, f64::NAN), Duration::from_secs(5));
        assert_eq!(S.delay(1, -3.0), S.delay(1, 0.0));
        for i in 0..=100 {
            let d = S.delay(3, f64::from(i) / 100.0).as_secs_f64();
            assert!((16.0..=24.0).contains(&d), "{d}");
        }
    }

    #[test]
    fn a_short_first_delay_keeps_its_milliseconds() {
        let fast = Schedule {
            first: Duration::from_millis(10),
            ..S
        };
        assert_eq!(fast.delay(1, 0.5), Duration::from_millis(10));
        assert_eq!(fast.delay(3, 0.5), Duration::from_millis(40));
    }

    #[test]
    fn a_message_is_given_up_a_day_after_its_first_attempt() {
        assert!(!S.gives_up(Duration::ZERO));
        assert!(!S.gives_up(Duration::from_secs(24 * 3600 - 1)));
        assert!(S.gives_up(Duration::from_secs(24 * 3600)));
    }
}
