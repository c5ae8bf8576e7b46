//! AccountService: calendars, their validation, updates and deletion.

use crate::helpers::*;

// ---- AccountService: calendars ----

#[tokio::test]
async fn calendar_create_get_list_and_validation() {
    use pb::DayOfWeek as D;
    let server = TestServer::start().await;

    let emea = create_calendar(
        &server,
        "emea",
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
                pb::ClosedDate {
                    date: "2026-12-26".into(),
                    reason: "St. Stephen's Day".into(),
                },
                pb::ClosedDate {
                    date: "2026-12-25".into(),
                    reason: "Christmas Day".into(),
                },
            ],
            special_dates: vec![pb::SpecialDate {
                date: "2026-12-24".into(),
                intervals: vec![interval("09:00", "12:00")],
                reason: "Christmas Eve".into(),
            }],
            ..Default::default()
        },
    )
    .await
    .expect("CreateCalendar");
    assert_eq!(emea.name, "calendars/emea");
    assert_eq!(emea.display_name, "EMEA");
    assert_eq!(emea.time_zone, "Europe/Berlin");
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
    let friday = emea
        .weekly_hours
        .iter()
        .find(|w| w.day_of_week == i32::from(D::Friday))
        .unwrap();
    assert_eq!(
        friday.intervals,
        [interval("09:00", "12:00"), interval("13:00", "17:00")],
        "intervals sorted by open_time"
    );
    let sunday = emea
        .weekly_hours
        .iter()
        .find(|w| w.day_of_week == i32::from(D::Sunday))
        .unwrap();
    assert_eq!(
        sunday.intervals,
        [interval("22:00", "24:00")],
        "24:00 is a valid close time"
    );
    let closed: Vec<&str> = emea.closed_dates.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(closed, ["2026-12-25", "2026-12-26"], "sorted by date");
    assert_eq!(emea.closed_dates[0].reason, "Christmas Day");
    assert_eq!(emea.special_dates.len(), 1);
    assert_eq!(emea.special_dates[0].reason, "Christmas Eve");
    assert!(!emea.etag.is_empty() && emea.create_time.is_some());
    assert_eq!(get_calendar(&server, "calendars/emea").await, emea);

    // Errors on create.
    let e = create_calendar(&server, "emea", office_calendar("UTC"))
        .await
        .unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    assert_eq!(get_calendar(&server, "calendars/emea").await, emea);

    let e = create_calendar(&server, "bad", office_calendar("Atlantis/Capital"))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.time_zone");
    let e = create_calendar(&server, "bad", office_calendar(""))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.time_zone");

    let with_day = |w: pb::WeeklyHours| pb::Calendar {
        time_zone: "UTC".into(),
        weekly_hours: vec![w],
        ..Default::default()
    };
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Monday, &[("09:00", "24:01")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals[0].close_time");
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Monday, &[("08:00", "09:00"), ("9am", "17:00")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals[1].open_time");
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Monday, &[("09:00", "13:00"), ("12:00", "17:00")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals");
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Monday, &[("17:00", "09:00")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals[0].close_time");
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Unspecified, &[("09:00", "17:00")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].day_of_week");
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            time_zone: "UTC".into(),
            weekly_hours: vec![
                day(D::Monday, &[("09:00", "12:00")]),
                day(D::Monday, &[("13:00", "17:00")]),
            ],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[1].day_of_week");
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            closed_dates: vec![pb::ClosedDate {
                date: "2026-13-01".into(),
                reason: String::new(),
            }],
            ..office_calendar("UTC")
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.closed_dates[0].date");
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            closed_dates: vec![
                pb::ClosedDate {
                    date: "2026-12-25".into(),
                    reason: String::new(),
                },
                pb::ClosedDate {
                    date: "2026-12-25".into(),
                    reason: String::new(),
                },
            ],
            ..office_calendar("UTC")
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.closed_dates[1].date");
    // A special date on a closed date, and a special date whose intervals overlap, are
    // named at the special date.
    let special = |date: &str, intervals: &[(&str, &str)]| pb::SpecialDate {
        date: date.into(),
        intervals: intervals.iter().map(|(o, c)| interval(o, c)).collect(),
        reason: String::new(),
    };
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            closed_dates: vec![pb::ClosedDate {
                date: "2026-12-24".into(),
                reason: String::new(),
            }],
            special_dates: vec![special("2026-12-24", &[("09:00", "12:00")])],
            ..office_calendar("UTC")
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.special_dates[0].date");
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            special_dates: vec![
                special("2026-12-23", &[("09:00", "12:00")]),
                special("2026-12-24", &[("09:00", "12:00"), ("11:00", "13:00")]),
            ],
            ..office_calendar("UTC")
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.special_dates[1].intervals");
    let e = create_calendar(&server, "Bad_Id", office_calendar("UTC"))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar_id");
    let e = server
        .accounts()
        .create_calendar(pb::CreateCalendarRequest {
            request_id: String::new(),
            calendar_id: "bad".into(),
            calendar: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar");
    let e = server
        .accounts()
        .get_calendar(pb::GetCalendarRequest {
            name: "calendars/bad".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);

    // ListCalendars pages by name.
    for id in ["zeta", "alpha"] {
        create_calendar(&server, id, office_calendar("UTC"))
            .await
            .unwrap();
    }
    let mut client = server.accounts();
    let first = client
        .list_calendars(pb::ListCalendarsRequest {
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = first.calendars.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["calendars/alpha", "calendars/emea"]);
    assert!(!first.next_page_token.is_empty());
    let second = client
        .list_calendars(pb::ListCalendarsRequest {
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = second.calendars.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["calendars/zeta"]);
    assert_eq!(second.next_page_token, "");
    let e = client
        .list_calendars(pb::ListCalendarsRequest {
            page_size: -1,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_size");
    let e = client
        .list_calendars(pb::ListCalendarsRequest {
            page_size: 0,
            page_token: "%%%".into(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_token");
    server.stop().await;
}

#[tokio::test]
async fn calendar_without_open_time_is_refused() {
    // account_service.proto, CreateCalendar: a calendar with no open time at all is
    // INVALID_ARGUMENT (reason NO_OPEN_TIME) naming `calendar.weekly_hours`.
    use pb::DayOfWeek as D;
    let server = TestServer::start().await;
    let err = create_calendar(
        &server,
        "closed",
        pb::Calendar {
            time_zone: "UTC".into(),
            weekly_hours: vec![day(D::Monday, &[])],
            ..Default::default()
        },
    )
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
async fn update_calendar_with_mask_keeps_other_fields_and_checks_etag() {
    use pb::DayOfWeek as D;
    let server = TestServer::start().await;
    let original = create_calendar(&server, "emea", office_calendar("Europe/Berlin"))
        .await
        .unwrap();
    let mut accounts = server.accounts();

    // closed_dates only: weekly hours, zone and display name are kept, although the
    // request leaves them empty.
    let updated = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            request_id: String::new(),
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                closed_dates: vec![pb::ClosedDate {
                    date: "2026-12-25".into(),
                    reason: "Christmas Day".into(),
                }],
                etag: original.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["closed_dates"]),
        })
        .await
        .expect("UpdateCalendar")
        .into_inner()
        .calendar
        .unwrap();
    assert_eq!(updated.weekly_hours, original.weekly_hours);
    assert_eq!(updated.time_zone, "Europe/Berlin");
    assert_eq!(updated.display_name, original.display_name);
    assert_eq!(updated.closed_dates.len(), 1);
    assert_eq!(updated.closed_dates[0].date, "2026-12-25");
    assert_ne!(updated.etag, original.etag);
    assert_eq!(updated.create_time, original.create_time);
    assert_eq!(get_calendar(&server, "calendars/emea").await, updated);

    // Stale etag: ABORTED and nothing written.
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            request_id: String::new(),
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                display_name: "Stale".into(),
                closed_dates: vec![],
                etag: original.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "closed_dates"]),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(get_calendar(&server, "calendars/emea").await, updated);

    // weekly_hours is replaced as a whole; 24:00 accepted, 24:01 refused by path.
    let replaced = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            request_id: String::new(),
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                weekly_hours: vec![day(D::Saturday, &[("00:00", "24:00")])],
                ..Default::default()
            }),
            update_mask: mask(&["weekly_hours"]),
        })
        .await
        .unwrap()
        .into_inner()
        .calendar
        .unwrap();
    assert_eq!(
        replaced.weekly_hours,
        [day(D::Saturday, &[("00:00", "24:00")])]
    );
    assert_eq!(replaced.closed_dates, updated.closed_dates, "kept");
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            request_id: String::new(),
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                weekly_hours: vec![day(D::Monday, &[("09:00", "24:01")])],
                ..Default::default()
            }),
            update_mask: mask(&["weekly_hours"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals[0].close_time");
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            request_id: String::new(),
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                time_zone: "Moon/Tranquility".into(),
                ..Default::default()
            }),
            update_mask: mask(&["time_zone"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.time_zone");
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            request_id: String::new(),
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                ..Default::default()
            }),
            update_mask: mask(&["holidays"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "update_mask");
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            request_id: String::new(),
            calendar: Some(pb::Calendar {
                name: "calendars/apac".into(),
                display_name: "APAC".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    assert_eq!(get_calendar(&server, "calendars/emea").await, replaced);
    server.stop().await;
}

#[tokio::test]
async fn delete_calendar_is_refused_while_an_account_uses_it() {
    let server = TestServer::start().await;
    let cal = create_calendar(&server, "emea", office_calendar("Europe/Berlin"))
        .await
        .unwrap();
    create_account(
        &server,
        "acme",
        pb::Account {
            time_zone: "Europe/Berlin".into(),
            calendar: "calendars/emea".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut accounts = server.accounts();
    let e = accounts
        .delete_calendar(pb::DeleteCalendarRequest {
            request_id: String::new(),
            name: "calendars/emea".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_precondition(&e, "accounts/acme");
    assert_eq!(get_calendar(&server, "calendars/emea").await, cal);

    // Back to the default hours (empty calendar through the mask).
    let acme = accounts
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
        .unwrap();
    assert_eq!(acme.calendar, "");

    let e = accounts
        .delete_calendar(pb::DeleteCalendarRequest {
            request_id: String::new(),
            name: "calendars/emea".into(),
            etag: "\"999\"".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    accounts
        .delete_calendar(pb::DeleteCalendarRequest {
            request_id: String::new(),
            name: "calendars/emea".into(),
            etag: cal.etag.clone(),
        })
        .await
        .expect("DeleteCalendar");
    let e = accounts
        .get_calendar(pb::GetCalendarRequest {
            name: "calendars/emea".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = accounts
        .delete_calendar(pb::DeleteCalendarRequest {
            request_id: String::new(),
            name: "calendars/emea".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}
