//! Hand-worked SLA tables for the domain engine. Every expected instant below is a
//! literal worked out by hand from the catalog in SPEC.md (first-response targets and
//! update cadences per tier and priority, 24x7 coverage for extended P1 and premium
//! P1/P2) and its "Semantics" section (business-hours clock, closing-instant rule,
//! pauses, cadence anchored on the previous event, priority changes measured from the
//! opening, DST wall-time rule), with the arithmetic in a comment next to it. Nothing
//! here is computed with the engine's own helpers: if a test fails, either the engine or
//! the comment is wrong, and the comment says which numbers to re-check.
//!
//! Unless said otherwise the calendar is Europe/Berlin, Monday-Friday 09:00-17:00, with
//! 2026-12-24 "Christmas Eve" open 09:00-12:00 and 2026-12-25 "Christmas Day" closed.
//! Berlin is UTC+01:00 until 2026-03-29 and from 2026-10-25, UTC+02:00 in between;
//! instants are written with their local offset so the wall time is visible.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use entitlements::domain::catalog::builtin_plans;
use entitlements::domain::entitlement::{availability, check_benefit, explain_denial};
use entitlements::domain::{
    AtRiskThresholds, AvailabilityReason, Benefit, BusinessClock, Calendar, CaseContext, CaseEvent,
    CaseTimeline, Channel, ClockKind, ClosedDate, Contract, ContractAt, ContractOverrides,
    ContractState, Coverage, DateException, DecisionReason, DesignatedContact, DomainError,
    Milestone, MilestoneEvaluation, MilestoneStatus, OpenInterval, Pause, Pauses, Plan, Priority,
    PriorityTerms, SpecialDate, Terms, TimeOfDay, contract_at, deadline, evaluate_case,
};

const HOUR: u64 = 3600;
const MINUTE: u64 = 60;

/// An RFC 3339 literal as a UTC instant.
fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad literal {s}: {e}"))
        .with_timezone(&Utc)
}

fn hm(h: u32, m: u32) -> TimeOfDay {
    TimeOfDay::hm(h, m).unwrap()
}

fn iv(open: TimeOfDay, close: TimeOfDay) -> OpenInterval {
    OpenInterval { open, close }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const WORKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

const ALL_DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Europe/Berlin, Mon-Fri 09:00-17:00, Christmas Eve 09:00-12:00, Christmas Day closed.
fn berlin() -> Calendar {
    Calendar::new(
        "Europe/Berlin",
        WORKDAYS
            .into_iter()
            .map(|d| (d, vec![iv(hm(9, 0), hm(17, 0))]))
            .collect(),
        vec![
            DateException::Closed(ClosedDate {
                date: date(2026, 12, 25),
                reason: "Christmas Day".into(),
            }),
            DateException::Special(SpecialDate {
                date: date(2026, 12, 24),
                intervals: vec![iv(hm(9, 0), hm(12, 0))],
                reason: "Christmas Eve".into(),
            }),
        ],
    )
    .unwrap()
}

/// A calendar open on `days` during `interval`, nothing else.
fn open_on(zone: &str, days: &[Weekday], interval: OpenInterval) -> Calendar {
    Calendar::new(
        zone,
        days.iter().map(|d| (*d, vec![interval])).collect(),
        vec![],
    )
    .unwrap()
}

fn plan(id: &str) -> Plan {
    builtin_plans()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no built-in plan {id}"))
}

/// An active contract of account `acme` on `plan_id` from `start` to `end`.
fn contract(id: &str, plan_id: &str, start: &str, end: Option<&str>) -> Contract {
    Contract {
        id: id.into(),
        account_id: "acme".into(),
        plan_id: plan_id.into(),
        start: t(start),
        end: end.map(t),
        state: ContractState::Active,
        terminated_at: None,
        overrides: ContractOverrides::default(),
        contacts: vec![],
        technical_account_manager: None,
        version: 1,
    }
}

/// The terms of a plain contract on a built-in tier.
fn tier_terms(tier: &str) -> Terms {
    contract("c-1", tier, "2026-01-01T00:00:00Z", None).terms(&plan(tier))
}

fn secs(d: Option<TimeDelta>) -> Option<i64> {
    d.map(|d| d.num_seconds())
}

// ---------------------------------------------------------------------------------------
// 1. Tier x priority x milestone tables
// ---------------------------------------------------------------------------------------

struct Row {
    tier: &'static str,
    priority: Priority,
    milestone: Milestone,
    start: &'static str,
    due: &'static str,
    clock: ClockKind,
    target: u64,
    /// Fragments the explanation must contain.
    mentions: &'static [&'static str],
    /// Fragments it must not contain.
    omits: &'static [&'static str],
}

const EVE: &str = "2026-12-24 open 09:00-12:00 (Christmas Eve)";
const DAY: &str = "2026-12-25 closed (Christmas Day)";
const CONTINUOUS: &str = "on the continuous clock (24x7)";
const BUSINESS: &str = "in business hours (Europe/Berlin)";

fn check_rows(rows: &[Row]) {
    let cal = berlin();
    for r in rows {
        let terms = tier_terms(r.tier);
        let label = format!(
            "{} {} {:?} from {}",
            r.tier, r.priority, r.milestone, r.start
        );
        let d = deadline(
            terms.for_priority(r.priority),
            r.milestone,
            &cal,
            t(r.start),
            &Pauses::none(),
        )
        .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(d.due, Some(t(r.due)), "{label}: due");
        assert_eq!(d.clock, r.clock, "{label}: clock");
        assert_eq!(d.target, Some(Duration::from_secs(r.target)), "{label}");
        assert_eq!(d.start, t(r.start), "{label}: start");
        let explanation = d.explanation(&cal, &Pauses::none()).unwrap();
        for m in r.mentions {
            assert!(
                explanation.contains(m),
                "{label}: explanation should mention {m:?}: {}",
                explanation
            );
        }
        for m in r.omits {
            assert!(
                !explanation.contains(m),
                "{label}: explanation should not mention {m:?}: {}",
                explanation
            );
        }
    }
}

