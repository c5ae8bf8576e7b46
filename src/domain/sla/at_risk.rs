//! At-risk arithmetic: how much of an open milestone's target is used and when each
//! at-risk threshold is (or was) crossed, so that callers can escalate before a breach.
//!
//! Every priority's terms carry at-risk thresholds, fractions of the target (default 50%,
//! 75% and 90%; [`AtRiskThresholds`], plan configuration kept in the catalog). For a
//! milestone that is still open, [`assess`] reports how much of the target has been used on
//! the milestone's own clock (pauses excluded), which thresholds have been crossed, and the
//! instant each threshold is (or was) crossed. That instant is an ordinary deadline for
//! `fraction × target`, computed with `deadline::due_after` on the same clock and pauses, so on the
//! business-hours clock a threshold that would fall in closed time moves to the next open
//! time, exactly like the due instant does. Threshold targets are rounded up to whole
//! seconds, so at the reported instant the elapsed fraction has reached the threshold.
//! Fractions are kept in millionths, which keeps terms comparable and copyable without
//! floating point in the domain.

use std::fmt;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::deadline::{Deadline, consumed, due_after};
use crate::domain::calendar::Calendar;
use crate::domain::calendar::business_clock::BusinessClock;
use crate::domain::catalog::{AtRiskThresholds, MILLION};
use crate::domain::error::DomainError;
use crate::domain::pause::Pauses;
use crate::domain::text::Stamp;

/// The clock time at which a threshold is crossed: `millionths / 1e6 × target`, rounded
/// up to a whole second.
pub(crate) fn threshold_target(target: Duration, millionths: u32) -> Duration {
    let product = u128::from(target.as_secs()) * u128::from(millionths);
    let secs = product.div_ceil(u128::from(MILLION));
    // At most `target`, since millionths < 1e6.
    Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
}

/// One threshold of a milestone, with when it is crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThresholdCrossing {
    /// The threshold, in millionths of the target.
    pub millionths: u32,
    /// True if the elapsed time had reached the threshold at the evaluation instant.
    pub crossed: bool,
    /// The instant the counted time reaches the threshold (in the past when crossed);
    /// `None` while an open-ended pause stops the clock before it is reached.
    pub at: Option<DateTime<Utc>>,
}

/// How close an open milestone is to its deadline at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRisk {
    /// Clock time counted from the milestone's start to the evaluation instant, pauses
    /// excluded.
    pub elapsed: TimeDelta,
    /// The milestone's target.
    pub target: Duration,
    /// Every threshold of the priority, ascending.
    pub thresholds: Vec<ThresholdCrossing>,
}

impl AtRisk {
    /// `elapsed / target`: 0 before counting starts, 1 when the target is used up.
    pub fn elapsed_fraction(&self) -> f64 {
        let target = self.target.as_secs();
        if target == 0 {
            return 0.0;
        }
        self.elapsed.num_seconds().max(0) as f64 / target as f64
    }

    /// The highest threshold crossed, in millionths; `None` when none is.
    pub fn highest_crossed(&self) -> Option<u32> {
        self.thresholds
            .iter()
            .rev()
            .find(|t| t.crossed)
            .map(|t| t.millionths)
    }

    /// The lowest threshold not crossed yet, if any.
    pub fn next(&self) -> Option<&ThresholdCrossing> {
        self.thresholds.iter().find(|t| !t.crossed)
    }

    /// A sentence for people.
    pub fn explanation(&self) -> String {
        // Percent from millionths without float noise (0.07 is "7%", not "7.000000000000001%").
        let mut text = format!("{:.1}% of the target used", self.elapsed_fraction() * 100.0);
        match self.highest_crossed() {
            Some(m) => write!(text, "; at risk: past the {} threshold", Percent(m)).ok(),
            None => write!(text, "; no at-risk threshold crossed").ok(),
        };
        match self.next() {
            Some(ThresholdCrossing {
                millionths,
                at: Some(at),
                ..
            }) => write!(
                text,
                "; the {} threshold is crossed at {}",
                Percent(*millionths),
                Stamp(*at)
            )
            .ok(),
            Some(t) => write!(
                text,
                "; the {} threshold has no instant while the case is paused",
                Percent(t.millionths)
            )
            .ok(),
            None => None,
        };
        text
    }
}

