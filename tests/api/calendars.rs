//! AccountService: calendars, their validation, updates and deletion.

use crate::helpers::*;
use pb::DayOfWeek as D;

// ---- Arrangement ----

/// A calendar with unsorted weekly hours, closed dates and a special date.
fn emea_calendar() -> pb::Calendar {
    pb::Calendar {
        name: "calendars/ignored".into(),
        display_name: "EMEA".into(),
        time_zone: "Europe/Berlin".into(),
        weekly_hours: vec![
            day(D::Friday, &[("13:00", "17:00"), ("09:00", "12:00")]),
            day(D::Monday, &[("09:00", "17:00")]),
            day(D::Saturday, &[]),
            day(D::Sunday, &[("22:00", "24:00")]),
        ],
        closed_dates: vec![
            closed("2026-12-26", "St. Stephen's Day"),
            closed("2026-12-25", "Christmas Day"),
        ],
        special_dates: vec![pb::SpecialDate {
            reason: "Christmas Eve".into(),
            ..special("2026-12-24", &[("09:00", "12:00")])
        }],
        ..Default::default()
    }
}

async fn create_emea(server: &TestServer) -> pb::Calendar {
    create_calendar(server, "emea", emea_calendar())
        .await
        .expect("CreateCalendar")
}

fn closed(date: &str, reason: &str) -> pb::ClosedDate {
    pb::ClosedDate {
        date: date.into(),
        reason: reason.into(),
    }
}

fn special(date: &str, intervals: &[(&str, &str)]) -> pb::SpecialDate {
    pb::SpecialDate {
        date: date.into(),
        intervals: intervals.iter().map(|(o, c)| interval(o, c)).collect(),
        reason: String::new(),
    }
}

/// A UTC calendar with the one weekly day `w`.
fn with_day(w: pb::WeeklyHours) -> pb::Calendar {
    pb::Calendar {
        time_zone: "UTC".into(),
        weekly_hours: vec![w],
        ..Default::default()
    }
}

fn create_request(id: &str, calendar: pb::Calendar) -> pb::CreateCalendarRequest {
    pb::CreateCalendarRequest {
        request_id: String::new(),
        calendar_id: id.into(),
        calendar: Some(calendar),
    }
}

fn list_request(page_size: i32, page_token: &str) -> pb::ListCalendarsRequest {
    pb::ListCalendarsRequest {
        page_size,
        page_token: page_token.into(),
    }
}

fn calendar_names(calendars: &[pb::Calendar]) -> Vec<&str> {
    calendars.iter().map(|c| c.name.as_str()).collect()
}

fn update_request(calendar: pb::Calendar, paths: &[&str]) -> pb::UpdateCalendarRequest {
    pb::UpdateCalendarRequest {
        request_id: String::new(),
        calendar: Some(calendar),
        update_mask: mask(paths),
    }
}

async fn update_calendar(
    server: &TestServer,
    calendar: pb::Calendar,
    paths: &[&str],
) -> Result<pb::Calendar, tonic::Status> {
    server
        .accounts()
        .update_calendar(update_request(calendar, paths))
        .await
        .map(|r| r.into_inner().calendar.expect("calendar"))
}

/// calendars/emea (office hours in Berlin) and the same calendar after its closed dates
/// were set to Christmas Day through the mask.
async fn emea_with_christmas_closed(server: &TestServer) -> (pb::Calendar, pb::Calendar) {
    let original = create_calendar(server, "emea", office_calendar("Europe/Berlin"))
        .await
        .unwrap();
    let updated = update_calendar(
        server,
        pb::Calendar {
            name: "calendars/emea".into(),
            closed_dates: vec![closed("2026-12-25", "Christmas Day")],
            etag: original.etag.clone(),
            ..Default::default()
        },
        &["closed_dates"],
    )
    .await
    .expect("UpdateCalendar");
    (original, updated)
}

fn delete_request(etag: &str) -> pb::DeleteCalendarRequest {
    pb::DeleteCalendarRequest {
        request_id: String::new(),
        name: "calendars/emea".into(),
        etag: etag.into(),
    }
}