#[test]
fn standard_tier_table() {
    use Milestone::*;
    use Priority::*;
    check_rows(&[
        // P1 first response, 8h business, opened Fri 2026-06-05 16:30 CEST:
        // Fri 16:30-17:00 = 0.5h, Sat/Sun closed, Mon 09:00 + 7.5h = Mon 16:30.
        // Real elapsed Fri 16:30 -> Mon 16:30 = 72h, so 72 - 8 = 64h closed time skipped.
        Row {
            tier: "standard",
            priority: P1,
            milestone: FirstResponse,
            start: "2026-06-05T16:30:00+02:00",
            due: "2026-06-08T16:30:00+02:00",
            clock: ClockKind::BusinessHours,
            target: 8 * HOUR,
            mentions: &[BUSINESS, "8h counted", "64h closed time skipped"],
            omits: &["calendar dates in range"],
        },
        // P1 first response opened Thu 2026-12-24 11:00 CET (Christmas Eve, open 09-12):
        // Thu 11:00-12:00 = 1h, Fri 25 closed, Sat/Sun closed, Mon 28 09:00 + 7h = 16:00.
        Row {
            tier: "standard",
            priority: P1,
            milestone: FirstResponse,
            start: "2026-12-24T11:00:00+01:00",
            due: "2026-12-28T16:00:00+01:00",
            clock: ClockKind::BusinessHours,
            target: 8 * HOUR,
            mentions: &[EVE, DAY],
            omits: &[],
        },
        // P1 first response opened on Christmas Day itself, Fri 2026-12-25 10:00 CET:
        // closed, weekend, counting starts Mon 28 09:00 + 8h = Mon 17:00 (the closing
        // instant, not Tue 09:00). Range 12-25..12-28 holds Christmas Day only.
        Row {
            tier: "standard",
            priority: P1,
            milestone: FirstResponse,
            start: "2026-12-25T10:00:00+01:00",
            due: "2026-12-28T17:00:00+01:00",
            clock: ClockKind::BusinessHours,
            target: 8 * HOUR,
            mentions: &[DAY],
            omits: &["Christmas Eve"],
        },
        // P1 next update, 24h business = 3 business days, from a first response at
        // Tue 2026-06-09 10:00 CEST: Tue 10-17 = 7h, Wed 8h (15h), Thu 8h (23h),
        // Fri 09:00 + 1h = Fri 10:00. Real elapsed 72h - 24h = 48h skipped.
        Row {
            tier: "standard",
            priority: P1,
            milestone: NextUpdate,
            start: "2026-06-09T10:00:00+02:00",
            due: "2026-06-12T10:00:00+02:00",
            clock: ClockKind::BusinessHours,
            target: 24 * HOUR,
            mentions: &["24h counted", "48h closed time skipped"],
            omits: &[],
        },
        // P2 first response, 24h business across Christmas, opened Tue 2026-12-22 14:00 CET:
        // Tue 14-17 = 3h, Wed 23 8h (11h), Thu 24 09-12 3h (14h), Fri 25 closed,
        // Sat/Sun closed, Mon 28 8h (22h), Tue 29 09:00 + 2h = 11:00.
        // Real elapsed Tue 14:00 -> Tue 11:00 = 168 - 3 = 165h, so 141h skipped.
        Row {
            tier: "standard",
            priority: P2,
            milestone: FirstResponse,
            start: "2026-12-22T14:00:00+01:00",
            due: "2026-12-29T11:00:00+01:00",
            clock: ClockKind::BusinessHours,
            target: 24 * HOUR,
            mentions: &[
                BUSINESS,
                EVE,
                DAY,
                "24h counted",
                "141h closed time skipped",
            ],
            omits: &[],
        },
        // P2 next update, 72h business = 9 business days, from Mon 2026-06-08 09:00 CEST:
        // Mon-Fri = 40h, Mon 15-Thu 18 = 32h -> 72h used up exactly at Thu 18 17:00,
        // which is the due instant (a closing time, not Fri 09:00).
        // Real elapsed 10 days + 8h = 248h, 248 - 72 = 176h skipped.
        Row {
            tier: "standard",
            priority: P2,
            milestone: NextUpdate,
            start: "2026-06-08T09:00:00+02:00",
            due: "2026-06-18T17:00:00+02:00",
            clock: ClockKind::BusinessHours,
            target: 72 * HOUR,
            mentions: &["72h counted", "176h closed time skipped"],
            omits: &[],
        },
    ]);
}

#[test]
fn extended_tier_table() {
    use Milestone::*;
    use Priority::*;
    check_rows(&[
        // P1 first response 2h continuous (24x7), opened Sat 2026-06-06 23:30 CEST:
        // 23:30 + 2h = Sun 01:30, weekend or not.
        Row {
            tier: "extended",
            priority: P1,
            milestone: FirstResponse,
            start: "2026-06-06T23:30:00+02:00",
            due: "2026-06-07T01:30:00+02:00",
            clock: ClockKind::Continuous,
            target: 2 * HOUR,
            mentions: &[CONTINUOUS, "2h counted"],
            omits: &["closed time skipped", "calendar dates in range"],
        },
        // P1 next update 24h continuous from Thu 2026-12-24 10:00 CET: Fri 25 10:00;
        // Christmas Day does not stop a 24x7 clock and is not listed.
        Row {
            tier: "extended",
            priority: P1,
            milestone: NextUpdate,
            start: "2026-12-24T10:00:00+01:00",
            due: "2026-12-25T10:00:00+01:00",
            clock: ClockKind::Continuous,
            target: 24 * HOUR,
            mentions: &[CONTINUOUS],
            omits: &["Christmas", "closed time skipped"],
        },
        // P2 first response 8h business, opened Sat 2026-06-06 11:00 CEST: counting starts
        // Mon 09:00, + 8h = Mon 17:00 (closing instant). Real 54h - 8h = 46h skipped.
        Row {
            tier: "extended",
            priority: P2,
            milestone: FirstResponse,
            start: "2026-06-06T11:00:00+02:00",
            due: "2026-06-08T17:00:00+02:00",
            clock: ClockKind::BusinessHours,
            target: 8 * HOUR,
            mentions: &[BUSINESS, "46h closed time skipped"],
            omits: &[],
        },
        // P2 next update 48h business from Wed 2026-12-23 15:00 CET:
        // Wed 15-17 = 2h, Thu 24 09-12 3h (5h), Fri 25 closed, Mon 28 8h (13h),
        // Tue 29 (21h), Wed 30 (29h), Thu 31 (37h), Fri 2027-01-01 is an ordinary
        // Friday here (45h), Mon 2027-01-04 09:00 + 3h = 12:00.
        // Real Wed 23 15:00 -> Mon 4 12:00 = 12 days - 3h = 285h, 285 - 48 = 237h skipped.
        Row {
            tier: "extended",
            priority: P2,
            milestone: NextUpdate,
            start: "2026-12-23T15:00:00+01:00",
            due: "2027-01-04T12:00:00+01:00",
            clock: ClockKind::BusinessHours,
            target: 48 * HOUR,
            mentions: &[EVE, DAY, "48h counted", "237h closed time skipped"],
            omits: &[],
        },
    ]);
}

#[test]
fn premium_tier_table() {
    use Milestone::*;
    use Priority::*;
    check_rows(&[
        // P1 first response 30min continuous, opened Sun 2026-06-07 03:00 CEST: 03:30.
        Row {
            tier: "premium",
            priority: P1,
            milestone: FirstResponse,
            start: "2026-06-07T03:00:00+02:00",
            due: "2026-06-07T03:30:00+02:00",
            clock: ClockKind::Continuous,
            target: 30 * MINUTE,
            mentions: &[CONTINUOUS, "0h30m counted"],
            omits: &["closed time skipped"],
        },
        // P1 next update every 12h continuous from Mon 2026-06-08 16:00 CEST: Tue 04:00.
        Row {
            tier: "premium",
            priority: P1,
            milestone: NextUpdate,
            start: "2026-06-08T16:00:00+02:00",
            due: "2026-06-09T04:00:00+02:00",
            clock: ClockKind::Continuous,
            target: 12 * HOUR,
            mentions: &[CONTINUOUS, "12h counted"],
            omits: &[],
        },
        // P2 first response 2h continuous, opened on Christmas Day Fri 2026-12-25 10:00
        // CET: 12:00 the same day; the closed date does not apply to a 24x7 clock.
        Row {
            tier: "premium",
            priority: P2,
            milestone: FirstResponse,
            start: "2026-12-25T10:00:00+01:00",
            due: "2026-12-25T12:00:00+01:00",
            clock: ClockKind::Continuous,
            target: 2 * HOUR,
            mentions: &[CONTINUOUS],
            omits: &["Christmas"],
        },
        // P2 next update 24h continuous from Sat 2026-06-06 08:15 CEST: Sun 08:15.
        Row {
            tier: "premium",
            priority: P2,
            milestone: NextUpdate,
            start: "2026-06-06T08:15:00+02:00",
            due: "2026-06-07T08:15:00+02:00",
            clock: ClockKind::Continuous,
            target: 24 * HOUR,
            mentions: &[CONTINUOUS, "24h counted"],
            omits: &[],
        },
    ]);
}

