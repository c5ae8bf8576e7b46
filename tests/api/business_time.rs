//! SlaService.AddBusinessTime and BusinessTimeBetween.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// SlaService.AddBusinessTime and BusinessTimeBetween
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn business_time_on_a_stored_calendar() {
    let server = TestServer::start_demo().await;
    // `calendars/emea`: Berlin, Mon-Fri 09:00-17:00 (8h a day); 2026-12-24 09:00-12:00;
    // 2026-12-25 and 2026-12-26 closed.

    // Friday 2026-06-05 15:00 CEST + 8h: Friday 2h, Monday 09:00 + 6h = 15:00.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-06-05T15:00:00+02:00", 8 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-06-08T15:00:00+02:00"));
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/emea",
                "2026-06-05T15:00:00+02:00",
                "2026-06-08T15:00:00+02:00"
            )
        )
        .await,
        8 * HOUR
    );
    // Reversed: minus the same amount.
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/emea",
                "2026-06-08T15:00:00+02:00",
                "2026-06-05T15:00:00+02:00"
            )
        )
        .await,
        -8 * HOUR
    );
    // Across Christmas: Wednesday 2026-12-23 14:00 CET: Wed 3h, Thu 24th 09-12 3h (6h),
    // Fri 25th closed, weekend, Monday 28th 09:00 + 2h = 11:00.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-12-23T14:00:00+01:00", 8 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-12-28T11:00:00+01:00"));
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/emea",
                "2026-12-23T14:00:00+01:00",
                "2026-12-28T11:00:00+01:00"
            )
        )
        .await,
        8 * HOUR
    );
    // From a Saturday, counting starts Monday 09:00: + 1h = 10:00.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-06-06T12:00:00+02:00", HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-06-08T10:00:00+02:00"));
    // Zero returns the start unchanged, even outside open hours.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-06-06T12:00:00+02:00", 0),
    )
    .await;
    assert_eq!(e, ots("2026-06-06T12:00:00+02:00"));
    // Used up exactly at closing: Monday 09:00 + 8h = Monday 17:00, not Tuesday 09:00.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-06-08T09:00:00+02:00", 8 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-06-08T17:00:00+02:00"));

    // 10,000 hours: no cap. From Monday 2027-06-07 09:00 CEST (after the last closed date
    // of `emea`), 10,000h / 40h a week = 250 whole weeks, used up at the Friday 17:00
    // close of the 250th week: Friday 2027-06-11 + 249 weeks = Friday 2032-03-19, still
    // CET (+01:00; DST starts 2032-03-28).
    let e = add(
        &server,
        add_stored("calendars/emea", "2027-06-07T09:00:00+02:00", 10_000 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2032-03-19T17:00:00+01:00"));
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/emea",
                "2027-06-07T09:00:00+02:00",
                "2032-03-19T17:00:00+01:00"
            )
        )
        .await,
        10_000 * HOUR
    );
    server.stop().await;
}

#[tokio::test]
async fn outside_the_calendar_validity_names_the_field() {
    // Calendars are computed for local dates 1970-01-01 to 2099-12-31: an instant outside
    // is INVALID_ARGUMENT with reason OUTSIDE_CALENDAR_VALIDITY, naming the field that
    // carried it, or the duration that ran past the end.
    let server = TestServer::start_demo().await;
    let always = around_the_clock("UTC");
    let outside = |e: &tonic::Status, field: &str| {
        assert_invalid_field(e, field);
        let reason = details(e).error_info().expect("ErrorInfo").reason.clone();
        assert_eq!(reason, "OUTSIDE_CALENDAR_VALIDITY", "{e:?}");
    };
    let mut sla = server.sla();
    for start in ["1969-06-01T10:00:00Z", "2100-01-01T00:00:00Z"] {
        let e = sla
            .add_business_time(add_inline(always.clone(), start, HOUR))
            .await
            .unwrap_err();
        outside(&e, "start_time");
        let e = sla
            .business_time_between(between_inline(
                always.clone(),
                start,
                "2026-06-01T00:00:00Z",
            ))
            .await
            .unwrap_err();
        outside(&e, "start_time");
        let e = sla
            .business_time_between(between_inline(
                always.clone(),
                "2026-06-01T00:00:00Z",
                start,
            ))
            .await
            .unwrap_err();
        outside(&e, "end_time");
    }
    // A valid start whose duration runs past 2099-12-31 names the duration.
    let e = sla
        .add_business_time(add_inline(
            always.clone(),
            "2099-12-31T10:00:00Z",
            48 * HOUR,
        ))
        .await
        .unwrap_err();
    outside(&e, "duration");
    // The last valid day is an ordinary day.
    assert_eq!(
        add(
            &server,
            add_inline(always, "2099-12-31T10:00:00Z", 13 * HOUR)
        )
        .await,
        ots("2099-12-31T23:00:00Z")
    );
    server.stop().await;
}

