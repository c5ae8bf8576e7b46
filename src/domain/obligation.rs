//! Recurring obligations of premium contracts: the weekly status call, at least two
//! deployment reviews per contract year, and the quarterly roadmap webinar. From recorded
//! completions, each obligation is reported as on track, due or overdue at an instant.
//!
//! Periods are anchored at the contract's start and counted in the account's local dates
//! and wall time (what a customer is promised): weeks of 7 local days, quarters of 3
//! calendar months and contract years of 12 calendar months, so a weekly call that starts
//! Monday 09:00 in New York stays Monday 09:00 across daylight saving time. An obligation is on track when the
//! current period already has its required completions (the next one is due by the end of
//! the following period); due when it does not yet but the previous period was satisfied (it
//! is due by the end of the current period); overdue when the previous period ended without
//! them and the current one has not caught up (it was due at the start of the current
//! period).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, LocalResult, Months, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::catalog::Benefit;
use super::error::DomainError;
use super::text::Quoted;

/// A recurring obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObligationKind {
    /// Regular status call and service report, weekly.
    WeeklyStatusCall,
    /// Deployment review, at least twice per contract year.
    DeploymentReview,
    /// Product roadmap webinar, quarterly.
    RoadmapWebinar,
}

impl ObligationKind {
    /// Every obligation kind.
    pub const ALL: [ObligationKind; 3] = [
        ObligationKind::WeeklyStatusCall,
        ObligationKind::DeploymentReview,
        ObligationKind::RoadmapWebinar,
    ];

    /// The benefit that carries this obligation.
    pub fn benefit(self) -> Benefit {
        match self {
            ObligationKind::WeeklyStatusCall => Benefit::WeeklyStatusCalls,
            ObligationKind::DeploymentReview => Benefit::DeploymentReview,
            ObligationKind::RoadmapWebinar => Benefit::RoadmapParticipation,
        }
    }

    /// Completions required per period.
    pub fn required(self) -> u32 {
        match self {
            ObligationKind::DeploymentReview => 2,
            _ => 1,
        }
    }

    /// Stable snake_case name.
    pub fn key(self) -> &'static str {
        match self {
            ObligationKind::WeeklyStatusCall => "weekly_status_call",
            ObligationKind::DeploymentReview => "deployment_review",
            ObligationKind::RoadmapWebinar => "roadmap_webinar",
        }
    }

    /// The start of period `k` (0-based) of a contract starting at `start`, counted in
    /// `zone`'s local time; `None` past the last representable instant.
    fn checked_period_start(self, zone: Tz, start: DateTime<Utc>, k: u32) -> Option<DateTime<Utc>> {
        let local = start.with_timezone(&zone).naive_local();
        let months = |per: u32| local.checked_add_months(Months::new(per.checked_mul(k)?));
        let shifted = match self {
            ObligationKind::WeeklyStatusCall => {
                local.checked_add_signed(TimeDelta::try_weeks(i64::from(k))?)
            }
            ObligationKind::DeploymentReview => months(12),
            ObligationKind::RoadmapWebinar => months(3),
        }?;
        instant_of(zone, shifted)
    }

    /// The start of period `k`, or the last representable instant past it.
    fn period_start(self, zone: Tz, start: DateTime<Utc>, k: u32) -> DateTime<Utc> {
        self.checked_period_start(zone, start, k)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The index of the period containing `t >= start`.
    fn period_index(self, zone: Tz, start: DateTime<Utc>, t: DateTime<Utc>) -> u32 {
        let approx = match self {
            ObligationKind::WeeklyStatusCall => (t - start).num_weeks(),
            ObligationKind::DeploymentReview => (t - start).num_days() / 366,
            ObligationKind::RoadmapWebinar => (t - start).num_days() / 93,
        };
        let mut k = u32::try_from(approx.max(0))
            .unwrap_or(u32::MAX)
            .saturating_sub(1);
        // Stops at the last period that starts at a representable instant (so `k` stays
        // far below `u32::MAX`).
        while self
            .checked_period_start(zone, start, k + 1)
            .is_some_and(|next| next <= t)
        {
            k += 1;
        }
        k
    }
}

impl fmt::Display for ObligationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for ObligationKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObligationKind::ALL
            .into_iter()
            .find(|k| k.key() == s)
            .ok_or_else(|| {
                DomainError::InvalidContract(format!("unknown obligation {}", Quoted::new(s)))
            })
    }
}

/// A recorded completion of an obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// Which obligation.
    pub kind: ObligationKind,
    /// When it took place.
    pub at: DateTime<Utc>,
    /// Free text (e.g. the meeting's minutes link).
    pub note: String,
}

impl Completion {
    /// True if `other` records the same event (same obligation, same instant): recording
    /// it again is a retry and changes nothing, whatever its note.
    pub fn same_event(&self, other: &Completion) -> bool {
        self.kind == other.kind && self.at == other.at
    }
}

/// Where an obligation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObligationStatus {
    /// The current period's completions are done.
    OnTrack,
    /// Needed by the end of the current period.
    Due,
    /// The previous period ended without them.
    Overdue,
}

