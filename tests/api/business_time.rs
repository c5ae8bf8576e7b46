//! SlaService.AddBusinessTime and BusinessTimeBetween.

use crate::helpers::*;

// ---- On a stored calendar ----
//
// `calendars/emea` of the demo seed: Berlin, Mon-Fri 09:00-17:00 (8h a day); 2026-12-24
// 09:00-12:00; 2026-12-25 and 2026-12-26 closed.

async fn add_on_emea(server: &TestServer, start: &str, duration: i64) -> Option<Timestamp> {
    add(server, add_stored("calendars/emea", start, duration)).await
}

async fn between_on_emea(server: &TestServer, start: &str, end: &str) -> i64 {
    between(server, between_stored("calendars/emea", start, end)).await
}

#[tokio::test]
async fn business_time_skips_the_weekend() {
    // Friday 2026-06-05 15:00 CEST + 8h: Friday 2h, Monday 09:00 + 6h = 15:00.
    let server = TestServer::start_demo().await;
    let e = add_on_emea(&server, "2026-06-05T15:00:00+02:00", 8 * HOUR).await;
    assert_eq!(e, ots("2026-06-08T15:00:00+02:00"));
    assert_eq!(
        between_on_emea(
            &server,
            "2026-06-05T15:00:00+02:00",
            "2026-06-08T15:00:00+02:00"
        )
        .await,
        8 * HOUR
    );
    server.stop().await;
}

#[tokio::test]
async fn business_time_between_reversed_instants_is_negative() {
    // Reversed: minus the same amount.
    let server = TestServer::start_demo().await;
    assert_eq!(
        between_on_emea(
            &server,
            "2026-06-08T15:00:00+02:00",
            "2026-06-05T15:00:00+02:00"
        )
        .await,
        -8 * HOUR
    );
    server.stop().await;
}

#[tokio::test]
async fn business_time_follows_special_and_closed_dates() {
    // Across Christmas: Wednesday 2026-12-23 14:00 CET: Wed 3h, Thu 24th 09-12 3h (6h),
    // Fri 25th closed, weekend, Monday 28th 09:00 + 2h = 11:00.
    let server = TestServer::start_demo().await;
    let e = add_on_emea(&server, "2026-12-23T14:00:00+01:00", 8 * HOUR).await;
    assert_eq!(e, ots("2026-12-28T11:00:00+01:00"));
    assert_eq!(
        between_on_emea(
            &server,
            "2026-12-23T14:00:00+01:00",
            "2026-12-28T11:00:00+01:00"
        )
        .await,
        8 * HOUR
    );
    server.stop().await;
}

#[tokio::test]
async fn counting_from_a_saturday_starts_on_monday_morning() {
    // From a Saturday, counting starts Monday 09:00: + 1h = 10:00.
    let server = TestServer::start_demo().await;
    let e = add_on_emea(&server, "2026-06-06T12:00:00+02:00", HOUR).await;
    assert_eq!(e, ots("2026-06-08T10:00:00+02:00"));
    server.stop().await;
}

#[tokio::test]
async fn adding_zero_returns_the_start_even_outside_open_hours() {
    let server = TestServer::start_demo().await;
    let e = add_on_emea(&server, "2026-06-06T12:00:00+02:00", 0).await;
    assert_eq!(e, ots("2026-06-06T12:00:00+02:00"));
    server.stop().await;
}

#[tokio::test]
async fn time_used_up_exactly_at_closing_ends_at_the_close() {
    // Monday 09:00 + 8h = Monday 17:00, not Tuesday 09:00.
    let server = TestServer::start_demo().await;
    let e = add_on_emea(&server, "2026-06-08T09:00:00+02:00", 8 * HOUR).await;
    assert_eq!(e, ots("2026-06-08T17:00:00+02:00"));
    server.stop().await;
}

