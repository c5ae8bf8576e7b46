//! Hand-worked cases with literal instants: office hours, holidays, special dates, both
//! DST transitions in Berlin and New York, 10,000 hours, calendars refused or running out,
//! a skipped local date and the end of the validity window; and a check that the start
//! bias of strategies.rs finds the offset changes.

use std::time::Duration;

use chrono::{NaiveDate, TimeDelta, Weekday};
use entitlements::domain::{
    BusinessClock, Calendar, ClosedDate, DateException, DomainError, OpenInterval, SpecialDate,
};

use crate::reference::*;
use crate::strategies::transitions;

// ---------------------------------------------------------------------------------------
// Hand-worked cases. Berlin is UTC+1 (CET) in winter and UTC+2 (CEST) in summer; New York
// is UTC-5 (EST) in winter and UTC-4 (EDT) in summer. 2026-01-01 is a Thursday.
// ---------------------------------------------------------------------------------------

fn iv(open: &str, close: &str) -> OpenInterval {
    OpenInterval {
        open: open.parse().expect("time"),
        close: close.parse().expect("time"),
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// Berlin, Monday-Friday 09:00-17:00, with the given exceptions.
fn berlin_office(exceptions: Vec<DateException>) -> Calendar {
    let days = WEEKDAYS[..5]
        .iter()
        .map(|&d| (d, vec![iv("09:00", "17:00")]))
        .collect();
    Calendar::new("Europe/Berlin", days, exceptions).expect("valid calendar")
}

/// A calendar open only on `day` with `intervals`.
fn only(zone: &str, day: Weekday, intervals: Vec<OpenInterval>) -> Calendar {
    Calendar::new(zone, vec![(day, intervals)], vec![]).expect("valid calendar")
}

#[test]
fn start_bias_finds_the_offset_changes() {
    // Berlin changes twice a year at 01:00Z; Sao Paulo's last change was 2019-02-17 00:00
    // BRST -> 2019-02-16 23:00 BRT (02:00Z); Kolkata and UTC never change.
    let berlin = transitions(0);
    assert_eq!(berlin.len(), 24);
    assert!(berlin.contains(&at("2026-03-29T01:00:00Z").timestamp()));
    assert!(berlin.contains(&at("2026-10-25T01:00:00Z").timestamp()));
    assert_eq!(transitions(5), [at("2019-02-17T02:00:00Z").timestamp()]);
    assert!(transitions(3).is_empty() && transitions(4).is_empty());
}

#[test]
fn friday_afternoon_rolls_over_the_weekend() {
    let cal = berlin_office(vec![]);
    let clock = BusinessClock::Calendar(&cal);
    // Fri 2026-01-09 16:30 CET = 15:30Z. 30 min to 17:00, then 7h30 from Mon 09:00:
    // Mon 2026-01-12 16:30 CET = 15:30Z.
    let fri = at("2026-01-09T15:30:00Z");
    let due = clock.add(fri, hours(8)).unwrap();
    assert_eq!(due, at("2026-01-12T15:30:00Z"));
    assert_eq!(clock.between(fri, due).unwrap(), TimeDelta::hours(8));
}

#[test]
fn monday_holiday_moves_the_deadline_to_tuesday() {
    let cal = berlin_office(vec![DateException::Closed(ClosedDate {
        date: date("2026-01-12"),
        reason: "company holiday".into(),
    })]);
    let clock = BusinessClock::Calendar(&cal);
    // As above, but Monday is closed: Tue 2026-01-13 16:30 CET = 15:30Z.
    let due = clock.add(at("2026-01-09T15:30:00Z"), hours(8)).unwrap();
    assert_eq!(due, at("2026-01-13T15:30:00Z"));
    assert!(!clock.is_open(at("2026-01-12T10:00:00Z")).unwrap());
}

#[test]
fn target_used_up_at_closing_gives_the_closing_instant() {
    let cal = berlin_office(vec![]);
    let clock = BusinessClock::Calendar(&cal);
    // Mon 2026-01-12 09:00 CET = 08:00Z; + 8h = Mon 17:00 CET = 16:00Z, not Tue 08:00Z.
    let due = clock.add(at("2026-01-12T08:00:00Z"), hours(8)).unwrap();
    assert_eq!(due, at("2026-01-12T16:00:00Z"));
    // One more second moves it to Tue 09:00:01 CET.
    let due = clock
        .add(
            at("2026-01-12T08:00:00Z"),
            hours(8) + Duration::from_secs(1),
        )
        .unwrap();
    assert_eq!(due, at("2026-01-13T08:00:01Z"));
    // And from the closing instant itself, counting resumes at the next opening.
    let due = clock.add(at("2026-01-12T16:00:00Z"), hours(1)).unwrap();
    assert_eq!(due, at("2026-01-13T09:00:00Z"));
}

#[test]
fn start_on_saturday_counts_from_monday_opening() {
    let cal = berlin_office(vec![]);
    let clock = BusinessClock::Calendar(&cal);
    // Sat 2026-01-10 11:00 CET = 10:00Z; counting starts Mon 2026-01-12 09:00 CET = 08:00Z.
    let sat = at("2026-01-10T10:00:00Z");
    assert!(!clock.is_open(sat).unwrap());
    assert_eq!(clock.next_open(sat).unwrap(), at("2026-01-12T08:00:00Z"));
    // + 1h = Mon 10:00 CET = 09:00Z; + 8h = Mon 17:00 CET = 16:00Z.
    assert_eq!(
        clock.add(sat, hours(1)).unwrap(),
        at("2026-01-12T09:00:00Z")
    );
    assert_eq!(
        clock.add(sat, hours(8)).unwrap(),
        at("2026-01-12T16:00:00Z")
    );
    assert_eq!(
        clock.between(sat, at("2026-01-12T09:00:00Z")).unwrap(),
        TimeDelta::hours(1)
    );
}

#[test]
fn berlin_spring_forward_night_interval_lasts_two_hours() {
    // Sun 2026-03-29: 02:00 CET (01:00Z) jumps to 03:00 CEST. Open 01:00-04:00 local:
    // 01:00 CET = 00:00Z .. 02:00 CET = 01:00Z, then 03:00 CEST = 01:00Z .. 04:00 CEST =
    // 02:00Z: [00:00Z, 02:00Z), 2h.
    let cal = only("Europe/Berlin", Weekday::Sun, vec![iv("01:00", "04:00")]);
    let clock = BusinessClock::Calendar(&cal);
    // The whole local day: 00:00 CET = 03-28T23:00Z to 24:00 CEST = 03-29T22:00Z.
    let (day_start, day_end) = (at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"));
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::hours(2)
    );
    assert_eq!(
        clock.next_open(day_start).unwrap(),
        at("2026-03-29T00:00:00Z")
    );
    // 90 min from the start of the day: 01:00Z + 30 min = 01:30Z (03:30 CEST).
    assert_eq!(
        clock.add(day_start, mins(90)).unwrap(),
        at("2026-03-29T01:30:00Z")
    );
    assert_eq!(
        clock.add(day_start, hours(2)).unwrap(),
        at("2026-03-29T02:00:00Z")
    );
}

#[test]
fn berlin_fall_back_night_interval_lasts_four_hours() {
    // Sun 2026-10-25: 03:00 CEST (01:00Z) falls back to 02:00 CET. Open 01:00-04:00 local:
    // 01:00 CEST = 10-24T23:00Z .. 04:00 CET = 03:00Z, with 02:00-03:00 twice: 4h.
    let cal = only("Europe/Berlin", Weekday::Sun, vec![iv("01:00", "04:00")]);
    let clock = BusinessClock::Calendar(&cal);
    // The local day: 00:00 CEST = 10-24T22:00Z to 24:00 CET = 10-25T23:00Z.
    let (day_start, day_end) = (at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"));
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::hours(4)
    );
    assert_eq!(
        clock.next_open(day_start).unwrap(),
        at("2026-10-24T23:00:00Z")
    );
    // 2h30 from 23:00Z is 01:30Z (02:30 CET, the second 02:30 of the night).
    assert_eq!(
        clock.add(day_start, mins(150)).unwrap(),
        at("2026-10-25T01:30:00Z")
    );
    assert_eq!(
        clock.add(day_start, hours(4)).unwrap(),
        at("2026-10-25T03:00:00Z")
    );
    assert!(clock.is_open(at("2026-10-25T00:30:00Z")).unwrap()); // first 02:30
    assert!(clock.is_open(at("2026-10-25T01:30:00Z")).unwrap()); // second 02:30
}

#[test]
fn new_york_spring_forward_night_interval_lasts_two_hours() {
    // Sun 2026-03-08: 02:00 EST (07:00Z) jumps to 03:00 EDT. Open 01:00-04:00 local:
    // 01:00 EST = 06:00Z .. 07:00Z, then 03:00 EDT = 07:00Z .. 04:00 EDT = 08:00Z: 2h.
    let cal = only("America/New_York", Weekday::Sun, vec![iv("01:00", "04:00")]);
    let clock = BusinessClock::Calendar(&cal);
    // The local day: 00:00 EST = 05:00Z to 24:00 EDT = 03-09T04:00Z.
    let (day_start, day_end) = (at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z"));
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::hours(2)
    );
    assert_eq!(
        clock.add(day_start, mins(1)).unwrap(),
        at("2026-03-08T06:01:00Z")
    );
    assert_eq!(
        clock.add(day_start, hours(2)).unwrap(),
        at("2026-03-08T08:00:00Z")
    );
}

#[test]
fn new_york_fall_back_night_interval_lasts_four_hours() {
    // Sun 2026-11-01: 02:00 EDT (06:00Z) falls back to 01:00 EST. Open 01:00-04:00 local:
    // 01:00 EDT = 05:00Z .. 04:00 EST = 09:00Z, with 01:00-02:00 twice: 4h.
    let cal = only("America/New_York", Weekday::Sun, vec![iv("01:00", "04:00")]);
    let clock = BusinessClock::Calendar(&cal);
    // The local day: 00:00 EDT = 04:00Z to 24:00 EST = 11-02T05:00Z.
    let (day_start, day_end) = (at("2026-11-01T04:00:00Z"), at("2026-11-02T05:00:00Z"));
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::hours(4)
    );
    assert_eq!(
        clock.add(day_start, mins(90)).unwrap(),
        at("2026-11-01T06:30:00Z")
    );
    assert_eq!(
        clock.add(day_start, hours(4)).unwrap(),
        at("2026-11-01T09:00:00Z")
    );
}

#[test]
fn fall_back_with_a_boundary_inside_the_repeated_hour() {
    // Sun 2026-10-25 in Berlin, open 01:00-02:15 and 02:30-04:00 local. 02:00-03:00 happens
    // twice (CEST, then CET from 01:00Z), so the open UTC ranges in time order are
    //   01:00-02:15 CEST = 10-24T23:00Z..00:15Z   75 min
    //   02:30-03:00 CEST = 00:30Z..01:00Z         30 min
    //   02:00-02:15 CET  = 01:00Z..01:15Z         15 min
    //   02:30-04:00 CET  = 01:30Z..03:00Z         90 min, 210 min in all.
    let cal = only(
        "Europe/Berlin",
        Weekday::Sun,
        vec![iv("01:00", "02:15"), iv("02:30", "04:00")],
    );
    let clock = BusinessClock::Calendar(&cal);
    let day_start = at("2026-10-24T22:00:00Z"); // 00:00 CEST
    let day_end = at("2026-10-25T23:00:00Z"); // 24:00 CET
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::minutes(210)
    );
    // 02:45 CEST (the first one) is open.
    assert!(clock.is_open(at("2026-10-25T00:45:00Z")).unwrap());
    // Up to 00:50Z: 75 min, then 00:30Z..00:50Z = 20 min.
    let to = at("2026-10-25T00:50:00Z");
    assert_eq!(
        clock.between(day_start, to).unwrap(),
        TimeDelta::minutes(95)
    );
    // 90 min: 75 by 00:15Z, 15 more from 00:30Z = 00:45Z. 100 min = 00:55Z. 120 min: 105 by
    // 01:00Z, 15 more = 01:15Z (02:15 CET, a closing time).
    assert_eq!(
        clock.add(day_start, mins(90)).unwrap(),
        at("2026-10-25T00:45:00Z")
    );
    assert_eq!(
        clock.add(day_start, mins(100)).unwrap(),
        at("2026-10-25T00:55:00Z")
    );
    assert_eq!(
        clock.add(day_start, mins(120)).unwrap(),
        at("2026-10-25T01:15:00Z")
    );
    // 02:20 CEST (00:20Z) is closed until 02:30 CEST (00:30Z); 02:15 CET (01:15Z) is closed
    // until 02:30 CET (01:30Z).
    assert_eq!(
        clock.next_open(at("2026-10-25T00:20:00Z")).unwrap(),
        at("2026-10-25T00:30:00Z")
    );
    assert_eq!(
        clock.next_open(at("2026-10-25T01:15:00Z")).unwrap(),
        at("2026-10-25T01:30:00Z")
    );
}

