//! SlaService.ComputeDeadline and BatchComputeDeadlines.

use crate::helpers::*;
use pb::Clock::{BusinessHours, Continuous};
use pb::Priority::{P1, P2, P3, P4};

// ---------------------------------------------------------------------------------------
// SlaService.ComputeDeadline: acme, premium, around the clock
// ---------------------------------------------------------------------------------------

/// acme's cases below open on Friday 2026-06-05 at 22:00Z.
const OPEN: &str = "2026-06-05T22:00:00Z";

/// acme's P1 first response opened at [`OPEN`], with `pauses`.
fn acme_p1_paused(pauses: Vec<pb::Interval>) -> pb::ComputeDeadlineRequest {
    pb::ComputeDeadlineRequest {
        pauses,
        ..first_response("acme", P1, OPEN)
    }
}

#[tokio::test]
async fn premium_p1_first_response_is_due_30_minutes_after_opening() {
    let server = TestServer::start_demo().await;
    let d = deadline(&server, first_response("acme", P1, OPEN)).await;
    assert_due(
        &d,
        "2026-06-05T22:30:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn premium_p1_updates_are_due_every_12_hours_from_the_last_response() {
    // From the last response 22:20: 2026-06-06 10:20.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        next_update("acme", P1, OPEN, "2026-06-05T22:20:00Z"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-06T10:20:00Z",
        Continuous,
        12 * HOUR,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn premium_p2_first_response_runs_into_the_weekend() {
    // 22:00 + 2h = 00:00 the next day (a Saturday: 24x7 anyway).
    let server = TestServer::start_demo().await;
    let d = deadline(&server, first_response("acme", P2, OPEN)).await;
    assert_due(
        &d,
        "2026-06-06T00:00:00Z",
        Continuous,
        2 * HOUR,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn premium_p2_updates_are_due_every_24_hours() {
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        next_update("acme", P2, OPEN, "2026-06-06T00:00:00Z"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-07T00:00:00Z",
        Continuous,
        24 * HOUR,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn a_pause_moves_the_due_time_by_its_length() {
    // Pause 22:10-22:40: 10min counted before it, 20min after it: 22:40 + 20min = 23:00.
    let server = TestServer::start_demo().await;
    let r = acme_p1_paused(vec![pause(
        "2026-06-05T22:10:00Z",
        Some("2026-06-05T22:40:00Z"),
    )]);
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T23:00:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn overlapping_pauses_count_once() {
    // 22:10-22:30 and 22:20-22:40 are one pause 22:10-22:40.
    let server = TestServer::start_demo().await;
    let r = acme_p1_paused(vec![
        pause("2026-06-05T22:20:00Z", Some("2026-06-05T22:40:00Z")),
        pause("2026-06-05T22:10:00Z", Some("2026-06-05T22:30:00Z")),
    ]);
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T23:00:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn a_running_pause_before_the_target_is_used_up_leaves_no_due_time() {
    let server = TestServer::start_demo().await;
    let r = acme_p1_paused(vec![pause("2026-06-05T22:10:00Z", None)]);
    let d = deadline(&server, r).await;
    assert!(d.has_target);
    assert_eq!(d.due_time, None);
    assert_eq!(d.clock, Continuous as i32);
    assert_eq!(d.target, osecs(30 * MIN));
    server.stop().await;
}

#[tokio::test]
async fn a_pause_beginning_as_the_target_is_used_up_is_due_at_its_start() {
    let server = TestServer::start_demo().await;
    let r = acme_p1_paused(vec![pause("2026-06-05T22:30:00Z", None)]);
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T22:30:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn p3_and_p4_have_an_explicit_no_target_under_the_effective_contract() {
    // The built-in plans have no targets for P3 and P4.
    let server = TestServer::start_demo().await;
    let d = deadline(&server, first_response("acme", P3, OPEN)).await;
    assert_no_target(&d, acme_2026());
    let d = deadline(&server, next_update("acme", P4, OPEN, OPEN)).await;
    assert_no_target(&d, acme_2026());
    server.stop().await;
}

#[tokio::test]
async fn the_contract_is_the_one_effective_at_open_time() {
    // Opened 2026-12-31 23:50Z under acme/2026, due 2027-01-01 00:20Z although
    // acme/2027 is in force by then.
    let server = TestServer::start_demo().await;
    let d = deadline(&server, first_response("acme", P1, "2026-12-31T23:50:00Z")).await;
    assert_due(
        &d,
        "2027-01-01T00:20:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// globex, extended, New York (`americas`: Mon-Fri 08:00-18:00, Thanksgiving closed)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn extended_p1_is_around_the_clock_weekend_or_not() {
    // Saturday 2026-06-06 15:00Z + 2h.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        first_response("globex", P1, "2026-06-06T15:00:00Z"),
    )
    .await;
    assert_due(&d, "2026-06-06T17:00:00Z", Continuous, 2 * HOUR, globex());
    server.stop().await;
}

#[tokio::test]
async fn extended_p1_updates_run_straight_across_thanksgiving() {
    let server = TestServer::start_demo().await;
    let r = next_update(
        "globex",
        P1,
        "2026-11-25T15:00:00-05:00",
        "2026-11-25T15:00:00-05:00",
    );
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-11-26T15:00:00-05:00",
        Continuous,
        24 * HOUR,
        globex(),
    );
    server.stop().await;
}

#[tokio::test]
async fn extended_p2_first_response_skips_the_weekend() {
    // Friday 2026-06-05 16:00 EDT: 2h to 18:00, then Monday 08:00 + 6h = 14:00 EDT.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-06-05T16:00:00-04:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-08T14:00:00-04:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    server.stop().await;
}

#[tokio::test]
async fn extended_p2_first_response_skips_a_closed_date_and_shows_it() {
    // Wednesday 2026-11-25 15:00 EST: 3h to 18:00; Thursday 2026-11-26 is Thanksgiving
    // (closed); Friday 08:00 + 5h = 13:00 EST.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-11-25T15:00:00-05:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-11-27T13:00:00-05:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    assert!(
        d.explanation.contains("2026-11-26"),
        "the skipped closed date is shown back: {}",
        d.explanation
    );
    server.stop().await;
}

#[tokio::test]
async fn business_time_used_up_at_closing_is_due_at_the_close() {
    // Monday 10:00 + 8h = 18:00 EDT, not Tuesday 08:00.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-06-08T10:00:00-04:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-08T18:00:00-04:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    server.stop().await;
}

#[tokio::test]
async fn extended_p2_updates_are_due_every_48_business_hours() {
    // From Monday 2026-06-08 09:00 EDT: Mon 9h (09-18) + Tue 10h + Wed 10h + Thu 10h =
    // 39h; Fri 08:00 + 9h = 17:00 EDT.
    let server = TestServer::start_demo().await;
    let r = next_update(
        "globex",
        P2,
        "2026-06-08T08:00:00-04:00",
        "2026-06-08T09:00:00-04:00",
    );
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-12T17:00:00-04:00",
        BusinessHours,
        48 * HOUR,
        globex(),
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// initech, standard, Seoul (`apac`: Mon-Fri 09:00-12:00 and 13:00-18:00, UTC+9, no DST)
// ---------------------------------------------------------------------------------------

async fn initech_p1_from(server: &TestServer, open: &str) -> pb::ComputeDeadlineResponse {
    deadline(server, first_response("initech", P1, open)).await
}

#[tokio::test]
async fn standard_p1_first_response_skips_the_lunch_break() {
    // From Monday 2026-06-08 10:00: 10-12 (2h) + 13-18 (5h) = 7h; Tuesday 09:00 + 1h.
    let server = TestServer::start_demo().await;
    let d = initech_p1_from(&server, "2026-06-08T10:00:00+09:00").await;
    assert_due(
        &d,
        "2026-06-09T10:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    server.stop().await;
}

#[tokio::test]
async fn a_full_business_day_is_used_up_at_the_evening_close() {
    // Opened at 09:00: 09-12 (3h) + 13-18 (5h) = 8h.
    let server = TestServer::start_demo().await;
    let d = initech_p1_from(&server, "2026-06-08T09:00:00+09:00").await;
    assert_due(
        &d,
        "2026-06-08T18:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    server.stop().await;
}

#[tokio::test]
async fn a_case_opened_in_the_lunch_break_counts_from_13_00() {
    // 12:15: 13-18 (5h); Tuesday 09-12 (3h) = 8h exactly at the 12:00 lunch closing,
    // not at 13:00.
    let server = TestServer::start_demo().await;
    let d = initech_p1_from(&server, "2026-06-08T12:15:00+09:00").await;
    assert_due(
        &d,
        "2026-06-09T12:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    server.stop().await;
}

#[tokio::test]
async fn a_pause_over_the_lunch_break_counts_only_business_time() {
    // Pause 10:00-14:00 from a 09:00 opening: 09-10 (1h), paused, 14-18 (4h) = 5h;
    // Tuesday 09-12 (3h) = 8h at 12:00.
    let server = TestServer::start_demo().await;
    let mut r = first_response("initech", P1, "2026-06-08T09:00:00+09:00");
    r.pauses = vec![pause(
        "2026-06-08T10:00:00+09:00",
        Some("2026-06-08T14:00:00+09:00"),
    )];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-09T12:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    server.stop().await;
}

#[tokio::test]
async fn standard_p2_first_response_skips_christmas() {
    // Thursday 2026-12-24 09:00: Thu 8h; Fri closed; weekend; Mon 12-28 8h (16h); Tue
    // 12-29 8h (24h) at 18:00.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        first_response("initech", P2, "2026-12-24T09:00:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-12-29T18:00:00+09:00",
        BusinessHours,
        24 * HOUR,
        initech(),
    );
    assert!(d.explanation.contains("2026-12-25"), "{}", d.explanation);
    server.stop().await;
}

#[tokio::test]
async fn standard_p1_updates_are_due_every_24_business_hours() {
    // From the last response Wednesday 2026-06-10 15:00: Wed 15-18 (3h), Thu 8h (11h),
    // Fri 8h (19h), Mon 09-12 (22h), 13:00 + 2h = 15:00.
    let server = TestServer::start_demo().await;
    let r = next_update(
        "initech",
        P1,
        "2026-06-10T09:00:00+09:00",
        "2026-06-10T15:00:00+09:00",
    );
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-15T15:00:00+09:00",
        BusinessHours,
        24 * HOUR,
        initech(),
    );
    server.stop().await;
}

#[tokio::test]
async fn standard_p2_updates_are_due_every_72_business_hours() {
    // 9 business days of 8h from Monday 2026-06-08 09:00: Mon-Fri (40h), Mon 15 - Thu
    // 18 (32h) = 72h at Thursday 2026-06-18 18:00.
    let server = TestServer::start_demo().await;
    let r = next_update(
        "initech",
        P2,
        "2026-06-08T09:00:00+09:00",
        "2026-06-08T09:00:00+09:00",
    );
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-18T18:00:00+09:00",
        BusinessHours,
        72 * HOUR,
        initech(),
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// No contract, and errors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_case_opened_outside_any_contract_has_no_target_and_no_contract() {
    // Opened before initech/main starts (2026-03-01), or after umbrella/old ended.
    let server = TestServer::start_demo().await;
    for (account, open) in [
        ("initech", "2026-02-15T10:00:00+09:00"),
        ("umbrella", "2026-06-01T10:00:00Z"),
    ] {
        let d = deadline(&server, first_response(account, P1, open)).await;
        assert_no_target(&d, None);
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_deadline_requests_are_refused_naming_the_field() {
    let server = TestServer::start_demo().await;
    let at_ten = || first_response("acme", P1, "2026-06-01T10:00:00Z");
    let table = [
        // NEXT_UPDATE needs last_response_time ...
        (
            pb::ComputeDeadlineRequest {
                last_response_time: None,
                ..next_update("acme", P1, "2026-06-01T10:00:00Z", "2026-06-01T10:00:00Z")
            },
            "last_response_time",
        ),
        // ... not before open_time.
        (
            next_update("acme", P1, "2026-06-01T10:00:00Z", "2026-06-01T09:00:00Z"),
            "last_response_time",
        ),
        (
            first_response("acme", pb::Priority::Unspecified, "2026-06-01T10:00:00Z"),
            "priority",
        ),
        (
            pb::ComputeDeadlineRequest {
                milestone: pb::Milestone::Unspecified as i32,
                ..at_ten()
            },
            "milestone",
        ),
        (
            pb::ComputeDeadlineRequest {
                open_time: None,
                ..at_ten()
            },
            "open_time",
        ),
        // A pause that ends before it starts.
        (
            pb::ComputeDeadlineRequest {
                pauses: vec![pause("2026-06-01T11:00:00Z", Some("2026-06-01T10:30:00Z"))],
                ..at_ten()
            },
            "pauses[0].end_time",
        ),
    ];
    for (request, field) in table {
        let e = server.sla().compute_deadline(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_deadline_for_an_unknown_account_is_not_found() {
    let server = TestServer::start_demo().await;
    let r = first_response("nope", P1, "2026-06-01T10:00:00Z");
    let e = server.sla().compute_deadline(r).await.unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// SlaService.BatchComputeDeadlines
// ---------------------------------------------------------------------------------------

/// Four requests with a fixed evaluate_time (at_risk and the echoed instant depend on
/// it), so that each single call answers exactly like its batch item.
fn batch_items() -> Vec<pb::ComputeDeadlineRequest> {
    [
        // initech P1 from Monday 10:00 Seoul: Tuesday 10:00 (see the Seoul tests).
        first_response("initech", P1, "2026-06-08T10:00:00+09:00"),
        // acme P1: 22:00Z + 30min.
        first_response("acme", P1, "2026-06-05T22:00:00Z"),
        // globex P2 from Friday 16:00 New York: Monday 14:00.
        first_response("globex", P2, "2026-06-05T16:00:00-04:00"),
        // No target.
        first_response("acme", P3, "2026-06-05T22:00:00Z"),
    ]
    .into_iter()
    .map(|r| pb::ComputeDeadlineRequest {
        evaluate_time: ots("2026-06-05T22:10:00Z"),
        ..r
    })
    .collect()
}

async fn batch(
    server: &TestServer,
    requests: Vec<pb::ComputeDeadlineRequest>,
) -> Result<Vec<pb::ComputeDeadlineResponse>, tonic::Status> {
    server
        .sla()
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest { requests })
        .await
        .map(|r| r.into_inner().responses)
}

#[tokio::test]
async fn a_batch_answers_in_request_order() {
    let server = TestServer::start_demo().await;
    let resp = batch(&server, batch_items()).await.unwrap();
    assert_eq!(resp.len(), 4);
    assert_due(
        &resp[0],
        "2026-06-09T10:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    assert_due(
        &resp[1],
        "2026-06-05T22:30:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    assert_due(
        &resp[2],
        "2026-06-08T14:00:00-04:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    assert_no_target(&resp[3], acme_2026());
    server.stop().await;
}

#[tokio::test]
async fn each_batch_answer_equals_the_single_call() {
    let server = TestServer::start_demo().await;
    let items = batch_items();
    let resp = batch(&server, items.clone()).await.unwrap();
    for (item, answer) in items.iter().zip(&resp) {
        assert_eq!(&deadline(&server, item.clone()).await, answer);
    }
    server.stop().await;
}

#[tokio::test]
async fn an_empty_batch_answers_empty() {
    let server = TestServer::start_demo().await;
    let r = batch(&server, vec![]).await.unwrap();
    assert!(r.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_batch_of_1000_is_allowed_and_1001_is_refused() {
    let server = TestServer::start_demo().await;
    let item = batch_items().swap_remove(0);
    let r = batch(&server, vec![item.clone(); 1000]).await.unwrap();
    assert_eq!(r.len(), 1000);
    let e = batch(&server, vec![item; 1001]).await.unwrap_err();
    assert_invalid_field(&e, "requests");
    server.stop().await;
}

#[tokio::test]
async fn an_invalid_batch_item_names_its_index() {
    let server = TestServer::start_demo().await;
    let items = batch_items();
    let mut bad = next_update("acme", P1, "2026-06-05T22:00:00Z", "2026-06-05T22:00:00Z");
    bad.last_response_time = None;
    let unspecified = first_response("acme", pb::Priority::Unspecified, "2026-06-05T22:00:00Z");
    for (requests, field) in [
        (
            vec![items[0].clone(), bad, items[1].clone()],
            "requests[1].last_response_time",
        ),
        (
            vec![items[0].clone(), items[1].clone(), unspecified],
            "requests[2].priority",
        ),
    ] {
        let e = batch(&server, requests).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}
