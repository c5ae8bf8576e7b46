//! Tier x priority x milestone tables with their explanations, a 10,000h target (no cap,
//! no gap at midnight), and the explicit "no target" of P3 and P4 on every tier.

use crate::helpers::*;

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