#[tokio::test]
async fn ten_thousand_business_hours_are_not_capped() {
    // From Monday 2027-06-07 09:00 CEST (after the last closed date of `emea`),
    // 10,000h / 40h a week = 250 whole weeks, used up at the Friday 17:00 close of the
    // 250th week: Friday 2027-06-11 + 249 weeks = Friday 2032-03-19, still CET (+01:00;
    // DST starts 2032-03-28).
    let server = TestServer::start_demo().await;
    let e = add_on_emea(&server, "2027-06-07T09:00:00+02:00", 10_000 * HOUR).await;
    assert_eq!(e, ots("2032-03-19T17:00:00+01:00"));
    assert_eq!(
        between_on_emea(
            &server,
            "2027-06-07T09:00:00+02:00",
            "2032-03-19T17:00:00+01:00"
        )
        .await,
        10_000 * HOUR
    );
    server.stop().await;
}

// ---- Calendar validity ----

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

// ---- On inline calendars ----

/// UTC, Mon-Fri 09:00-17:00, Monday 2026-06-08 closed; with a name and an etag, which
/// are ignored for an inline calendar.
fn office_closed_on_whit_monday() -> pb::Calendar {
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
    office.name = "calendars/whatever".into();
    office.etag = "\"7\"".into();
    office
}

/// Berlin, Sundays 01:00-04:00: on 2026-03-29 clocks spring forward 02:00 -> 03:00, so
/// that window lasts 2h; on 2026-10-25 they fall back 03:00 -> 02:00: 4h.
fn berlin_sunday_night() -> pb::Calendar {
    spec(
        "Europe/Berlin",
        vec![day(pb::DayOfWeek::Sunday, &[("01:00", "04:00")])],
    )
}

#[tokio::test]
async fn an_inline_calendar_keeps_its_closed_dates_and_ignores_name_and_etag() {
    // Friday 15:00 + 8h: Friday 2h, Monday closed, Tuesday 09:00 + 6h = 15:00.
    let server = TestServer::start_demo().await;
    let office = office_closed_on_whit_monday();
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
    server.stop().await;
}

#[tokio::test]
async fn a_window_across_the_spring_forward_lasts_an_hour_less() {
    let server = TestServer::start_demo().await;
    assert_eq!(
        between(
            &server,
            between_inline(
                berlin_sunday_night(),
                "2026-03-28T00:00:00Z",
                "2026-03-30T00:00:00Z"
            )
        )
        .await,
        2 * HOUR
    );
    server.stop().await;
}

#[tokio::test]
async fn a_window_across_the_fall_back_lasts_an_hour_more() {
    let server = TestServer::start_demo().await;
    assert_eq!(
        between(
            &server,
            between_inline(
                berlin_sunday_night(),
                "2026-10-24T00:00:00Z",
                "2026-10-26T00:00:00Z"
            )
        )
        .await,
        4 * HOUR
    );
    server.stop().await;
}

