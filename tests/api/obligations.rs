//! SlaService.GetObligations and RecordObligationCompletion.

use crate::helpers::*;

use pb::ObligationKind::{DeploymentReview, RoadmapWebinar, WeeklyStatusCall};
use pb::ObligationStatus::{Due, OnTrack, Overdue};

// ---- Arrangement ----

/// The instant most premium obligations are checked at: 2026-06-03 12:00Z.
const AT: &str = "2026-06-03T12:00:00Z";
const NOWCO: &str = "accounts/nowco/contracts/main";
const OLDCO: &str = "accounts/oldco/contracts/y2025";
const WEEK: i64 = 7 * 24 * HOUR;

async fn record_completion(
    server: &TestServer,
    request: pb::RecordObligationCompletionRequest,
) -> Result<pb::RecordObligationCompletionResponse, tonic::Status> {
    server
        .sla()
        .record_obligation_completion(request)
        .await
        .map(|r| r.into_inner())
}

/// Records acme/2026's weekly status call of Tuesday 2026-06-02 10:00Z.
async fn record_this_weeks_call(server: &TestServer) -> pb::RecordObligationCompletionResponse {
    let call = record(
        ACME_2026,
        WeeklyStatusCall,
        Some("2026-06-02T10:00:00Z"),
        "weekly call, 6 attendees",
    );
    record_completion(server, call).await.unwrap()
}

/// The weekly status call of acme/2026 in the week 2026-05-27 23:00Z..06-03 23:00Z,
/// before this week's call was recorded (or checked before it took place).
fn missed_weekly_call() -> pb::Obligation {
    obligation(
        WeeklyStatusCall,
        Overdue,
        ("2026-05-27T23:00:00Z", "2026-06-03T23:00:00Z"),
        1,
        0,
        Some("2026-05-27T23:00:00Z"),
        None,
    )
}