/// A threshold in millionths as a percentage, without float noise: 500,000 is "50%" and
/// 70,000 is "7%" (not "7.000000000000001%"); 75,500 is "7.55%".
struct Percent(u32);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(10_000) {
            write!(f, "{}%", self.0 / 10_000)
        } else {
            write!(f, "{}%", f64::from(self.0) / 10_000.0)
        }
    }
}

/// Assesses an open milestone at `now`: the elapsed fraction of `target` on `clock` since
/// `start` (pauses excluded) and each threshold's crossing instant.
pub fn assess(
    thresholds: &AtRiskThresholds,
    clock: &BusinessClock<'_>,
    start: DateTime<Utc>,
    target: Duration,
    pauses: &Pauses,
    now: DateTime<Utc>,
) -> Result<AtRisk, DomainError> {
    let elapsed = consumed(clock, start, now, pauses)?;
    let elapsed_secs = u64::try_from(elapsed.num_seconds()).unwrap_or(0);
    let thresholds = thresholds
        .millionths()
        .iter()
        .map(|&millionths| {
            let part = threshold_target(target, millionths);
            Ok(ThresholdCrossing {
                millionths,
                crossed: elapsed_secs >= part.as_secs(),
                at: due_after(clock, start, part, pauses)?,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(AtRisk {
        elapsed,
        target,
        thresholds,
    })
}

/// Assesses a computed deadline at `now` with the pauses it was computed with. `None`
/// when there is no target, or when the deadline has already passed at `now` (the
/// milestone is no longer open: it is breached).
pub fn assess_deadline(
    d: &Deadline,
    thresholds: &AtRiskThresholds,
    calendar: &Calendar,
    pauses: &Pauses,
    now: DateTime<Utc>,
) -> Result<Option<AtRisk>, DomainError> {
    let Some(target) = d.target else {
        return Ok(None);
    };
    if d.due.is_some_and(|due| now > due) {
        return Ok(None);
    }
    let clock = d.clock.clock(calendar);
    assess(thresholds, &clock, d.start, target, pauses, now).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{ClosedDate, DateException, OpenInterval, TimeOfDay};
    use crate::domain::pause::Pause;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const HOUR: u64 = 3600;

    #[test]
    fn threshold_targets_round_up_to_whole_seconds() {
        // 0.9 x 30min = 1620s exactly; 1/3 x 10s = 3.33s -> 4s.
        assert_eq!(
            threshold_target(Duration::from_secs(1800), 900_000),
            Duration::from_secs(1620)
        );
        assert_eq!(
            threshold_target(Duration::from_secs(10), 333_333),
            Duration::from_secs(4)
        );
        // No overflow for a 100-year target.
        let long = Duration::from_secs(100 * 366 * 86_400);
        assert!(threshold_target(long, 999_999) < long);
    }

    #[test]
    fn continuous_clock_counts_every_second_and_skips_pauses() {
        // P1 premium: 30 min. Opened 10:00, paused 10:05-10:15, evaluated 10:20:
        // counted 5 + 5 = 10 min = 1/3 of the target, nothing crossed; 50% (15 min) is
        // reached at 10:25 (10 counted by 10:20, 5 more), 75% (22.5 min) at 10:32:30,
        // 90% (27 min) at 10:37.
        let pauses = Pauses::new(vec![Pause {
            start: t("2026-06-01T10:05:00Z"),
            end: Some(t("2026-06-01T10:15:00Z")),
        }])
        .unwrap();
        let a = assess(
            &AtRiskThresholds::default(),
            &BusinessClock::Continuous,
            t("2026-06-01T10:00:00Z"),
            Duration::from_secs(1800),
            &pauses,
            t("2026-06-01T10:20:00Z"),
        )
        .unwrap();
        assert_eq!(a.elapsed, TimeDelta::minutes(10));
        assert!((a.elapsed_fraction() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(a.highest_crossed(), None);
        let at: Vec<_> = a.thresholds.iter().map(|c| c.at.unwrap()).collect();
        assert_eq!(
            at,
            vec![
                t("2026-06-01T10:25:00Z"),
                t("2026-06-01T10:32:30Z"),
                t("2026-06-01T10:37:00Z")
            ]
        );
        assert_eq!(a.next().unwrap().millionths, 500_000);

        // At 10:33 the 50% and 75% thresholds are crossed, 90% is next.
        let a = assess(
            &AtRiskThresholds::default(),
            &BusinessClock::Continuous,
            t("2026-06-01T10:00:00Z"),
            Duration::from_secs(1800),
            &pauses,
            t("2026-06-01T10:33:00Z"),
        )
        .unwrap();
        assert_eq!(a.highest_crossed(), Some(750_000));
        assert_eq!(
            a.thresholds.iter().map(|c| c.crossed).collect::<Vec<_>>(),
            vec![true, true, false]
        );
        assert!(a.explanation().contains("75%"), "{}", a.explanation());
    }

    #[test]
    fn business_clock_moves_a_threshold_out_of_a_closed_day() {
        // Berlin office hours with Thu 2026-06-04 closed. 8h target opened Wed 13:00
        // CEST: Wed counts 4h until 17:00, so 50% (4h) is used up exactly at Wed 17:00
        // (a closing instant), 75% (6h) needs 2h more: Thu is closed, so Fri 11:00; 90%
        // (7h12m) is Fri 12:12.
        use chrono::Weekday::*;
        let nine_to_five = OpenInterval {
            open: TimeOfDay::hm(9, 0).unwrap(),
            close: TimeOfDay::hm(17, 0).unwrap(),
        };
        let cal = Calendar::new(
            "Europe/Berlin",
            [Mon, Tue, Wed, Thu, Fri]
                .into_iter()
                .map(|d| (d, vec![nine_to_five]))
                .collect(),
            vec![DateException::Closed(ClosedDate {
                date: "2026-06-04".parse().unwrap(),
                reason: "holiday".into(),
            })],
        )
        .unwrap();
        let a = assess(
            &AtRiskThresholds::default(),
            &BusinessClock::Calendar(&cal),
            t("2026-06-03T11:00:00Z"),
            Duration::from_secs(8 * HOUR),
            &Pauses::none(),
            t("2026-06-04T12:00:00Z"),
        )
        .unwrap();
        assert_eq!(a.elapsed, TimeDelta::hours(4));
        assert_eq!(a.highest_crossed(), Some(500_000));
        let at: Vec<_> = a.thresholds.iter().map(|c| c.at.unwrap()).collect();
        assert_eq!(
            at,
            vec![
                t("2026-06-03T15:00:00Z"),
                t("2026-06-05T09:00:00Z"),
                t("2026-06-05T10:12:00Z")
            ]
        );
    }

    #[test]
    fn an_open_ended_pause_leaves_later_thresholds_without_an_instant() {
        // 1h continuous target from 10:00, paused from 10:40 without end: 50% (30 min)
        // was crossed at 10:30; 75% and 90% have no instant yet.
        let pauses = Pauses::new(vec![Pause {
            start: t("2026-06-01T10:40:00Z"),
            end: None,
        }])
        .unwrap();
        let a = assess(
            &AtRiskThresholds::default(),
            &BusinessClock::Continuous,
            t("2026-06-01T10:00:00Z"),
            Duration::from_secs(HOUR),
            &pauses,
            t("2026-06-01T11:30:00Z"),
        )
        .unwrap();
        assert_eq!(a.elapsed, TimeDelta::minutes(40));
        assert_eq!(a.thresholds[0].at, Some(t("2026-06-01T10:30:00Z")));
        assert_eq!((a.thresholds[1].at, a.thresholds[2].at), (None, None));
        assert_eq!(a.highest_crossed(), Some(500_000));
    }
}