#[tokio::test]
async fn adding_across_the_spring_forward_skips_the_missing_hour() {
    // 3h from Saturday 2026-03-28: 2h on the 29th (01:00 CET = 00:00Z to 02:00 CEST =
    // 02:00Z, with the skipped hour), then Sunday 2026-04-05 01:00 CEST + 1h = 02:00 CEST.
    let server = TestServer::start_demo().await;
    let e = add(
        &server,
        add_inline(berlin_sunday_night(), "2026-03-28T00:00:00Z", 3 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-04-05T02:00:00+02:00"));
    server.stop().await;
}

#[tokio::test]
async fn around_the_clock_business_time_equals_elapsed_time() {
    // Seven days 00:00-24:00 is continuous, across the DST change of 2026-03-08 too.
    let server = TestServer::start_demo().await;
    let always = around_the_clock("America/New_York");
    assert_eq!(
        between(
            &server,
            between_inline(always, "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z")
        )
        .await,
        48 * HOUR
    );
    server.stop().await;
}

#[tokio::test]
async fn ten_thousand_hours_around_the_clock_are_416_days_and_16_hours() {
    // 10,000h = 416 days 16h: 2026-06-05 13:00Z + 416d = 2027-07-26 13:00Z, + 16h.
    let server = TestServer::start_demo().await;
    let always = around_the_clock("America/New_York");
    let e = add(
        &server,
        add_inline(always, "2026-06-05T13:00:00Z", 10_000 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2027-07-27T05:00:00Z"));
    server.stop().await;
}

// ---- Errors ----

#[tokio::test]
async fn bad_business_time_requests_are_refused_naming_the_field() {
    let server = TestServer::start_demo().await;
    let mars = spec(
        "Mars/Olympus_Mons",
        WORKDAYS
            .iter()
            .map(|d| day(*d, &[("09:00", "17:00")]))
            .collect(),
    );
    let bad_interval = spec(
        "UTC",
        vec![day(pb::DayOfWeek::Monday, &[("9 am", "17:00")])],
    );
    let emea = |duration| add_stored("calendars/emea", "2026-06-05T15:00:00Z", duration);
    let additions = [
        // Unknown zone in an inline calendar.
        (
            add_inline(mars.clone(), "2026-06-05T15:00:00Z", HOUR),
            "calendar_spec.time_zone",
        ),
        // A malformed interval names its path.
        (
            add_inline(bad_interval, "2026-06-05T15:00:00Z", HOUR),
            "calendar_spec.weekly_hours[0].intervals[0].open_time",
        ),
        // Negative or missing duration, missing start, malformed calendar name.
        (emea(-1), "duration"),
        (
            pb::AddBusinessTimeRequest {
                duration: None,
                ..emea(0)
            },
            "duration",
        ),
        (
            pb::AddBusinessTimeRequest {
                start_time: None,
                ..emea(HOUR)
            },
            "start_time",
        ),
        (add_stored("emea", "2026-06-05T15:00:00Z", HOUR), "calendar"),
    ];
    for (request, field) in additions {
        let e = server.sla().add_business_time(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    let betweens = [
        (
            between_inline(mars, "2026-06-05T15:00:00Z", "2026-06-06T15:00:00Z"),
            "calendar_spec.time_zone",
        ),
        (
            pb::BusinessTimeBetweenRequest {
                end_time: None,
                ..between_stored(
                    "calendars/emea",
                    "2026-06-05T15:00:00Z",
                    "2026-06-05T15:00:00Z",
                )
            },
            "end_time",
        ),
    ];
    for (request, field) in betweens {
        let e = server
            .sla()
            .business_time_between(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn an_inline_calendar_without_open_time_is_refused_under_calendar_spec() {
    let server = TestServer::start_demo().await;
    for closed in [
        spec("UTC", vec![]),
        spec("UTC", vec![day(pb::DayOfWeek::Monday, &[])]),
    ] {
        let e = server
            .sla()
            .add_business_time(add_inline(closed, "2026-06-05T15:00:00Z", HOUR))
            .await
            .unwrap_err();
        assert_invalid_under(&e, "calendar_spec");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_request_with_neither_calendar_nor_calendar_spec_is_invalid() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
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
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_stored_calendar_is_not_found() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
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
    server.stop().await;
}

/// calendars/one-day: UTC, open only on the special date 2026-01-05, 09:00-17:00.
async fn one_day_calendar(server: &TestServer) {
    let one_day = pb::Calendar {
        time_zone: "UTC".into(),
        special_dates: vec![pb::SpecialDate {
            date: "2026-01-05".into(),
            intervals: vec![interval("09:00", "17:00")],
            reason: "the only open day".into(),
        }],
        ..Default::default()
    };
    create_calendar(server, "one-day", one_day).await.unwrap();
}

#[tokio::test]
async fn adding_after_a_calendars_last_open_time_is_a_failed_precondition() {
    let server = TestServer::start_demo().await;
    one_day_calendar(&server).await;
    let e = server
        .sla()
        .add_business_time(add_stored(
            "calendars/one-day",
            "2026-06-01T00:00:00Z",
            HOUR,
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::FailedPrecondition);
    server.stop().await;
}

#[tokio::test]
async fn business_time_spanning_a_calendars_only_open_day_is_its_hours() {
    let server = TestServer::start_demo().await;
    one_day_calendar(&server).await;
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