#[test]
fn office_hours_last_eight_hours_on_dst_days() {
    let cases = [
        // (zone, day start, day end, 09:00 local, 17:00 local), all UTC.
        // Berlin spring: 09:00 CEST = 07:00Z, 17:00 CEST = 15:00Z.
        (
            "Europe/Berlin",
            "2026-03-28T23:00:00Z",
            "2026-03-29T22:00:00Z",
            "2026-03-29T07:00:00Z",
            "2026-03-29T15:00:00Z",
        ),
        // Berlin autumn: 09:00 CET = 08:00Z, 17:00 CET = 16:00Z.
        (
            "Europe/Berlin",
            "2026-10-24T22:00:00Z",
            "2026-10-25T23:00:00Z",
            "2026-10-25T08:00:00Z",
            "2026-10-25T16:00:00Z",
        ),
        // New York spring: 09:00 EDT = 13:00Z, 17:00 EDT = 21:00Z.
        (
            "America/New_York",
            "2026-03-08T05:00:00Z",
            "2026-03-09T04:00:00Z",
            "2026-03-08T13:00:00Z",
            "2026-03-08T21:00:00Z",
        ),
        // New York autumn: 09:00 EST = 14:00Z, 17:00 EST = 22:00Z.
        (
            "America/New_York",
            "2026-11-01T04:00:00Z",
            "2026-11-02T05:00:00Z",
            "2026-11-01T14:00:00Z",
            "2026-11-01T22:00:00Z",
        ),
    ];
    for (zone, day_start, day_end, open, close) in cases {
        let cal = only(zone, Weekday::Sun, vec![iv("09:00", "17:00")]);
        let clock = BusinessClock::Calendar(&cal);
        let (day_start, day_end) = (at(day_start), at(day_end));
        assert_eq!(
            clock.between(day_start, day_end).unwrap(),
            TimeDelta::hours(8),
            "{zone}"
        );
        assert_eq!(clock.next_open(day_start).unwrap(), at(open), "{zone}");
        assert_eq!(clock.add(day_start, hours(8)).unwrap(), at(close), "{zone}");
    }
}