#[test]
fn long_targets_have_no_cap_and_midnight_is_not_a_gap() {
    // 10,000h of Berlin office hours (Mon-Fri 09:00-17:00, no holidays) from
    // Mon 2026-06-08 09:00 CEST = 1,250 days of 8h = exactly 250 weeks of 40h, used up at
    // the Friday closing of week 250: Mon + 249 weeks + 4 days = 2026-06-08 + 1,747 days
    // = Fri 2031-03-21 17:00, still CET (EU summer time 2031 starts Sun 03-30).
    let office = Calendar::office_hours("Europe/Berlin").unwrap();
    let long = PriorityTerms {
        priority: Priority::P2,
        coverage: Coverage::BusinessHours,
        first_response: Some(Duration::from_secs(10_000 * HOUR)),
        update_cadence: None,
        at_risk: AtRiskThresholds::default(),
    };
    let d = deadline(
        &long,
        Milestone::FirstResponse,
        &office,
        t("2026-06-08T09:00:00+02:00"),
        &Pauses::none(),
    )
    .unwrap();
    assert_eq!(d.due, Some(t("2031-03-21T17:00:00+01:00")));

    // A 24x7 calendar written as 00:00-24:00 every day has no gap at midnight
    // (Zammad #3180): Sun 2026-06-07 23:30 CEST + 1h = Mon 00:30.
    let all_week = open_on(
        "Europe/Berlin",
        &ALL_DAYS,
        iv(TimeOfDay::MIDNIGHT, TimeOfDay::END_OF_DAY),
    );
    assert_eq!(
        BusinessClock::Calendar(&all_week)
            .add(t("2026-06-07T23:30:00+02:00"), Duration::from_secs(HOUR))
            .unwrap(),
        t("2026-06-08T00:30:00+02:00")
    );

    // A calendar with no open time at all is refused when built.
    assert!(matches!(
        Calendar::new("Europe/Berlin", vec![], vec![]),
        Err(DomainError::NoOpenTime)
    ));
}

// ---------------------------------------------------------------------------------------
// 2. P3 / P4: explicit "no target"
// ---------------------------------------------------------------------------------------