/// nowco: an open-ended premium contract from Thursday 2026-01-01, in UTC.
async fn nowco(server: &TestServer) {
    new_account_in(server, "nowco", "UTC").await;
    new_contract(
        server,
        "nowco",
        "main",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
}

/// oldco: a premium contract that has ended (Thursday 2025-01-02 .. 2026-01-01), in UTC.
async fn oldco(server: &TestServer) {
    new_account_in(server, "oldco", "UTC").await;
    new_contract(
        server,
        "oldco",
        "y2025",
        "plans/premium",
        "2025-01-02T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;
}

// ---- GetObligations on a premium contract ----

#[tokio::test]
async fn premium_obligations_are_counted_in_the_accounts_local_periods() {
    // acme/2026 starts Thursday 2026-01-01 00:00Z, 01:00 in Berlin (acme's zone), and its
    // periods are counted in Berlin's local time: from 01:00 local, which in summer (CEST)
    // is 23:00Z the day before. At 2026-06-03 12:00Z (153.5 days in):
    // - weekly call: week 21 (21 * 7 = 147 days) = local Thursday 2026-05-28 01:00 to
    //   06-04 01:00 (05-27 23:00Z..06-03 23:00Z); week 20 had no call, so OVERDUE since
    //   the end of that missed week.
    // - deployment review: contract year 0 = 2026-01-01..2027-01-01 (the contract's end),
    //   2 required, none yet, no previous year: DUE by 2027-01-01.
    // - roadmap webinar: quarter 1 = local 2026-04-01 01:00..07-01 01:00 (03-31 23:00Z..
    //   06-30 23:00Z); quarter 0 had none: OVERDUE since its start.
    let server = TestServer::start_demo().await;
    let r = obligations(&server, "acme", AT).await;
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots(AT));
    assert_eq!(
        r.obligations,
        vec![
            missed_weekly_call(),
            obligation(
                DeploymentReview,
                Due,
                ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                2,
                0,
                Some("2027-01-01T00:00:00Z"),
                None
            ),
            obligation(
                RoadmapWebinar,
                Overdue,
                ("2026-03-31T23:00:00Z", "2026-06-30T23:00:00Z"),
                1,
                0,
                Some("2026-03-31T23:00:00Z"),
                None
            ),
        ]
    );
    server.stop().await;
}

// ---- RecordObligationCompletion ----

#[tokio::test]
async fn recording_a_completion_answers_with_the_contract_and_the_obligation() {
    let server = TestServer::start_demo().await;
    let rec = record_this_weeks_call(&server).await;
    assert_eq!(rec.contract, acme_2026());
    let o = rec.obligation.expect("obligation");
    assert_eq!(o.kind, WeeklyStatusCall as i32);
    assert_eq!(o.required_per_period, 1);
    assert_eq!(o.last_completion_time, ots("2026-06-02T10:00:00Z"));
    server.stop().await;
}

#[tokio::test]
async fn a_recorded_call_puts_its_week_on_track_and_leaves_the_others() {
    // The next call is due by the end of the next week (2026-06-04 + 7 days =
    // 2026-06-11, 01:00 Berlin).
    let server = TestServer::start_demo().await;
    record_this_weeks_call(&server).await;
    let r = obligations(&server, "acme", AT).await;
    assert_eq!(
        r.obligations[0],
        obligation(
            WeeklyStatusCall,
            OnTrack,
            ("2026-05-27T23:00:00Z", "2026-06-03T23:00:00Z"),
            1,
            1,
            Some("2026-06-10T23:00:00Z"),
            Some("2026-06-02T10:00:00Z")
        )
    );
    assert_eq!(r.obligations[1].status, Due as i32);
    assert_eq!(r.obligations[2].status, Overdue as i32);
    server.stop().await;
}

#[tokio::test]
async fn a_call_is_not_counted_before_it_took_place() {
    let server = TestServer::start_demo().await;
    record_this_weeks_call(&server).await;
    let r = obligations(&server, "acme", "2026-06-02T09:59:59Z").await;
    assert_eq!(r.obligations[0], missed_weekly_call());
    server.stop().await;
}

#[tokio::test]
async fn the_week_after_a_fulfilled_one_is_due_by_its_end() {
    let server = TestServer::start_demo().await;
    record_this_weeks_call(&server).await;
    let r = obligations(&server, "acme", "2026-06-05T00:00:00Z").await;
    assert_eq!(
        r.obligations[0],
        obligation(
            WeeklyStatusCall,
            Due,
            ("2026-06-03T23:00:00Z", "2026-06-10T23:00:00Z"),
            1,
            0,
            Some("2026-06-10T23:00:00Z"),
            Some("2026-06-02T10:00:00Z")
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn a_retry_with_the_same_kind_and_time_is_not_recorded_twice() {
    let server = TestServer::start_demo().await;
    record_this_weeks_call(&server).await;
    let again = record(
        ACME_2026,
        WeeklyStatusCall,
        Some("2026-06-02T10:00:00Z"),
        "retry",
    );
    let retry = record_completion(&server, again).await.unwrap();
    assert_eq!(retry.contract, acme_2026());
    let r = obligations(&server, "acme", AT).await;
    assert_eq!(r.obligations[0].completed_in_period, 1);
    server.stop().await;
}

/// Records acme/2026's two deployment reviews of 2026.
async fn record_two_reviews(server: &TestServer) {
    for t in ["2026-02-10T10:00:00Z", "2026-05-20T10:00:00Z"] {
        let review = record(ACME_2026, DeploymentReview, Some(t), "");
        record_completion(server, review).await.unwrap();
    }
}

/// Records acme/2026's roadmap webinar of quarter 0 (2026-03-15).
async fn record_the_first_quarters_webinar(server: &TestServer) {
    let webinar = record(
        ACME_2026,
        RoadmapWebinar,
        Some("2026-03-15T15:00:00Z"),
        "Q1 roadmap webinar",
    );
    record_completion(server, webinar).await.unwrap();
}

#[tokio::test]
async fn two_deployment_reviews_put_the_contract_year_on_track_with_no_next_due_time() {
    // The contract ends before a next contract year starts, so there is no next due time.
    let server = TestServer::start_demo().await;
    record_two_reviews(&server).await;
    let r = obligations(&server, "acme", AT).await;
    assert_eq!(
        r.obligations[1],
        obligation(
            DeploymentReview,
            OnTrack,
            ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            2,
            2,
            None,
            Some("2026-05-20T10:00:00Z")
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn a_webinar_in_the_previous_quarter_makes_the_current_one_due() {
    // At 2026-06-03 quarter 1 has none yet but quarter 0 was fulfilled: DUE by
    // 2026-07-01 01:00 Berlin.
    let server = TestServer::start_demo().await;
    record_the_first_quarters_webinar(&server).await;
    let r = obligations(&server, "acme", AT).await;
    assert_eq!(
        r.obligations[2],
        obligation(
            RoadmapWebinar,
            Due,
            ("2026-03-31T23:00:00Z", "2026-06-30T23:00:00Z"),
            1,
            0,
            Some("2026-06-30T23:00:00Z"),
            Some("2026-03-15T15:00:00Z")
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn recording_does_not_change_the_contracts_version() {
    let server = TestServer::start_demo().await;
    record_this_weeks_call(&server).await;
    record_two_reviews(&server).await;
    record_the_first_quarters_webinar(&server).await;
    assert_eq!(get_contract(&server, ACME_2026).await.version, 3);
    server.stop().await;
}

#[tokio::test]
async fn a_completion_recorded_now_puts_the_current_week_on_track() {
    // A call recorded "now" (default completion_time) makes the current week ON_TRACK,
    // evaluated now.
    let server = TestServer::start_demo().await;
    nowco(&server).await;
    let before = now_secs();
    let rec = record_completion(&server, record(NOWCO, WeeklyStatusCall, None, "call"))
        .await
        .unwrap();
    let after = now_secs();
    assert_eq!(rec.contract, cref(NOWCO, 1, "premium"));
    let o = rec.obligation.unwrap();
    let start = ts("2026-01-01T00:00:00Z").seconds;
    let last = o.last_completion_time.unwrap().seconds;
    assert!(
        before <= last && last <= after,
        "completion_time defaults to now"
    );
    let ps = o.period_start_time.unwrap().seconds;
    assert_eq!(
        (ps - start) % WEEK,
        0,
        "weeks anchored at the contract start"
    );
    assert!(ps <= last && last < ps + WEEK);
    assert_eq!(o.status, pb::ObligationStatus::OnTrack as i32);
    assert_eq!(o.completed_in_period, 1);
    assert_eq!(
        o.period_end_time,
        Some(Timestamp {
            seconds: ps + WEEK,
            nanos: 0
        })
    );
    assert_eq!(
        o.next_due_time,
        Some(Timestamp {
            seconds: ps + 2 * WEEK,
            nanos: 0
        })
    );
    server.stop().await;
}

#[tokio::test]
async fn a_completion_on_an_ended_contract_is_evaluated_at_its_completion_time() {
    // 2025-03-05 10:00Z is 62 days in: week 8 (56 days) = 2025-02-27..2025-03-06,
    // fulfilled by this call: ON_TRACK, next due at the end of week 9 = 2025-01-02 + 70
    // days = 2025-03-13.
    let server = TestServer::start_demo().await;
    oldco(&server).await;
    let call = record(OLDCO, WeeklyStatusCall, Some("2025-03-05T10:00:00Z"), "");
    let rec = record_completion(&server, call).await.unwrap();
    assert_eq!(
        rec.obligation,
        Some(obligation(
            WeeklyStatusCall,
            pb::ObligationStatus::OnTrack,
            ("2025-02-27T00:00:00Z", "2025-03-06T00:00:00Z"),
            1,
            1,
            Some("2025-03-13T00:00:00Z"),
            Some("2025-03-05T10:00:00Z")
        ))
    );
    server.stop().await;
}

// ---- Contracts without obligations, and errors ----

#[tokio::test]
async fn standard_and_extended_contracts_have_no_obligations() {
    let server = TestServer::start_demo().await;
    let r = obligations(&server, "initech", AT).await;
    assert_eq!(r.contract, initech());
    assert!(r.obligations.is_empty());
    let r = obligations(&server, "globex", AT).await;
    assert_eq!(r.contract, globex());
    assert!(r.obligations.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn an_account_without_an_effective_contract_has_neither_contract_nor_obligations() {
    let server = TestServer::start_demo().await;
    let r = obligations(&server, "umbrella", AT).await;
    assert_eq!((r.contract, r.obligations), (None, vec![]));
    assert_eq!(r.check_time, ots(AT));
    server.stop().await;
}

fn get_obligations_now(account: &str) -> pb::GetObligationsRequest {
    pb::GetObligationsRequest {
        account: account.into(),
        check_time: None,
    }
}

#[tokio::test]
async fn check_time_defaults_to_now_and_is_echoed() {
    let server = TestServer::start_demo().await;
    let before = now_secs();
    let r = server
        .sla()
        .get_obligations(get_obligations_now("accounts/acme"))
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.check_time, before, now_secs());
    server.stop().await;
}

#[tokio::test]
async fn obligations_of_an_unknown_account_are_not_found() {
    let server = TestServer::start_demo().await;
    let e = server
        .sla()
        .get_obligations(get_obligations_now("accounts/nope"))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn recording_on_a_standard_contract_is_a_failed_precondition() {
    let server = TestServer::start_demo().await;
    let call = record(INITECH, WeeklyStatusCall, Some("2026-06-02T10:00:00Z"), "");
    let e = record_completion(&server, call).await.unwrap_err();
    assert_status(&e, Code::FailedPrecondition);
    assert!(details(&e).precondition_failure().is_some());
    server.stop().await;
}

#[tokio::test]
async fn bad_completions_are_refused_naming_the_field() {
    // completion_time in the future, before acme/2026 started, or at the end of a
    // contract that already ended (end exclusive: not in the future but outside the
    // period); an unspecified kind; a note over 2000 characters; a malformed contract.
    let server = TestServer::start_demo().await;
    nowco(&server).await;
    oldco(&server).await;
    let tomorrow = Timestamp {
        seconds: now_secs() + 24 * HOUR,
        nanos: 0,
    };
    let call = |contract: &str, at: &str| record(contract, WeeklyStatusCall, Some(at), "");
    let table = [
        (
            pb::RecordObligationCompletionRequest {
                completion_time: Some(tomorrow),
                ..record(NOWCO, WeeklyStatusCall, None, "")
            },
            "completion_time",
        ),
        (call(ACME_2026, "2025-12-31T23:59:59Z"), "completion_time"),
        (call(OLDCO, "2026-01-01T00:00:00Z"), "completion_time"),
        (
            record(
                ACME_2026,
                pb::ObligationKind::Unspecified,
                Some("2026-06-02T10:00:00Z"),
                "",
            ),
            "kind",
        ),
        (
            record(
                ACME_2026,
                WeeklyStatusCall,
                Some("2026-06-03T10:00:00Z"),
                &"n".repeat(2001),
            ),
            "note",
        ),
        (call("acme/2026", "2026-06-02T10:00:00Z"), "contract"),
    ];
    for (request, field) in table {
        let e = record_completion(&server, request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_note_of_2000_characters_is_accepted() {
    let server = TestServer::start_demo().await;
    let note = "n".repeat(2000);
    let call = record(
        ACME_2026,
        WeeklyStatusCall,
        Some("2026-06-02T10:00:00Z"),
        &note,
    );
    record_completion(&server, call).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn recording_on_an_unknown_contract_is_not_found() {
    let server = TestServer::start_demo().await;
    let call = record(
        "accounts/acme/contracts/nope",
        WeeklyStatusCall,
        Some("2026-06-02T10:00:00Z"),
        "",
    );
    let e = record_completion(&server, call).await.unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

// ---- Far time zones ----

#[tokio::test]
async fn obligation_periods_follow_the_accounts_local_dates_in_a_far_zone() {
    let server = TestServer::start().await;
    // 2026-01-31 00:00 on Kiritimati (UTC+14) is 2026-01-30 10:00Z.
    new_account_in(&server, "atoll", "Pacific/Kiritimati").await;
    new_contract(
        &server,
        "atoll",
        "c",
        "plans/premium",
        "2026-01-30T10:00:00Z",
        None,
    )
    .await;
    let webinar = |r: pb::GetObligationsResponse| {
        r.obligations
            .into_iter()
            .find(|o| o.kind == pb::ObligationKind::RoadmapWebinar as i32)
            .expect("premium has the roadmap webinar")
    };
    let at = |t: &str| pb::GetObligationsRequest {
        account: "accounts/atoll".into(),
        check_time: ots(t),
    };
    // The second quarter starts on local 2026-04-30 (the 31st clamped) = 04-29 10:00Z.
    let r = server
        .sla()
        .get_obligations(at("2026-04-29T12:00:00Z"))
        .await
        .unwrap();
    let o = webinar(r.into_inner());
    assert_eq!(o.period_start_time, ots("2026-04-29T10:00:00Z"));
    assert_eq!(o.period_end_time, ots("2026-07-30T10:00:00Z"));
    let r = server
        .sla()
        .get_obligations(at("2026-04-29T09:59:59Z"))
        .await
        .unwrap();
    assert_eq!(
        webinar(r.into_inner()).period_start_time,
        ots("2026-01-30T10:00:00Z")
    );
    server.stop().await;
}