#[test]
fn special_date_with_morning_hours() {
    let cal = berlin_office(vec![DateException::Special(SpecialDate {
        date: date("2026-01-14"),
        intervals: vec![iv("09:00", "12:00")],
        reason: "half day".into(),
    })]);
    let clock = BusinessClock::Calendar(&cal);
    // Wed 2026-01-14 09:00 CET = 08:00Z: 3h that morning (to 12:00 CET = 11:00Z), then 5h
    // from Thu 09:00 CET: Thu 14:00 CET = 2026-01-15T13:00Z.
    assert_eq!(
        clock.add(at("2026-01-14T08:00:00Z"), hours(8)).unwrap(),
        at("2026-01-15T13:00:00Z")
    );
    // 3h exactly ends at the special closing time, 12:00 CET = 11:00Z.
    assert_eq!(
        clock.add(at("2026-01-14T08:00:00Z"), hours(3)).unwrap(),
        at("2026-01-14T11:00:00Z")
    );
    // The whole local day (00:00 CET = 01-13T23:00Z .. 01-14T23:00Z) holds 3h.
    assert_eq!(
        clock
            .between(at("2026-01-13T23:00:00Z"), at("2026-01-14T23:00:00Z"))
            .unwrap(),
        TimeDelta::hours(3)
    );
    // 13:00 CET on the special date is closed; the next opening is Thu 09:00 CET.
    assert!(!clock.is_open(at("2026-01-14T12:00:00Z")).unwrap());
    assert_eq!(
        clock.next_open(at("2026-01-14T12:00:00Z")).unwrap(),
        at("2026-01-15T08:00:00Z")
    );
}

