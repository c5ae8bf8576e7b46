//! DST in Berlin and New York: a deadline over a changeover weekend keeps its local wall
//! time, a 00:00-24:00 changeover day holds 23 or 25 hours of business time, and SPEC's
//! 01:00-04:00 interval lasts 2h or 4h on those days.

use crate::helpers::*;

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