/// One obligation's report at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationReport {
    /// Which obligation.
    pub kind: ObligationKind,
    /// Where it stands.
    pub status: ObligationStatus,
    /// The current period.
    pub period_start: DateTime<Utc>,
    /// The end of the current period (exclusive).
    pub period_end: DateTime<Utc>,
    /// Completions required per period.
    pub required: u32,
    /// Completions recorded in the current period.
    pub completed_in_period: u32,
    /// When the next completion is (or was) due; `None` when on track and the contract
    /// ends before another period starts.
    pub next_due: Option<DateTime<Utc>>,
    /// The latest recorded completion, if any.
    pub last_completion: Option<DateTime<Utc>>,
}

/// The instant of local wall time `local` in `zone`: the earlier one when the wall time
/// happens twice (autumn), and when it never happens (a spring gap) the instant it would
/// be at the offset before the gap, i.e. as far past the gap's end as it was into it.
fn instant_of(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
        LocalResult::None => {
            let before = zone
                .offset_from_utc_datetime(&local.checked_sub_signed(TimeDelta::days(1))?)
                .fix();
            let utc = local
                .checked_sub_signed(TimeDelta::seconds(i64::from(before.local_minus_utc())))?;
            Some(Utc.from_utc_datetime(&utc))
        }
    }
}

/// Reports one obligation at `t` for a contract in force from `start` until `end`, its
/// periods counted in `zone` (the account's time zone). Periods are clipped to the
/// contract's end; completions after `t` are not counted.
pub fn report(
    kind: ObligationKind,
    zone: Tz,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    completions: &[Completion],
    t: DateTime<Utc>,
) -> ObligationReport {
    let t = t.max(start);
    let clip = |x: DateTime<Utc>| end.map_or(x, |e| x.min(e));
    let period_start = |k| kind.period_start(zone, start, k);
    let k = kind.period_index(zone, start, t);
    let (ps, pe) = (period_start(k), clip(period_start(k + 1)));
    let count = |from, to| {
        completions
            .iter()
            .filter(|c| c.kind == kind && from <= c.at && c.at < to && c.at <= t)
            .count() as u32
    };
    let required = kind.required();
    let done = count(ps, pe);
    let previous_missed = k > 0 && count(period_start(k - 1), ps) < required;
    let (status, next_due) = if done >= required {
        let next_exists = end.is_none_or(|e| e > period_start(k + 1));
        let next_due = next_exists.then(|| clip(period_start(k + 2)));
        (ObligationStatus::OnTrack, next_due)
    } else if previous_missed {
        (ObligationStatus::Overdue, Some(ps))
    } else {
        (ObligationStatus::Due, Some(pe))
    };
    let last_completion = completions
        .iter()
        .filter(|c| c.kind == kind && c.at <= t)
        .map(|c| c.at)
        .max();
    ObligationReport {
        kind,
        status,
        period_start: ps,
        period_end: pe,
        required,
        completed_in_period: done,
        next_due,
        last_completion,
    }
}