#[test]
fn ten_thousand_hours_equal_ten_times_one_thousand() {
    let cal = berlin_office(vec![]);
    let clock = BusinessClock::Calendar(&cal);
    // Mon 2026-01-05 09:00 CET = 08:00Z. 1,000h = 125 days of 8h = 25 weeks: Friday of the
    // 25th week, 2026-01-05 + 24*7+4 days = Fri 2026-06-26, 17:00 CEST = 15:00Z.
    let start = at("2026-01-05T08:00:00Z");
    assert_eq!(
        clock.add(start, hours(1000)).unwrap(),
        at("2026-06-26T15:00:00Z")
    );
    // 10,000h = 250 weeks: 2026-01-05 + 249*7+4 days = Fri 2030-10-18, 17:00 CEST = 15:00Z.
    let once = clock.add(start, hours(10_000)).unwrap();
    assert_eq!(once, at("2030-10-18T15:00:00Z"));
    // The same in ten steps, from the exact start and from an awkward one.
    for start in [start, at("2026-02-18T12:37:00Z")] {
        let mut t = start;
        for _ in 0..10 {
            t = clock.add(t, hours(1000)).unwrap();
        }
        assert_eq!(clock.add(start, hours(10_000)).unwrap(), t, "from {start}");
        assert_eq!(clock.between(start, t).unwrap(), TimeDelta::hours(10_000));
    }
}