/// calendars/emea, used by accounts/acme.
async fn emea_used_by_acme(server: &TestServer) -> pb::Calendar {
    let cal = create_calendar(server, "emea", office_calendar("Europe/Berlin"))
        .await
        .unwrap();
    create_account(
        server,
        "acme",
        pb::Account {
            time_zone: "Europe/Berlin".into(),
            calendar: "calendars/emea".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    cal
}

// ---- CreateCalendar and GetCalendar ----

#[tokio::test]
async fn a_created_calendar_is_named_from_its_id_and_read_back_unchanged() {
    let server = TestServer::start().await;
    let emea = create_emea(&server).await;
    assert_eq!(emea.name, "calendars/emea");
    assert_eq!(emea.display_name, "EMEA");
    assert_eq!(emea.time_zone, "Europe/Berlin");
    assert!(!emea.etag.is_empty() && emea.create_time.is_some());
    assert_eq!(get_calendar(&server, "calendars/emea").await, emea);
    server.stop().await;
}

#[tokio::test]
async fn weekly_hours_come_back_monday_to_sunday_with_intervals_sorted() {
    let server = TestServer::start().await;
    let emea = create_emea(&server).await;
    let days: Vec<i32> = emea
        .weekly_hours
        .iter()
        .filter(|w| !w.intervals.is_empty())
        .map(|w| w.day_of_week)
        .collect();
    assert_eq!(
        days,
        [
            i32::from(D::Monday),
            i32::from(D::Friday),
            i32::from(D::Sunday)
        ],
        "returned Monday to Sunday"
    );
    let hours_of = |d: D| {
        let w = emea
            .weekly_hours
            .iter()
            .find(|w| w.day_of_week == i32::from(d));
        w.unwrap().intervals.clone()
    };
    assert_eq!(
        hours_of(D::Friday),
        [interval("09:00", "12:00"), interval("13:00", "17:00")],
        "intervals sorted by open_time"
    );
    assert_eq!(
        hours_of(D::Sunday),
        [interval("22:00", "24:00")],
        "24:00 is a valid close time"
    );
    server.stop().await;
}

#[tokio::test]
async fn closed_dates_come_back_sorted_and_special_dates_kept() {
    let server = TestServer::start().await;
    let emea = create_emea(&server).await;
    let closed: Vec<&str> = emea.closed_dates.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(closed, ["2026-12-25", "2026-12-26"], "sorted by date");
    assert_eq!(emea.closed_dates[0].reason, "Christmas Day");
    assert_eq!(emea.special_dates.len(), 1);
    assert_eq!(emea.special_dates[0].reason, "Christmas Eve");
    server.stop().await;
}

#[tokio::test]
async fn creating_a_taken_calendar_id_is_already_exists_and_keeps_the_stored_one() {
    let server = TestServer::start().await;
    let emea = create_emea(&server).await;
    let e = create_calendar(&server, "emea", office_calendar("UTC"))
        .await
        .unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    assert_eq!(get_calendar(&server, "calendars/emea").await, emea);
    server.stop().await;
}

#[tokio::test]
async fn bad_calendars_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let office = || office_calendar("UTC");
    // A special date on a closed date, and a special date whose intervals overlap, are
    // named at the special date.
    let table = [
        (
            create_request("bad", office_calendar("Atlantis/Capital")),
            "calendar.time_zone",
        ),
        (
            create_request("bad", office_calendar("")),
            "calendar.time_zone",
        ),
        (
            create_request("bad", with_day(day(D::Monday, &[("09:00", "24:01")]))),
            "calendar.weekly_hours[0].intervals[0].close_time",
        ),
        (
            create_request(
                "bad",
                with_day(day(D::Monday, &[("08:00", "09:00"), ("9am", "17:00")])),
            ),
            "calendar.weekly_hours[0].intervals[1].open_time",
        ),
        (
            create_request(
                "bad",
                with_day(day(D::Monday, &[("09:00", "13:00"), ("12:00", "17:00")])),
            ),
            "calendar.weekly_hours[0].intervals",
        ),
        (
            create_request("bad", with_day(day(D::Monday, &[("17:00", "09:00")]))),
            "calendar.weekly_hours[0].intervals[0].close_time",
        ),
        (
            create_request("bad", with_day(day(D::Unspecified, &[("09:00", "17:00")]))),
            "calendar.weekly_hours[0].day_of_week",
        ),
        (
            create_request(
                "bad",
                pb::Calendar {
                    time_zone: "UTC".into(),
                    weekly_hours: vec![
                        day(D::Monday, &[("09:00", "12:00")]),
                        day(D::Monday, &[("13:00", "17:00")]),
                    ],
                    ..Default::default()
                },
            ),
            "calendar.weekly_hours[1].day_of_week",
        ),
        (
            create_request(
                "bad",
                pb::Calendar {
                    closed_dates: vec![closed("2026-13-01", "")],
                    ..office()
                },
            ),
            "calendar.closed_dates[0].date",
        ),
        (
            create_request(
                "bad",
                pb::Calendar {
                    closed_dates: vec![closed("2026-12-25", ""), closed("2026-12-25", "")],
                    ..office()
                },
            ),
            "calendar.closed_dates[1].date",
        ),
        (
            create_request(
                "bad",
                pb::Calendar {
                    closed_dates: vec![closed("2026-12-24", "")],
                    special_dates: vec![special("2026-12-24", &[("09:00", "12:00")])],
                    ..office()
                },
            ),
            "calendar.special_dates[0].date",
        ),
        (
            create_request(
                "bad",
                pb::Calendar {
                    special_dates: vec![
                        special("2026-12-23", &[("09:00", "12:00")]),
                        special("2026-12-24", &[("09:00", "12:00"), ("11:00", "13:00")]),
                    ],
                    ..office()
                },
            ),
            "calendar.special_dates[1].intervals",
        ),
        (create_request("Bad_Id", office()), "calendar_id"),
        (
            pb::CreateCalendarRequest {
                request_id: String::new(),
                calendar_id: "bad".into(),
                calendar: None,
            },
            "calendar",
        ),
    ];
    for (request, field) in table {
        let e = server
            .accounts()
            .create_calendar(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn calendar_without_open_time_is_refused() {
    // account_service.proto, CreateCalendar: a calendar with no open time at all is
    // INVALID_ARGUMENT (reason NO_OPEN_TIME) naming `calendar.weekly_hours`.
    let server = TestServer::start().await;
    let err = create_calendar(&server, "closed", with_day(day(D::Monday, &[])))
        .await
        .expect_err("a calendar with no open time is refused");
    assert_invalid_field(&err, "calendar.weekly_hours");
    assert!(err.message().contains("no open time"), "{err:?}");
    // Nothing was stored.
    let missing = server
        .accounts()
        .get_calendar(pb::GetCalendarRequest {
            name: "calendars/closed".into(),
        })
        .await
        .expect_err("not stored");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn getting_an_unknown_calendar_is_not_found() {
    let server = TestServer::start().await;
    let e = server
        .accounts()
        .get_calendar(pb::GetCalendarRequest {
            name: "calendars/bad".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

// ---- ListCalendars ----

#[tokio::test]
async fn list_calendars_pages_by_name() {
    let server = TestServer::start().await;
    for id in ["zeta", "emea", "alpha"] {
        create_calendar(&server, id, office_calendar("UTC"))
            .await
            .unwrap();
    }
    let mut client = server.accounts();
    let first = client
        .list_calendars(list_request(2, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        calendar_names(&first.calendars),
        ["calendars/alpha", "calendars/emea"]
    );
    assert!(!first.next_page_token.is_empty());
    let second = client
        .list_calendars(list_request(2, &first.next_page_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(calendar_names(&second.calendars), ["calendars/zeta"]);
    assert_eq!(second.next_page_token, "");
    server.stop().await;
}

#[tokio::test]
async fn bad_list_calendars_paging_is_refused_naming_the_field() {
    let server = TestServer::start().await;
    for (request, field) in [
        (list_request(-1, ""), "page_size"),
        (list_request(0, "%%%"), "page_token"),
    ] {
        let e = server.accounts().list_calendars(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

// ---- UpdateCalendar ----

#[tokio::test]
async fn update_calendar_with_a_mask_keeps_the_other_fields() {
    // closed_dates only: weekly hours, zone and display name are kept, although the
    // request leaves them empty.
    let server = TestServer::start().await;
    let (original, updated) = emea_with_christmas_closed(&server).await;
    assert_eq!(updated.weekly_hours, original.weekly_hours);
    assert_eq!(updated.time_zone, "Europe/Berlin");
    assert_eq!(updated.display_name, original.display_name);
    assert_eq!(updated.closed_dates.len(), 1);
    assert_eq!(updated.closed_dates[0].date, "2026-12-25");
    assert_ne!(updated.etag, original.etag);
    assert_eq!(updated.create_time, original.create_time);
    assert_eq!(get_calendar(&server, "calendars/emea").await, updated);
    server.stop().await;
}

#[tokio::test]
async fn updating_a_calendar_with_a_stale_etag_is_aborted_and_writes_nothing() {
    let server = TestServer::start().await;
    let (original, updated) = emea_with_christmas_closed(&server).await;
    let stale = pb::Calendar {
        name: "calendars/emea".into(),
        display_name: "Stale".into(),
        closed_dates: vec![],
        etag: original.etag.clone(),
        ..Default::default()
    };
    let e = update_calendar(&server, stale, &["display_name", "closed_dates"])
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(get_calendar(&server, "calendars/emea").await, updated);
    server.stop().await;
}

#[tokio::test]
async fn weekly_hours_are_replaced_as_a_whole_and_other_fields_kept() {
    let server = TestServer::start().await;
    let (_, updated) = emea_with_christmas_closed(&server).await;
    let replaced = update_calendar(
        &server,
        pb::Calendar {
            name: "calendars/emea".into(),
            weekly_hours: vec![day(D::Saturday, &[("00:00", "24:00")])],
            ..Default::default()
        },
        &["weekly_hours"],
    )
    .await
    .unwrap();
    assert_eq!(
        replaced.weekly_hours,
        [day(D::Saturday, &[("00:00", "24:00")])]
    );
    assert_eq!(replaced.closed_dates, updated.closed_dates, "kept");
    server.stop().await;
}

#[tokio::test]
async fn bad_calendar_updates_are_refused_naming_the_field_and_write_nothing() {
    let server = TestServer::start().await;
    let (_, updated) = emea_with_christmas_closed(&server).await;
    let emea = |c: pb::Calendar| pb::Calendar {
        name: "calendars/emea".into(),
        ..c
    };
    let table = [
        (
            update_request(
                emea(with_day(day(D::Monday, &[("09:00", "24:01")]))),
                &["weekly_hours"],
            ),
            "calendar.weekly_hours[0].intervals[0].close_time",
        ),
        (
            update_request(
                emea(pb::Calendar {
                    time_zone: "Moon/Tranquility".into(),
                    ..Default::default()
                }),
                &["time_zone"],
            ),
            "calendar.time_zone",
        ),
        (
            update_request(emea(Default::default()), &["holidays"]),
            "update_mask",
        ),
    ];
    for (request, field) in table {
        let e = server
            .accounts()
            .update_calendar(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    assert_eq!(get_calendar(&server, "calendars/emea").await, updated);
    server.stop().await;
}

#[tokio::test]
async fn updating_an_unknown_calendar_is_not_found() {
    let server = TestServer::start().await;
    let (_, updated) = emea_with_christmas_closed(&server).await;
    let apac = pb::Calendar {
        name: "calendars/apac".into(),
        display_name: "APAC".into(),
        ..Default::default()
    };
    let e = update_calendar(&server, apac, &["display_name"])
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    assert_eq!(get_calendar(&server, "calendars/emea").await, updated);
    server.stop().await;
}

// ---- DeleteCalendar ----

#[tokio::test]
async fn delete_calendar_is_refused_while_an_account_uses_it() {
    let server = TestServer::start().await;
    let cal = emea_used_by_acme(&server).await;
    let e = server
        .accounts()
        .delete_calendar(delete_request(""))
        .await
        .unwrap_err();
    assert_precondition(&e, "accounts/acme");
    assert_eq!(get_calendar(&server, "calendars/emea").await, cal);
    server.stop().await;
}

#[tokio::test]
async fn an_account_goes_back_to_the_default_hours_through_the_mask() {
    let server = TestServer::start().await;
    emea_used_by_acme(&server).await;
    let acme = release_acme(&server).await;
    assert_eq!(acme.calendar, "");
    server.stop().await;
}

/// Sets accounts/acme back to the default hours (empty calendar through the mask).
async fn release_acme(server: &TestServer) -> pb::Account {
    server
        .accounts()
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                calendar: String::new(),
                ..Default::default()
            }),
            update_mask: mask(&["calendar"]),
        })
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap()
}

/// calendars/emea, once used by accounts/acme and released again.
async fn released_emea(server: &TestServer) -> pb::Calendar {
    let cal = emea_used_by_acme(server).await;
    release_acme(server).await;
    cal
}

#[tokio::test]
async fn deleting_a_calendar_with_a_stale_etag_is_aborted() {
    let server = TestServer::start().await;
    released_emea(&server).await;
    let e = server
        .accounts()
        .delete_calendar(delete_request("\"999\""))
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    server.stop().await;
}

#[tokio::test]
async fn a_deleted_calendar_is_not_found() {
    let server = TestServer::start().await;
    let cal = released_emea(&server).await;
    let mut accounts = server.accounts();
    accounts
        .delete_calendar(delete_request(&cal.etag))
        .await
        .expect("DeleteCalendar");
    let e = accounts
        .get_calendar(pb::GetCalendarRequest {
            name: "calendars/emea".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_deleted_calendar_is_not_found() {
    let server = TestServer::start().await;
    let cal = released_emea(&server).await;
    let mut accounts = server.accounts();
    accounts
        .delete_calendar(delete_request(&cal.etag))
        .await
        .expect("DeleteCalendar");
    let e = accounts
        .delete_calendar(delete_request(""))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}