#[test]
fn p3_and_p4_have_no_target_on_every_tier() {
    let cal = berlin();
    let start = t("2026-06-08T10:00:00+02:00");
    for tier in ["standard", "extended", "premium"] {
        let terms = tier_terms(tier);
        for p in [Priority::P3, Priority::P4] {
            for m in [Milestone::FirstResponse, Milestone::NextUpdate] {
                let d = deadline(terms.for_priority(p), m, &cal, start, &Pauses::none()).unwrap();
                let label = format!("{tier} {p} {m:?}");
                assert_eq!(d.due, None, "{label}");
                assert_eq!(d.target, None, "{label}");
                assert_eq!(d.start, start, "{label}");
                assert_eq!(
                    d.explanation(&cal, &Pauses::none()).unwrap(),
                    format!("{p} has no {} target", m.key()),
                    "{label}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// 3. DST
// ---------------------------------------------------------------------------------------

/// Standard P1 (8h business) first-response due instant on `cal` from `start`.
fn standard_p1_due(cal: &Calendar, start: DateTime<Utc>) -> DateTime<Utc> {
    let terms = tier_terms("standard");
    deadline(
        terms.for_priority(Priority::P1),
        Milestone::FirstResponse,
        cal,
        start,
        &Pauses::none(),
    )
    .unwrap()
    .due
    .unwrap()
}

fn local_hm(at: DateTime<Utc>, tz: Tz) -> (u32, u32) {
    let l = at.with_timezone(&tz);
    (l.hour(), l.minute())
}

#[test]
fn dst_weekends_keep_the_local_wall_time_of_the_deadline() {
    let berlin_cal = berlin();
    let ny = Calendar::office_hours("America/New_York").unwrap();
    let cases: [(&Calendar, Tz, &str, &str, i64); 6] = [
        // Normal Berlin week for reference: Fri 2026-03-20 16:00 CET, 16-17 = 1h,
        // Mon 09:00 + 7h = Mon 16:00 CET; real elapsed exactly 72h.
        (
            &berlin_cal,
            chrono_tz::Europe::Berlin,
            "2026-03-20T16:00:00+01:00",
            "2026-03-23T16:00:00+01:00",
            72,
        ),
        // Spring forward Sun 2026-03-29 (02:00 -> 03:00): Fri 16:00 CET (15:00Z) to
        // Mon 30 16:00 CEST (14:00Z): same wall time, only 71h of real time.
        (
            &berlin_cal,
            chrono_tz::Europe::Berlin,
            "2026-03-27T16:00:00+01:00",
            "2026-03-30T16:00:00+02:00",
            71,
        ),
        // Fall back Sun 2026-10-25 (03:00 -> 02:00): Fri 23 16:00 CEST (14:00Z) to
        // Mon 26 16:00 CET (15:00Z): 73h of real time.
        (
            &berlin_cal,
            chrono_tz::Europe::Berlin,
            "2026-10-23T16:00:00+02:00",
            "2026-10-26T16:00:00+01:00",
            73,
        ),
        // Normal New York week: Fri 2026-02-27 16:00 EST -> Mon 03-02 16:00 EST, 72h.
        (
            &ny,
            chrono_tz::America::New_York,
            "2026-02-27T16:00:00-05:00",
            "2026-03-02T16:00:00-05:00",
            72,
        ),
        // Spring forward Sun 2026-03-08: Fri 06 16:00 EST (21:00Z) to Mon 09 16:00 EDT
        // (20:00Z): 71h.
        (
            &ny,
            chrono_tz::America::New_York,
            "2026-03-06T16:00:00-05:00",
            "2026-03-09T16:00:00-04:00",
            71,
        ),
        // Fall back Sun 2026-11-01: Fri 10-30 16:00 EDT (20:00Z) to Mon 11-02 16:00 EST
        // (21:00Z): 73h.
        (
            &ny,
            chrono_tz::America::New_York,
            "2026-10-30T16:00:00-04:00",
            "2026-11-02T16:00:00-05:00",
            73,
        ),
    ];
    for (cal, tz, start, due, real_hours) in cases {
        let due_at = standard_p1_due(cal, t(start));
        assert_eq!(due_at, t(due), "{} from {start}", cal.time_zone());
        assert_eq!(local_hm(due_at, tz), (16, 0), "{start}");
        assert_eq!(
            (due_at - t(start)).num_hours(),
            real_hours,
            "real time from {start}"
        );
        let clock = BusinessClock::Calendar(cal);
        assert_eq!(
            clock.between(t(start), due_at).unwrap(),
            TimeDelta::hours(8),
            "business time from {start}"
        );
    }
    // The UTC instants, spelled out once: the offsets above are the ones in force.
    assert_eq!(t("2026-03-30T16:00:00+02:00"), t("2026-03-30T14:00:00Z"));
    assert_eq!(t("2026-03-09T16:00:00-04:00"), t("2026-03-09T20:00:00Z"));
    assert_eq!(t("2026-10-26T16:00:00+01:00"), t("2026-10-26T15:00:00Z"));
    assert_eq!(t("2026-11-02T16:00:00-05:00"), t("2026-11-02T21:00:00Z"));
}

#[test]
fn dst_days_last_23_and_25_hours_of_business_time() {
    let whole_day = iv(TimeOfDay::MIDNIGHT, TimeOfDay::END_OF_DAY);
    // (zone, local midnight starting the transition Sunday, the next local midnight,
    //  hours in that day).
    let days = [
        // Berlin spring: Sun 2026-03-29 00:00 CET (03-28 23:00Z) -> Mon 00:00 CEST
        // (03-29 22:00Z) = 23h.
        (
            "Europe/Berlin",
            "2026-03-29T00:00:00+01:00",
            "2026-03-30T00:00:00+02:00",
            23,
        ),
        // Berlin fall: Sun 2026-10-25 00:00 CEST (10-24 22:00Z) -> Mon 00:00 CET
        // (10-25 23:00Z) = 25h.
        (
            "Europe/Berlin",
            "2026-10-25T00:00:00+02:00",
            "2026-10-26T00:00:00+01:00",
            25,
        ),
        // New York spring: Sun 2026-03-08 00:00 EST (05:00Z) -> Mon 00:00 EDT (04:00Z).
        (
            "America/New_York",
            "2026-03-08T00:00:00-05:00",
            "2026-03-09T00:00:00-04:00",
            23,
        ),
        // New York fall: Sun 2026-11-01 00:00 EDT (04:00Z) -> Mon 00:00 EST (05:00Z).
        (
            "America/New_York",
            "2026-11-01T00:00:00-04:00",
            "2026-11-02T00:00:00-05:00",
            25,
        ),
    ];
    for (zone, sunday, monday, hours) in days {
        // Every day 00:00-24:00: the Sunday alone.
        let all_week = open_on(zone, &ALL_DAYS, whole_day);
        let clock = BusinessClock::Calendar(&all_week);
        assert_eq!(
            clock.between(t(sunday), t(monday)).unwrap(),
            TimeDelta::hours(hours),
            "{zone} {sunday} on a 24x7 calendar"
        );
        // Open only on Sundays 00:00-24:00: Sat 00:00 -> Mon 00:00 still measures the
        // Sunday alone, so the result is not just the real elapsed time.
        let sundays = open_on(zone, &[Weekday::Sun], whole_day);
        let clock = BusinessClock::Calendar(&sundays);
        let saturday = t(sunday) - TimeDelta::hours(24);
        assert_eq!(
            clock.between(saturday, t(monday)).unwrap(),
            TimeDelta::hours(hours),
            "{zone} {sunday} on a Sunday-only calendar"
        );
        // And `hours` of business time from the Sunday's midnight end exactly at the
        // closing instant, the next local midnight.
        assert_eq!(
            clock
                .add(saturday, Duration::from_secs(hours as u64 * HOUR))
                .unwrap(),
            t(monday),
            "{zone} {sunday}: add"
        );
    }
    // SPEC's own example: an 01:00-04:00 interval lasts 2h on the spring-forward day and
    // 4h on the fall-back day (Berlin; 02:00-03:00 is skipped / repeated).
    let night = open_on("Europe/Berlin", &[Weekday::Sun], iv(hm(1, 0), hm(4, 0)));
    let clock = BusinessClock::Calendar(&night);
    assert_eq!(
        clock
            .between(t("2026-03-28T12:00:00Z"), t("2026-03-30T12:00:00Z"))
            .unwrap(),
        TimeDelta::hours(2)
    );
    assert_eq!(
        clock
            .between(t("2026-10-24T12:00:00Z"), t("2026-10-26T12:00:00Z"))
            .unwrap(),
        TimeDelta::hours(4)
    );
}

// ---------------------------------------------------------------------------------------
// 4. Case evaluation
// ---------------------------------------------------------------------------------------

fn case(opened_at: &str, priority: Priority) -> CaseTimeline {
    CaseTimeline {
        opened_at: t(opened_at),
        priority,
        priority_changes: vec![],
        pauses: vec![],
        first_response_at: None,
        updates: vec![],
        resolved_at: None,
    }
}

/// (milestone, sequence, start, due, status, event, margin in seconds) of an evaluation.
type Summary = (
    Milestone,
    u32,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    MilestoneStatus,
    Option<DateTime<Utc>>,
    Option<i64>,
);

fn summary(m: &MilestoneEvaluation) -> Summary {
    (
        m.milestone,
        m.sequence,
        m.start,
        m.due,
        m.status,
        m.event_at,
        secs(m.margin),
    )
}

fn evaluate(tier: &str, c: &CaseTimeline, now: &str) -> Vec<MilestoneEvaluation> {
    evaluate_case(Some(&tier_terms(tier)), &berlin(), c, t(now))
        .unwrap()
        .milestones
}

// Standard P1 opened Mon 2026-06-08 09:00 CEST: 8h business, due Mon 17:00 CEST.
const MON_9: &str = "2026-06-08T09:00:00+02:00";

#[test]
fn first_response_met_early_and_breached_late() {
    // Early: response Mon 12:00, consumed 09-12 = 3h, margin 8h - 3h = 5h = 18000s.
    let mut c = case(MON_9, Priority::P1);
    c.first_response_at = Some(t("2026-06-08T12:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-08T12:30:00+02:00");
    assert_eq!(
        summary(&ms[0]),
        (
            Milestone::FirstResponse,
            0,
            t(MON_9),
            Some(t("2026-06-08T17:00:00+02:00")),
            MilestoneStatus::Met,
            Some(t("2026-06-08T12:00:00+02:00")),
            Some(18_000),
        )
    );
    assert_eq!(ms[0].clock, ClockKind::BusinessHours);
    assert_eq!(ms[0].target, Some(Duration::from_secs(8 * HOUR)));

    // Late: response Tue 10:30, consumed Mon 8h + Tue 09:00-10:30 1.5h = 9.5h,
    // margin 8h - 9.5h = -1.5h = -5400s.
    c.first_response_at = Some(t("2026-06-09T10:30:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-09T11:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Breached);
    assert_eq!(ms[0].due, Some(t("2026-06-08T17:00:00+02:00")));
    assert_eq!(ms[0].event_at, Some(t("2026-06-09T10:30:00+02:00")));
    assert_eq!(secs(ms[0].margin), Some(-5_400));

    // Exactly at the due instant is met with margin 0.
    c.first_response_at = Some(t("2026-06-08T17:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-08T18:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(0));
}

#[test]
fn pending_first_response_reports_time_left_at_now() {
    let c = case(MON_9, Priority::P1);
    // now Mon 15:00: consumed 6h, 2h = 7200s left; no update milestone yet.
    let ms = evaluate("standard", &c, "2026-06-08T15:00:00+02:00");
    assert_eq!(ms.len(), 1);
    assert_eq!(
        summary(&ms[0]),
        (
            Milestone::FirstResponse,
            0,
            t(MON_9),
            Some(t("2026-06-08T17:00:00+02:00")),
            MilestoneStatus::Pending,
            None,
            Some(7_200),
        )
    );
    // now Mon 22:00 (closed): 8h consumed, due passed -> breached, margin 0 (no open
    // time has elapsed since the due instant).
    let ms = evaluate("standard", &c, "2026-06-08T22:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Breached);
    assert_eq!(secs(ms[0].margin), Some(0));
    // now Tue 10:00: 8h + 1h consumed -> margin -1h = -3600s.
    let ms = evaluate("standard", &c, "2026-06-09T10:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Breached);
    assert_eq!(secs(ms[0].margin), Some(-3_600));
}

#[test]
fn update_cadence_resets_on_each_update() {
    // Premium P1: first response 30min, updates every 12h, both continuous.
    // Opened Mon 2026-06-08 09:00 CEST; R = 09:20, U1 = 20:00, U2 = Tue 09:00,
    // now = Tue 12:00.
    let mut c = case(MON_9, Priority::P1);
    let r = "2026-06-08T09:20:00+02:00";
    let u1 = "2026-06-08T20:00:00+02:00";
    let u2 = "2026-06-09T09:00:00+02:00";
    c.first_response_at = Some(t(r));
    c.updates = vec![t(u2), t(u1)]; // order does not matter
    let ms = evaluate("premium", &c, "2026-06-09T12:00:00+02:00");
    let got: Vec<Summary> = ms.iter().map(summary).collect();
    use Milestone::*;
    use MilestoneStatus::*;
    assert_eq!(
        got,
        vec![
            // FR due 09:00 + 30m = 09:30; met at 09:20 with 10m = 600s to spare.
            (
                FirstResponse,
                0,
                t(MON_9),
                Some(t("2026-06-08T09:30:00+02:00")),
                Met,
                Some(t(r)),
                Some(600),
            ),
            // #1 due R + 12h = 21:20; U1 at 20:00 used 10h40m, margin 1h20m = 4800s.
            (
                NextUpdate,
                1,
                t(r),
                Some(t("2026-06-08T21:20:00+02:00")),
                Met,
                Some(t(u1)),
                Some(4_800),
            ),
            // #2 due U1 + 12h = Tue 08:00; U2 at 09:00 used 13h, margin -1h = -3600s.
            (
                NextUpdate,
                2,
                t(u1),
                Some(t("2026-06-09T08:00:00+02:00")),
                Breached,
                Some(t(u2)),
                Some(-3_600),
            ),
            // #3 due U2 + 12h = Tue 21:00; at now 12:00 3h used, 9h = 32400s left.
            (
                NextUpdate,
                3,
                t(u2),
                Some(t("2026-06-09T21:00:00+02:00")),
                Pending,
                None,
                Some(32_400),
            ),
        ]
    );
    assert!(ms.iter().all(|m| m.clock == ClockKind::Continuous));
}

#[test]
fn business_hours_update_cadence_counts_open_time_only() {
    // Standard P1 update every 24h business. R = Mon 2026-06-08 16:00 CEST:
    // Mon 16-17 = 1h, Tue 8h (9h), Wed 8h (17h), Thu 09:00 + 7h = Thu 16:00.
    // U1 at Thu 16:30 is late by 0.5h of open time: margin -1800s.
    let mut c = case(MON_9, Priority::P1);
    c.first_response_at = Some(t("2026-06-08T16:00:00+02:00"));
    c.updates = vec![t("2026-06-11T16:30:00+02:00")];
    let ms = evaluate("standard", &c, "2026-06-11T17:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(3_600)); // 09:00-16:00 = 7h used of 8h
    assert_eq!(ms[1].due, Some(t("2026-06-11T16:00:00+02:00")));
    assert_eq!(ms[1].status, MilestoneStatus::Breached);
    assert_eq!(secs(ms[1].margin), Some(-1_800));
    // #2 from U1 Thu 16:30: Thu 0.5h, Fri 8h (8.5h), Mon 15 8h (16.5h), Tue 16 09:00 +
    // 7.5h = 16:30. At now Thu 17:00, 0.5h used: 23.5h = 84600s left.
    assert_eq!(ms[2].sequence, 2);
    assert_eq!(ms[2].due, Some(t("2026-06-16T16:30:00+02:00")));
    assert_eq!(ms[2].status, MilestoneStatus::Pending);
    assert_eq!(secs(ms[2].margin), Some(84_600));
}

#[test]
fn a_pause_pushes_the_deadline_by_its_business_time() {
    let cal = berlin();
    let terms = tier_terms("standard");
    let p1 = terms.for_priority(Priority::P1);
    let clock = BusinessClock::Calendar(&cal);
    let fr =
        |pauses: &Pauses| deadline(p1, Milestone::FirstResponse, &cal, t(MON_9), pauses).unwrap();
    let unpaused = fr(&Pauses::none()).due.unwrap();
    assert_eq!(unpaused, t("2026-06-08T17:00:00+02:00"));

    // Paused Mon 10:00-12:00 (2 business hours): due = Mon 17:00 + 2h business =
    // Tue 11:00.
    let inside = Pauses::new(vec![Pause {
        start: t("2026-06-08T10:00:00+02:00"),
        end: Some(t("2026-06-08T12:00:00+02:00")),
    }])
    .unwrap();
    let d = fr(&inside);
    assert_eq!(d.due, Some(t("2026-06-09T11:00:00+02:00")));
    assert_eq!(
        clock.between(unpaused, d.due.unwrap()).unwrap(),
        TimeDelta::hours(2)
    );
    let explanation = d.explanation(&cal, &inside).unwrap();
    assert!(explanation.contains("2h paused"), "{explanation}");

    // Paused Mon 16:00 -> Tue 10:00: 18h real but 1h + 1h = 2 business hours, so the
    // same due instant Tue 11:00.
    let overnight = Pauses::new(vec![Pause {
        start: t("2026-06-08T16:00:00+02:00"),
        end: Some(t("2026-06-09T10:00:00+02:00")),
    }])
    .unwrap();
    assert_eq!(fr(&overnight).due, Some(t("2026-06-09T11:00:00+02:00")));

    // In evaluate_case with the 10-12 pause: now Mon 16:00, consumed 7h - 2h = 5h,
    // margin 3h = 10800s.
    let mut c = case(MON_9, Priority::P1);
    c.pauses = inside.as_slice().to_vec();
    let ms = evaluate("standard", &c, "2026-06-08T16:00:00+02:00");
    assert_eq!(ms[0].due, Some(t("2026-06-09T11:00:00+02:00")));
    assert_eq!(ms[0].status, MilestoneStatus::Pending);
    assert_eq!(secs(ms[0].margin), Some(10_800));
    // A response Tue 10:30: consumed 8h + 1.5h - 2h = 7.5h, met with 0.5h = 1800s.
    c.first_response_at = Some(t("2026-06-09T10:30:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-09T12:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(1_800));
}

#[test]
fn an_open_ended_pause_stops_the_clock() {
    let cal = berlin();
    let terms = tier_terms("standard");
    // Paused from Mon 12:00 with no end: 3h used before it, no instant is due.
    let open = Pauses::new(vec![Pause {
        start: t("2026-06-08T12:00:00+02:00"),
        end: None,
    }])
    .unwrap();
    let d = deadline(
        terms.for_priority(Priority::P1),
        Milestone::FirstResponse,
        &cal,
        t(MON_9),
        &open,
    )
    .unwrap();
    assert_eq!(d.due, None);
    assert_eq!(d.target, Some(Duration::from_secs(8 * HOUR)));
    let explanation = d.explanation(&cal, &open).unwrap();
    assert!(explanation.contains("paused"), "{explanation}");

    // evaluate_case at Mon 15:00: Paused, no due; consumed 6h - 3h paused = 3h, so
    // margin 5h = 18000s.
    let mut c = case(MON_9, Priority::P1);
    c.pauses = open.as_slice().to_vec();
    let ms = evaluate("standard", &c, "2026-06-08T15:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Paused);
    assert_eq!(ms[0].due, None);
    assert_eq!(secs(ms[0].margin), Some(18_000));

    // A pause that ends after now (16:00) is still running at now = 15:00.
    c.pauses[0].end = Some(t("2026-06-08T16:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-08T15:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Paused);
    assert_eq!(ms[0].due, None);

    // Once it has ended (now 17:00): 3h before the pause, 5h left from Mon 16:00:
    // Mon 16-17 = 1h, Tue 09:00 + 4h = Tue 13:00. Consumed 8h - 4h = 4h -> margin 4h.
    let ms = evaluate("standard", &c, "2026-06-08T17:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Pending);
    assert_eq!(ms[0].due, Some(t("2026-06-09T13:00:00+02:00")));
    assert_eq!(secs(ms[0].margin), Some(14_400));
}

#[test]
fn priority_change_applies_new_targets_from_the_opening() {
    // Premium case opened Mon 2026-06-08 09:00 CEST as P3 (no target), raised to P1 at
    // 10:00. P1's 30min from the opening was due 09:30, already past at the change.
    let mut c = case(MON_9, Priority::P3);
    c.priority_changes = vec![(t("2026-06-08T10:00:00+02:00"), Priority::P1)];

    // At the change, no response yet: breached by 30m, margin -1800s.
    let ev = evaluate_case(
        Some(&tier_terms("premium")),
        &berlin(),
        &c,
        t("2026-06-08T10:00:00+02:00"),
    )
    .unwrap();
    assert_eq!(ev.priority, Priority::P1);
    assert_eq!(ev.milestones[0].due, Some(t("2026-06-08T09:30:00+02:00")));
    assert_eq!(ev.milestones[0].status, MilestoneStatus::Breached);
    assert_eq!(secs(ev.milestones[0].margin), Some(-1_800));

    // Response at 10:05: breached, 65m used, margin 30m - 65m = -35m = -2100s.
    c.first_response_at = Some(t("2026-06-08T10:05:00+02:00"));
    let ms = evaluate("premium", &c, "2026-06-08T11:00:00+02:00");
    let fr = &ms[0];
    assert_eq!(fr.clock, ClockKind::Continuous);
    assert_eq!(fr.start, t(MON_9));
    assert_eq!(fr.due, Some(t("2026-06-08T09:30:00+02:00")));
    assert_eq!(fr.status, MilestoneStatus::Breached);
    assert_eq!(secs(fr.margin), Some(-2_100));
    assert!(
        fr.explanation.contains("priority changed to P1"),
        "{}",
        fr.explanation
    );
    assert!(
        fr.explanation
            .contains("this deadline had already passed at the change"),
        "{}",
        fr.explanation
    );
    // P1's 12h cadence from the response: due 22:05; at 11:00 55m used, 11h05m = 39900s.
    assert_eq!(ms[1].due, Some(t("2026-06-08T22:05:00+02:00")));
    assert_eq!(secs(ms[1].margin), Some(39_900));

    // Raised at 09:10 instead: due 09:30 still ahead at the change; response 09:25 is met
    // with 5m = 300s to spare, and the explanation does not say "already passed".
    c.priority_changes = vec![(t("2026-06-08T09:10:00+02:00"), Priority::P1)];
    c.first_response_at = Some(t("2026-06-08T09:25:00+02:00"));
    let ms = evaluate("premium", &c, "2026-06-08T11:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(300));
    assert!(ms[0].explanation.contains("priority changed to P1"));
    assert!(!ms[0].explanation.contains("already passed"));
}

#[test]
fn events_after_now_are_ignored() {
    // Standard P1 opened Mon 09:00; everything else happens after now = Mon 10:00.
    let mut c = case(MON_9, Priority::P1);
    c.priority_changes = vec![(t("2026-06-08T11:30:00+02:00"), Priority::P2)];
    c.pauses = vec![Pause {
        start: t("2026-06-08T10:30:00+02:00"),
        end: Some(t("2026-06-08T11:00:00+02:00")),
    }];
    c.first_response_at = Some(t("2026-06-08T12:00:00+02:00"));
    c.updates = vec![t("2026-06-09T10:00:00+02:00")];
    c.resolved_at = Some(t("2026-06-10T10:00:00+02:00"));
    let ev = evaluate_case(
        Some(&tier_terms("standard")),
        &berlin(),
        &c,
        t("2026-06-08T10:00:00+02:00"),
    )
    .unwrap();
    assert_eq!(ev.priority, Priority::P1);
    assert_eq!(ev.milestones.len(), 1);
    // Still P1, unpaused: due Mon 17:00, 1h used, 7h = 25200s left.
    assert_eq!(
        summary(&ev.milestones[0]),
        (
            Milestone::FirstResponse,
            0,
            t(MON_9),
            Some(t("2026-06-08T17:00:00+02:00")),
            MilestoneStatus::Pending,
            None,
            Some(25_200),
        )
    );
}

#[test]
fn resolution_stops_the_clocks() {
    // The brief asked for "a resolution without a first response counts as the
    // response"; the engine now follows SPEC's "each milestone is met by its own event"
    // instead: resolution stops every clock, and a milestone without its event is
    // cancelled if the case was resolved before its due instant, breached otherwise.

    // Standard P1 opened Mon 09:00 (due Mon 17:00), resolved Mon 14:00 with no response,
    // evaluated Tue 12:00: evaluation instant = resolution; cancelled, 5h used, so the
    // margin is 8h - 5h = 3h = 10800s; no update period.
    let mut c = case(MON_9, Priority::P1);
    c.resolved_at = Some(t("2026-06-08T14:00:00+02:00"));
    let ev = evaluate_case(
        Some(&tier_terms("standard")),
        &berlin(),
        &c,
        t("2026-06-09T12:00:00+02:00"),
    )
    .unwrap();
    assert_eq!(ev.evaluated_at, t("2026-06-08T14:00:00+02:00"));
    let ms = ev.milestones;
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].status, MilestoneStatus::Cancelled);
    assert_eq!(ms[0].event_at, None);
    assert_eq!(secs(ms[0].margin), Some(10_800));

    // Resolved Tue 10:00 instead: past the due instant, so breached; Mon 8h + Tue 1h =
    // 9h used, margin -1h = -3600s.
    c.resolved_at = Some(t("2026-06-09T10:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-09T12:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Breached);
    assert_eq!(secs(ms[0].margin), Some(-3_600));

    // Responded Mon 10:00, resolved Tue 10:00 with no update: update #1 was due
    // Mon 10:00 + 24h business = Mon 7h, Tue 8h (15h), Wed 8h (23h), Thu 09:00 + 1h =
    // Thu 10:00; resolved first, so cancelled; 7h + 1h = 8h used, margin 16h = 57600s.
    c.first_response_at = Some(t("2026-06-08T10:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-12T12:00:00+02:00");
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(7 * 3_600));
    assert_eq!(ms[1].due, Some(t("2026-06-11T10:00:00+02:00")));
    assert_eq!(ms[1].status, MilestoneStatus::Cancelled);
    assert_eq!(secs(ms[1].margin), Some(57_600));
}

#[test]
fn a_case_opened_without_a_contract_has_no_target() {
    let c = case(MON_9, Priority::P1);
    let ev = evaluate_case(None, &berlin(), &c, t("2026-06-09T12:00:00+02:00")).unwrap();
    assert_eq!(ev.milestones.len(), 1);
    let fr = &ev.milestones[0];
    assert_eq!(fr.status, MilestoneStatus::NoTarget);
    assert_eq!((fr.due, fr.target, fr.margin), (None, None, None));
}

#[test]
fn an_update_before_the_first_response_is_refused() {
    let mut c = case(MON_9, Priority::P1);
    c.first_response_at = Some(t("2026-06-08T12:00:00+02:00"));
    c.updates = vec![t("2026-06-08T11:00:00+02:00")];
    let now = t("2026-06-08T15:00:00+02:00");
    let refused_at_the_update = |c: &CaseTimeline| {
        let err = evaluate_case(Some(&tier_terms("standard")), &berlin(), c, now).unwrap_err();
        let event = match &err {
            DomainError::CaseEventOutOfOrder { event, .. } => Some(*event),
            _ => None,
        };
        assert_eq!(event, Some(CaseEvent::Update(0)), "{err:?}");
    };
    refused_at_the_update(&c);
    // An update with no first response at all is refused the same way.
    c.first_response_at = None;
    refused_at_the_update(&c);
}

// ---------------------------------------------------------------------------------------
// 5. Entitlements
// ---------------------------------------------------------------------------------------

fn denied_reason(at: ContractAt<'_>) -> (DecisionReason, Option<String>) {
    match at {
        ContractAt::Effective(c) => panic!("expected a denial, got effective {}", c.id),
        ContractAt::Denied(r, c) => (r, c.map(|c| c.id.clone())),
    }
}

fn effective_id(at: ContractAt<'_>) -> String {
    match at {
        ContractAt::Effective(c) => c.id.clone(),
        ContractAt::Denied(r, _) => panic!("expected an effective contract, got {r}"),
    }
}

#[test]
fn contract_at_names_the_reason() {
    let at = t("2026-06-01T00:00:00Z");
    // No contract at all.
    assert_eq!(
        denied_reason(contract_at([].iter(), at)),
        (DecisionReason::NoActiveContract, None)
    );
    // Not yet started: starts 2027-01-01; in force from exactly its start.
    let future = [contract("c-2027", "standard", "2027-01-01T00:00:00Z", None)];
    assert_eq!(
        denied_reason(contract_at(future.iter(), at)),
        (DecisionReason::ContractNotStarted, Some("c-2027".into()))
    );
    assert_eq!(
        effective_id(contract_at(future.iter(), t("2027-01-01T00:00:00Z"))),
        "c-2027"
    );
    // Expired: [2025-01-01, 2026-01-01), end exclusive.
    let past = [contract(
        "c-2025",
        "standard",
        "2025-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )];
    assert_eq!(
        denied_reason(contract_at(past.iter(), t("2026-01-01T00:00:00Z"))),
        (DecisionReason::ContractExpired, Some("c-2025".into()))
    );
    assert_eq!(
        effective_id(contract_at(past.iter(), t("2025-12-31T23:59:59Z"))),
        "c-2025"
    );
    // Suspended.
    let mut suspended = contract("c-s", "premium", "2026-01-01T00:00:00Z", None);
    suspended.state = ContractState::Suspended;
    assert_eq!(
        denied_reason(contract_at(std::iter::once(&suspended), at)),
        (DecisionReason::ContractSuspended, Some("c-s".into()))
    );
    // Terminated on 2026-05-01: effective before, terminated after.
    let mut terminated = contract(
        "c-t",
        "premium",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    );
    terminated.terminate(t("2026-05-01T00:00:00Z")).unwrap();
    let terminated = [terminated];
    assert_eq!(
        denied_reason(contract_at(terminated.iter(), at)),
        (DecisionReason::ContractTerminated, Some("c-t".into()))
    );
    assert_eq!(
        effective_id(contract_at(terminated.iter(), t("2026-04-30T23:59:59Z"))),
        "c-t"
    );
    // Still terminated after the end it never reached: its period ended by termination,
    // and the explanation names the termination, not the end.
    let after_end = t("2027-03-01T00:00:00Z");
    assert_eq!(
        denied_reason(contract_at(terminated.iter(), after_end)),
        (DecisionReason::ContractTerminated, Some("c-t".into()))
    );
    assert_eq!(
        explain_denial(
            DecisionReason::ContractTerminated,
            terminated.first(),
            after_end
        ),
        "contract c-t (version 1) was terminated at 2026-05-01 00:00:00 UTC"
    );
    // Terminated at its end or later: it expired.
    let mut late = contract(
        "c-late",
        "premium",
        "2025-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    );
    late.terminate(t("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!(
        denied_reason(contract_at(std::iter::once(&late), at)),
        (DecisionReason::ContractExpired, Some("c-late".into()))
    );
    // Of two ended contracts, the one whose period ended last decides: c-a ran until its
    // termination on 2026-03-01 (its end date, 2027-01-01, is later), c-b until its end
    // on 2026-09-01. c-b decides.
    let mut a = contract(
        "c-a",
        "premium",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    );
    a.terminate(t("2026-03-01T00:00:00Z")).unwrap();
    let b = contract(
        "c-b",
        "standard",
        "2026-03-01T00:00:00Z",
        Some("2026-09-01T00:00:00Z"),
    );
    assert_eq!(
        denied_reason(contract_at([a, b].iter(), after_end)),
        (DecisionReason::ContractExpired, Some("c-b".into()))
    );
    // An upcoming contract cancelled before its start is terminated, not "not started".
    let mut cancelled = contract("c-x", "standard", "2027-01-01T00:00:00Z", None);
    cancelled.terminate(t("2026-03-01T00:00:00Z")).unwrap();
    assert_eq!(
        denied_reason(contract_at(std::iter::once(&cancelled), at)),
        (DecisionReason::ContractTerminated, Some("c-x".into()))
    );
    // Effective among an expired and an upcoming one.
    let all = [
        past[0].clone(),
        contract(
            "c-2026",
            "extended",
            "2026-01-01T00:00:00Z",
            Some("2027-01-01T00:00:00Z"),
        ),
        future[0].clone(),
    ];
    assert_eq!(effective_id(contract_at(all.iter(), at)), "c-2026");
}

#[test]
fn benefit_checks_follow_plan_and_contacts() {
    // A premium-only benefit on standard.
    let std_contract = contract("c-std", "standard", "2026-01-01T00:00:00Z", None);
    let std_terms = std_contract.terms(&plan("standard"));
    let (ok, reason, _) = check_benefit(
        &std_contract,
        &std_terms,
        Benefit::TechnicalAccountManager,
        None,
        &CaseContext::default(),
    );
    assert!(!ok);
    assert_eq!(reason, DecisionReason::BenefitNotInPlan);

    // Premium with one designated contact.
    let mut prem = contract("c-prem", "premium", "2026-01-01T00:00:00Z", None);
    let prem_terms = prem.terms(&plan("premium"));
    prem.add_contact(
        DesignatedContact {
            email: "ops@acme.example".into(),
            display_name: "Ops".into(),
            added_at: t("2026-01-02T00:00:00Z"),
        },
        &prem_terms,
    )
    .unwrap();
    let tam = Benefit::TechnicalAccountManager;
    let (ok, reason, text) = check_benefit(
        &prem,
        &prem_terms,
        tam,
        Some("OPS@acme.example"),
        &CaseContext::default(),
    );
    assert!(ok, "{text}");
    assert_eq!(reason, DecisionReason::Granted);
    assert!(
        text.contains("c-prem") && text.contains("version 1"),
        "{text}"
    );
    let (ok, reason, _) = check_benefit(
        &prem,
        &prem_terms,
        tam,
        Some("intern@acme.example"),
        &CaseContext::default(),
    );
    assert!(!ok);
    assert_eq!(reason, DecisionReason::ContactNotDesignated);
}

#[test]
fn overrides_add_remove_retarget_and_raise_the_contact_limit() {
    let mut c = contract("c-std", "standard", "2026-01-01T00:00:00Z", None);
    c.overrides.added_benefits.insert(Benefit::UpgradeSupport);
    c.overrides.removed_benefits.insert(Benefit::OnlineSupport);
    // Custom P1 terms: 4h first response around the clock, updates every 6h.
    c.overrides.priority_terms = vec![PriorityTerms {
        priority: Priority::P1,
        coverage: Coverage::AroundTheClock,
        first_response: Some(Duration::from_secs(4 * HOUR)),
        update_cadence: Some(Duration::from_secs(6 * HOUR)),
        at_risk: AtRiskThresholds::default(),
    }];
    c.overrides.extra_designated_contacts = 2;
    c.check().unwrap();
    let terms = c.terms(&plan("standard"));

    // Added benefit granted, removed benefit refused, and online is no longer a channel.
    let (ok, reason, _) = check_benefit(
        &c,
        &terms,
        Benefit::UpgradeSupport,
        None,
        &CaseContext::default(),
    );
    assert!(ok);
    assert_eq!(reason, DecisionReason::Granted);
    let (ok, reason, _) = check_benefit(
        &c,
        &terms,
        Benefit::OnlineSupport,
        None,
        &CaseContext::default(),
    );
    assert!(!ok);
    assert_eq!(reason, DecisionReason::BenefitNotInPlan);
    assert!(terms.channels().is_empty());

    // Custom P1: Sat 2026-06-06 10:00 CEST + 4h continuous = 14:00; P2 is still the
    // plan's 24h business (Sat counts from Mon 09:00: Mon 8h, Tue 8h, Wed 8h -> Wed 17:00).
    let cal = berlin();
    let sat = t("2026-06-06T10:00:00+02:00");
    let p1 = deadline(
        terms.for_priority(Priority::P1),
        Milestone::FirstResponse,
        &cal,
        sat,
        &Pauses::none(),
    )
    .unwrap();
    assert_eq!(p1.clock, ClockKind::Continuous);
    assert_eq!(p1.due, Some(t("2026-06-06T14:00:00+02:00")));
    let p1u = deadline(
        terms.for_priority(Priority::P1),
        Milestone::NextUpdate,
        &cal,
        sat,
        &Pauses::none(),
    )
    .unwrap();
    assert_eq!(p1u.due, Some(t("2026-06-06T16:00:00+02:00")));
    let p2 = deadline(
        terms.for_priority(Priority::P2),
        Milestone::FirstResponse,
        &cal,
        sat,
        &Pauses::none(),
    )
    .unwrap();
    assert_eq!(p2.clock, ClockKind::BusinessHours);
    assert_eq!(p2.due, Some(t("2026-06-10T17:00:00+02:00")));

    // Limit 3 + 2 extra = 5: five adds succeed, the sixth is refused.
    assert_eq!(terms.designated_contact_limit, 5);
    let person = |i: u32| DesignatedContact {
        email: format!("p{i}@acme.example"),
        display_name: format!("Person {i}"),
        added_at: t("2026-01-02T00:00:00Z"),
    };
    for i in 0..5 {
        c.add_contact(person(i), &terms).unwrap();
    }
    assert_eq!(
        c.add_contact(person(5), &terms),
        Err(DomainError::ContactLimitReached { limit: 5 })
    );
    assert_eq!(c.contacts.len(), 5);

    // Without the add-on the plan's 3 is the limit.
    let mut plain = contract("c-plain", "standard", "2026-01-01T00:00:00Z", None);
    let plain_terms = plain.terms(&plan("standard"));
    for i in 0..3 {
        plain.add_contact(person(i), &plain_terms).unwrap();
    }
    assert_eq!(
        plain.add_contact(person(3), &plain_terms),
        Err(DomainError::ContactLimitReached { limit: 3 })
    );
}

#[test]
fn availability_by_channel_priority_and_instant() {
    let cal = berlin();
    // Sunday 2026-06-07 03:00 CEST.
    let sunday_3am = t("2026-06-07T03:00:00+02:00");
    // An open-ended contract, so every opening lies within its period.
    let open_ended = contract("c", "standard", "2026-01-01T00:00:00Z", None);

    // Premium P1 on the phone: covered 24x7.
    let a = availability(
        &open_ended,
        &tier_terms("premium"),
        &cal,
        Channel::Phone,
        Priority::P1,
        sunday_3am,
    )
    .unwrap();
    assert!(a.available);
    assert_eq!(a.reason, AvailabilityReason::Covered24x7);
    assert_eq!(a.next_available, None);
    assert_eq!(a.coverage, Coverage::AroundTheClock);

    // Standard P1 online: business hours only; next opening Mon 2026-06-08 09:00 CEST.
    let standard = tier_terms("standard");
    let a = availability(
        &open_ended,
        &standard,
        &cal,
        Channel::Online,
        Priority::P1,
        sunday_3am,
    )
    .unwrap();
    assert!(!a.available);
    assert_eq!(a.reason, AvailabilityReason::OutsideBusinessHours);
    assert_eq!(a.next_available, Some(t("2026-06-08T09:00:00+02:00")));
    assert_eq!(a.coverage, Coverage::BusinessHours);

    // Standard P1 online on Monday 10:00: inside business hours.
    let a = availability(
        &open_ended,
        &standard,
        &cal,
        Channel::Online,
        Priority::P1,
        t("2026-06-08T10:00:00+02:00"),
    )
    .unwrap();
    assert!(a.available);
    assert_eq!(a.reason, AvailabilityReason::WithinBusinessHours);

    // Christmas Eve 12:30 CET (closed at 12:00), Christmas Day closed, weekend:
    // next opening Mon 2026-12-28 09:00 CET.
    let a = availability(
        &open_ended,
        &standard,
        &cal,
        Channel::Online,
        Priority::P1,
        t("2026-12-24T12:30:00+01:00"),
    )
    .unwrap();
    assert!(!a.available);
    assert_eq!(a.next_available, Some(t("2026-12-28T09:00:00+01:00")));

    // Standard has no phone line.
    let a = availability(
        &open_ended,
        &standard,
        &cal,
        Channel::Phone,
        Priority::P1,
        sunday_3am,
    )
    .unwrap();
    assert!(!a.available);
    assert_eq!(a.reason, AvailabilityReason::ChannelNotInPlan);
    assert_eq!(a.next_available, None);
}