#[test]
fn calendar_without_open_time_is_refused() {
    assert_eq!(
        Calendar::new("Europe/Berlin", vec![], vec![]).unwrap_err(),
        DomainError::NoOpenTime
    );
    // Weekdays listed with no intervals, a holiday, and a special date with no intervals.
    let e = Calendar::new(
        "Europe/Berlin",
        WEEKDAYS.iter().map(|&d| (d, vec![])).collect(),
        vec![
            DateException::Closed(ClosedDate {
                date: date("2026-12-25"),
                reason: "Christmas".into(),
            }),
            DateException::Special(SpecialDate {
                date: date("2026-12-24"),
                intervals: vec![],
                reason: "closed too".into(),
            }),
        ],
    )
    .unwrap_err();
    assert_eq!(e, DomainError::NoOpenTime);
}

#[test]
fn calendar_open_only_on_special_dates_runs_out() {
    let cal = Calendar::new(
        "Europe/Berlin",
        vec![],
        vec![DateException::Special(SpecialDate {
            date: date("2026-12-24"),
            intervals: vec![iv("09:00", "12:00")],
            reason: "Christmas Eve only".into(),
        })],
    )
    .expect("a special date is open time");
    let clock = BusinessClock::Calendar(&cal);
    // From 2026-12-01: the only open time is 2026-12-24 09:00-12:00 CET = 08:00Z-11:00Z.
    let from = at("2026-12-01T00:00:00Z");
    assert_eq!(clock.next_open(from).unwrap(), at("2026-12-24T08:00:00Z"));
    assert_eq!(
        clock.add(from, hours(1)).unwrap(),
        at("2026-12-24T09:00:00Z")
    );
    assert_eq!(
        clock.add(from, hours(3)).unwrap(),
        at("2026-12-24T11:00:00Z")
    );
    assert!(matches!(
        clock.add(from, hours(3) + Duration::from_secs(1)),
        Err(DomainError::NoOpenTimeAfter(_))
    ));
    let after = at("2026-12-25T00:00:00Z");
    assert!(matches!(
        clock.add(after, mins(1)),
        Err(DomainError::NoOpenTimeAfter(_))
    ));
    assert!(matches!(
        clock.next_open(after),
        Err(DomainError::NoOpenTimeAfter(_))
    ));
    // Zero is always reachable, and nothing after the last special date counts.
    assert_eq!(clock.add(after, Duration::ZERO).unwrap(), after);
    assert_eq!(
        clock.between(from, at("2027-06-01T00:00:00Z")).unwrap(),
        TimeDelta::hours(3)
    );
}