/// Checks that a completion can be recorded: not in the future, inside the contract's
/// period.
pub fn check_completion(
    c: &Completion,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if c.at > now {
        return Err(DomainError::InvalidTimeline(format!(
            "completion at {} is in the future",
            c.at
        )));
    }
    if c.at < start || end.is_some_and(|e| c.at >= e) {
        return Err(DomainError::InvalidTimeline(format!(
            "completion at {} is outside the contract's period",
            c.at
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Tz::UTC;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn done(kind: ObligationKind, t: DateTime<Utc>) -> Completion {
        Completion {
            kind,
            at: t,
            note: String::new(),
        }
    }

    #[test]
    fn weekly_call_cycle() {
        let start = at(2026, 1, 5); // a Monday
        let k = ObligationKind::WeeklyStatusCall;
        // First week, nothing yet: due by the end of the week.
        let r = report(k, UTC, start, None, &[], at(2026, 1, 7));
        assert_eq!(
            (r.status, r.next_due),
            (ObligationStatus::Due, Some(at(2026, 1, 12)))
        );
        // Call held: on track, next due by the end of the following week.
        let calls = [done(k, at(2026, 1, 8))];
        let r = report(k, UTC, start, None, &calls, at(2026, 1, 9));
        assert_eq!(
            (r.status, r.next_due),
            (ObligationStatus::OnTrack, Some(at(2026, 1, 19)))
        );
        // Second week without a call is still only due; third week without: overdue.
        assert_eq!(
            report(k, UTC, start, None, &calls, at(2026, 1, 14)).status,
            ObligationStatus::Due
        );
        let r = report(k, UTC, start, None, &calls, at(2026, 1, 20));
        assert_eq!(
            (r.status, r.next_due),
            (ObligationStatus::Overdue, Some(at(2026, 1, 19)))
        );
    }

    #[test]
    fn two_reviews_per_contract_year() {
        let start = at(2026, 3, 1);
        let k = ObligationKind::DeploymentReview;
        let one = [done(k, at(2026, 5, 1))];
        let r = report(k, UTC, start, None, &one, at(2026, 12, 1));
        assert_eq!(
            (r.status, r.completed_in_period, r.required),
            (ObligationStatus::Due, 1, 2)
        );
        assert_eq!(r.period_end, at(2027, 3, 1));
        let r = report(k, UTC, start, None, &one, at(2027, 4, 1));
        assert_eq!(r.status, ObligationStatus::Overdue);
        let two = [done(k, at(2026, 5, 1)), done(k, at(2026, 11, 1))];
        assert_eq!(
            report(k, UTC, start, None, &two, at(2026, 12, 1)).status,
            ObligationStatus::OnTrack
        );
    }

    #[test]
    fn quarters_follow_calendar_months() {
        let start = at(2026, 1, 31);
        let k = ObligationKind::RoadmapWebinar;
        let r = report(k, UTC, start, None, &[], at(2026, 5, 15));
        assert_eq!(r.period_start, at(2026, 4, 30));
        assert_eq!(r.period_end, at(2026, 7, 31));
    }

    #[test]
    fn periods_stop_at_the_contract_end() {
        let start = at(2026, 1, 5);
        let k = ObligationKind::WeeklyStatusCall;
        let end = Some(at(2026, 1, 15));
        let calls = [done(k, at(2026, 1, 13))];
        let r = report(k, UTC, start, end, &calls, at(2026, 1, 14));
        assert_eq!(r.period_end, at(2026, 1, 15));
        assert_eq!((r.status, r.next_due), (ObligationStatus::OnTrack, None));
        // A completion after the evaluation instant does not count yet.
        let r = report(k, UTC, start, end, &calls, at(2026, 1, 12));
        assert_eq!(r.completed_in_period, 0);
    }

    #[test]
    fn a_report_at_the_last_representable_instant_does_not_overflow() {
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        for kind in [
            ObligationKind::WeeklyStatusCall,
            ObligationKind::DeploymentReview,
            ObligationKind::RoadmapWebinar,
        ] {
            let r = report(kind, UTC, start, None, &[], DateTime::<Utc>::MAX_UTC);
            assert!(r.period_start <= DateTime::<Utc>::MAX_UTC, "{kind}");
            assert!(r.period_start >= start, "{kind}");
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn weekly_periods_keep_the_local_wall_time_across_daylight_saving() {
        // Monday 2026-03-02 09:00 in New York (EST); DST begins on Sunday 2026-03-08.
        let start = utc("2026-03-02T14:00:00Z");
        let k = ObligationKind::WeeklyStatusCall;
        let r = report(
            k,
            Tz::America__New_York,
            start,
            None,
            &[],
            utc("2026-03-09T13:30:00Z"),
        );
        // The second week starts Monday 09:00 EDT, 13:00Z, not 14:00Z as UTC weeks would.
        assert_eq!(r.period_start, utc("2026-03-09T13:00:00Z"));
        assert_eq!(r.period_end, utc("2026-03-16T13:00:00Z"));
        // In UTC the same instant would still be in the first week.
        let r = report(k, UTC, start, None, &[], utc("2026-03-09T13:30:00Z"));
        assert_eq!(r.period_start, start);
    }

    #[test]
    fn a_period_boundary_in_a_far_zone_follows_local_dates() {
        // 2026-01-31 00:00 on Kiritimati (UTC+14) is 2026-01-30 10:00Z.
        let start = utc("2026-01-30T10:00:00Z");
        let k = ObligationKind::RoadmapWebinar;
        let zone = Tz::Pacific__Kiritimati;
        // The next quarter starts on local 2026-04-30 (31 clamped), 2026-04-29 10:00Z.
        let r = report(k, zone, start, None, &[], utc("2026-04-29T12:00:00Z"));
        assert_eq!(r.period_start, utc("2026-04-29T10:00:00Z"));
        assert_eq!(r.period_end, utc("2026-07-30T10:00:00Z"));
        let r = report(k, zone, start, None, &[], utc("2026-04-29T09:59:59Z"));
        assert_eq!(r.period_start, start);
    }

    #[test]
    fn a_period_start_in_a_spring_gap_moves_past_the_gap() {
        // Sunday 2026-03-01 02:30 EST; a week later 02:30 does not exist in New York.
        let start = utc("2026-03-01T07:30:00Z");
        let k = ObligationKind::WeeklyStatusCall;
        let r = report(
            k,
            Tz::America__New_York,
            start,
            None,
            &[],
            utc("2026-03-10T00:00:00Z"),
        );
        // 03:30 EDT, as far past the gap's end as 02:30 was into it.
        assert_eq!(r.period_start, utc("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn the_last_representable_instant_in_far_zones_does_not_overflow() {
        let start = utc("2026-01-01T00:00:00Z");
        for zone in [Tz::Pacific__Kiritimati, Tz::Pacific__Pago_Pago] {
            for kind in ObligationKind::ALL {
                let r = report(kind, zone, start, None, &[], DateTime::<Utc>::MAX_UTC);
                assert!(r.period_start >= start, "{kind} {zone}");
            }
        }
    }
}