/// An inline calendar: `time_zone`, the given weekly hours.
fn spec(time_zone: &str, weekly_hours: Vec<pb::WeeklyHours>) -> pb::Calendar {
    pb::Calendar {
        time_zone: time_zone.into(),
        weekly_hours,
        ..Default::default()
    }
}

/// An inline calendar open 00:00-24:00 every day in `time_zone`.
fn around_the_clock(time_zone: &str) -> pb::Calendar {
    spec(
        time_zone,
        ALL_DAYS
            .iter()
            .map(|d| day(*d, &[("00:00", "24:00")]))
            .collect(),
    )
}

#[tokio::test]
async fn business_time_on_inline_calendars() {
    let server = TestServer::start_demo().await;

    // UTC, Mon-Fri 09:00-17:00, Monday 2026-06-08 closed. Friday 15:00 + 8h: Friday 2h,
    // Monday closed, Tuesday 09:00 + 6h = 15:00.
    let mut office = spec(
        "UTC",
        WORKDAYS
            .iter()
            .map(|d| day(*d, &[("09:00", "17:00")]))
            .collect(),
    );
    office.closed_dates = vec![pb::ClosedDate {
        date: "2026-06-08".into(),
        reason: "Whit Monday".into(),
    }];
    // The name and etag of an inline calendar are ignored.
    office.name = "calendars/whatever".into();
    office.etag = "\"7\"".into();
    let e = add(
        &server,
        add_inline(office.clone(), "2026-06-05T15:00:00Z", 8 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-06-09T15:00:00Z"));
    assert_eq!(
        between(
            &server,
            between_inline(office, "2026-06-05T15:00:00Z", "2026-06-09T15:00:00Z")
        )
        .await,
        8 * HOUR
    );

    // Berlin, Sundays 01:00-04:00: on 2026-03-29 clocks spring forward 02:00 -> 03:00, so
    // that window lasts 2h; on 2026-10-25 they fall back 03:00 -> 02:00: 4h.
    let sunday = spec(
        "Europe/Berlin",
        vec![day(pb::DayOfWeek::Sunday, &[("01:00", "04:00")])],
    );
    assert_eq!(
        between(
            &server,
            between_inline(
                sunday.clone(),
                "2026-03-28T00:00:00Z",
                "2026-03-30T00:00:00Z"
            )
        )
        .await,
        2 * HOUR
    );
    assert_eq!(
        between(
            &server,
            between_inline(
                sunday.clone(),
                "2026-10-24T00:00:00Z",
                "2026-10-26T00:00:00Z"
            )
        )
        .await,
        4 * HOUR
    );
    // 3h from Saturday 2026-03-28: 2h on the 29th (01:00 CET = 00:00Z to 02:00 CEST =
    // 02:00Z, with the skipped hour), then Sunday 2026-04-05 01:00 CEST + 1h = 02:00 CEST.
    let e = add(
        &server,
        add_inline(sunday, "2026-03-28T00:00:00Z", 3 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-04-05T02:00:00+02:00"));

    // Seven days 00:00-24:00 is continuous: business time equals elapsed time.
    let always = around_the_clock("America/New_York");
    assert_eq!(
        between(
            &server,
            between_inline(
                always.clone(),
                "2026-03-07T12:00:00Z",
                "2026-03-09T12:00:00Z"
            )
        )
        .await,
        48 * HOUR
    );
    let e = add(
        &server,
        add_inline(always, "2026-06-05T13:00:00Z", 10_000 * HOUR),
    )
    .await;
    // 10,000h = 416 days 16h: 2026-06-05 13:00Z + 416d = 2027-07-26 13:00Z, + 16h.
    assert_eq!(e, ots("2027-07-27T05:00:00Z"));
    server.stop().await;
}

#[tokio::test]
async fn business_time_errors() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();

    // Unknown zone in an inline calendar, on both RPCs.
    let mars = spec(
        "Mars/Olympus_Mons",
        WORKDAYS
            .iter()
            .map(|d| day(*d, &[("09:00", "17:00")]))
            .collect(),
    );
    let e = client
        .add_business_time(add_inline(mars.clone(), "2026-06-05T15:00:00Z", HOUR))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar_spec.time_zone");
    let e = client
        .business_time_between(between_inline(
            mars,
            "2026-06-05T15:00:00Z",
            "2026-06-06T15:00:00Z",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar_spec.time_zone");
    // An inline calendar with no open time at all: INVALID_ARGUMENT on calendar_spec.
    for closed in [
        spec("UTC", vec![]),
        spec("UTC", vec![day(pb::DayOfWeek::Monday, &[])]),
    ] {
        let e = client
            .add_business_time(add_inline(closed, "2026-06-05T15:00:00Z", HOUR))
            .await
            .unwrap_err();
        assert_invalid_under(&e, "calendar_spec");
    }
    // A malformed interval names its path.
    let e = client
        .add_business_time(add_inline(
            spec(
                "UTC",
                vec![day(pb::DayOfWeek::Monday, &[("9 am", "17:00")])],
            ),
            "2026-06-05T15:00:00Z",
            HOUR,
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar_spec.weekly_hours[0].intervals[0].open_time");

    // Negative or missing duration, missing start.
    let e = client
        .add_business_time(add_stored("calendars/emea", "2026-06-05T15:00:00Z", -1))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "duration");
    let e = client
        .add_business_time(pb::AddBusinessTimeRequest {
            duration: None,
            ..add_stored("calendars/emea", "2026-06-05T15:00:00Z", 0)
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "duration");
    let e = client
        .add_business_time(pb::AddBusinessTimeRequest {
            start_time: None,
            ..add_stored("calendars/emea", "2026-06-05T15:00:00Z", HOUR)
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "start_time");
    let e = client
        .business_time_between(pb::BusinessTimeBetweenRequest {
            end_time: None,
            ..between_stored(
                "calendars/emea",
                "2026-06-05T15:00:00Z",
                "2026-06-05T15:00:00Z",
            )
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "end_time");

    // Neither calendar nor calendar_spec.
    let e = client
        .add_business_time(pb::AddBusinessTimeRequest {
            calendar_source: None,
            ..add_stored("calendars/emea", "2026-06-05T15:00:00Z", HOUR)
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::InvalidArgument);
    assert!(details(&e).bad_request().is_some());
    let e = client
        .business_time_between(pb::BusinessTimeBetweenRequest {
            calendar_source: None,
            ..between_stored(
                "calendars/emea",
                "2026-06-05T15:00:00Z",
                "2026-06-06T15:00:00Z",
            )
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::InvalidArgument);

    // Unknown stored calendar: NOT_FOUND; malformed name: INVALID_ARGUMENT `calendar`.
    let e = client
        .add_business_time(add_stored("calendars/nope", "2026-06-05T15:00:00Z", HOUR))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = client
        .business_time_between(between_stored(
            "calendars/nope",
            "2026-06-05T15:00:00Z",
            "2026-06-06T15:00:00Z",
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = client
        .add_business_time(add_stored("emea", "2026-06-05T15:00:00Z", HOUR))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar");

    // A stored calendar with no open time left (only a special date in the past):
    // FAILED_PRECONDITION for an addition after it; the business time between two
    // instants spanning it is its 8h.
    server
        .accounts()
        .create_calendar(pb::CreateCalendarRequest {
            request_id: String::new(),
            calendar_id: "one-day".into(),
            calendar: Some(pb::Calendar {
                time_zone: "UTC".into(),
                special_dates: vec![pb::SpecialDate {
                    date: "2026-01-05".into(),
                    intervals: vec![interval("09:00", "17:00")],
                    reason: "the only open day".into(),
                }],
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let e = client
        .add_business_time(add_stored(
            "calendars/one-day",
            "2026-06-01T00:00:00Z",
            HOUR,
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::FailedPrecondition);
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/one-day",
                "2026-01-01T00:00:00Z",
                "2026-06-01T00:00:00Z"
            )
        )
        .await,
        8 * HOUR
    );
    server.stop().await;
}