#[test]
fn a_skipped_local_date_has_no_business_time() {
    // Samoa moved across the date line: 2011-12-29 23:59:59 -10:00 was followed by
    // 2011-12-31 00:00:00 +14:00, so 2011-12-30 never happened in Pacific/Apia. Open around
    // the clock every day, the business time between two instants is the real time.
    let days = WEEKDAYS
        .iter()
        .map(|&d| (d, vec![iv("00:00", "24:00")]))
        .collect();
    let cal = Calendar::new("Pacific/Apia", days, vec![]).expect("valid calendar");
    let clock = BusinessClock::Calendar(&cal);
    let (a, b) = (at("2011-12-29T00:00:00Z"), at("2012-01-01T00:00:00Z"));
    assert_eq!(clock.between(a, b).unwrap(), b - a);
    assert_eq!(clock.add(a, hours(72)).unwrap(), b);
    // Across the jump itself: 23:00 on the 29th (-10:00) plus two hours is 01:00 on the
    // 31st (+14:00).
    let before = at("2011-12-30T09:00:00Z");
    assert_eq!(
        clock.add(before, hours(2)).unwrap(),
        at("2011-12-30T11:00:00Z")
    );
}

#[test]
fn daylight_saving_holds_to_the_end_of_the_validity_window() {
    // New York, open 01:00-04:00 every day. 2099-03-08 springs forward at 02:00 (the
    // interval lasts two hours) and 2099-11-01 falls back at 02:00 (01:00-02:00 happens
    // twice: four hours). The window ends with 2099-12-31: the tz data's daylight-saving
    // rules end there, so later instants are refused rather than computed wrongly.
    let days = WEEKDAYS
        .iter()
        .map(|&d| (d, vec![iv("01:00", "04:00")]))
        .collect();
    let cal = Calendar::new("America/New_York", days, vec![]).expect("valid calendar");
    let clock = BusinessClock::Calendar(&cal);
    let day_of = |from: &str, to: &str| clock.between(at(from), at(to)).unwrap();
    // Local midnight to local midnight, in UTC.
    assert_eq!(
        day_of("2099-03-08T05:00:00Z", "2099-03-09T04:00:00Z"),
        TimeDelta::hours(2)
    );
    assert_eq!(
        day_of("2099-11-01T04:00:00Z", "2099-11-02T05:00:00Z"),
        TimeDelta::hours(4)
    );
    assert_eq!(
        day_of("2099-07-01T04:00:00Z", "2099-07-02T04:00:00Z"),
        TimeDelta::hours(3)
    );
    // 2099-12-31 is the last local date; 2100-01-01 00:00 in New York is refused.
    assert!(matches!(
        clock.between(at("2099-12-01T00:00:00Z"), at("2100-01-01T05:00:00Z")),
        Err(DomainError::OutsideValidity(_))
    ));
    assert!(
        clock
            .between(at("2099-12-01T00:00:00Z"), at("2100-01-01T04:59:59Z"))
            .is_ok()
    );
    // A target that would end past the window is refused the same way, not as a
    // calendar without open time.
    assert!(matches!(
        clock.add(at("2099-12-31T05:00:00Z"), hours(4)),
        Err(DomainError::OutsideValidity(_))
    ));
    assert_eq!(
        clock.add(at("2099-12-31T05:00:00Z"), hours(3)).unwrap(),
        at("2099-12-31T09:00:00Z")
    );
}
