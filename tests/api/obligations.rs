//! SlaService.GetObligations and RecordObligationCompletion.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// SlaService.GetObligations and RecordObligationCompletion
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn premium_obligations_and_recording() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::ObligationKind::{DeploymentReview, RoadmapWebinar, WeeklyStatusCall};
    use pb::ObligationStatus::{Due, OnTrack, Overdue};
    let at = "2026-06-03T12:00:00Z";

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
    let r = obligations(&server, "acme", at).await;
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots(at));
    assert_eq!(
        r.obligations,
        vec![
            obligation(
                WeeklyStatusCall,
                Overdue,
                ("2026-05-27T23:00:00Z", "2026-06-03T23:00:00Z"),
                1,
                0,
                Some("2026-05-27T23:00:00Z"),
                None
            ),
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

    // Record this week's status call (Tuesday 2026-06-02 10:00Z). The contract and its
    // version do not change.
    let rec = client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "weekly call, 6 attendees",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rec.contract, acme_2026());
    let o = rec.obligation.expect("obligation");
    assert_eq!(o.kind, WeeklyStatusCall as i32);
    assert_eq!(o.required_per_period, 1);
    assert_eq!(o.last_completion_time, ots("2026-06-02T10:00:00Z"));

    // Now the week is ON_TRACK; the next call is due by the end of the next week
    // (2026-06-04 + 7 days = 2026-06-11, 01:00 Berlin). The other obligations are unchanged.
    let r = obligations(&server, "acme", at).await;
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
    // Before the call took place it is not counted.
    let r = obligations(&server, "acme", "2026-06-02T09:59:59Z").await;
    assert_eq!(
        r.obligations[0],
        obligation(
            WeeklyStatusCall,
            Overdue,
            ("2026-05-27T23:00:00Z", "2026-06-03T23:00:00Z"),
            1,
            0,
            Some("2026-05-27T23:00:00Z"),
            None
        )
    );
    // The following week: the previous one was fulfilled, so DUE by its end.
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

    // A retry with the same kind and completion_time is not recorded twice.
    let retry = client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "retry",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry.contract, acme_2026());
    let r = obligations(&server, "acme", at).await;
    assert_eq!(r.obligations[0].completed_in_period, 1);

    // Two deployment reviews in the contract year: ON_TRACK; the contract ends before a
    // next contract year starts, so there is no next due time.
    for t in ["2026-02-10T10:00:00Z", "2026-05-20T10:00:00Z"] {
        client
            .record_obligation_completion(record(ACME_2026, DeploymentReview, Some(t), ""))
            .await
            .unwrap();
    }
    let r = obligations(&server, "acme", at).await;
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
    // The webinar recorded in quarter 0 (2026-03-15) fulfils it; at 2026-06-03 quarter 1
    // has none yet but quarter 0 was fulfilled: DUE by 2026-07-01 01:00 Berlin.
    client
        .record_obligation_completion(record(
            ACME_2026,
            RoadmapWebinar,
            Some("2026-03-15T15:00:00Z"),
            "Q1 roadmap webinar",
        ))
        .await
        .unwrap();
    let r = obligations(&server, "acme", at).await;
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
    // Recording does not change the contract's version.
    let c = server
        .contracts()
        .get_contract(pb::GetContractRequest {
            name: ACME_2026.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .contract
        .unwrap();
    assert_eq!(c.version, 3);
    server.stop().await;
}

#[tokio::test]
async fn recording_now_and_after_the_contract_ended() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::ObligationKind::WeeklyStatusCall;
    const WEEK: i64 = 7 * 24 * HOUR;

    // An open-ended premium contract from Thursday 2026-01-01: a call recorded "now"
    // (default completion_time) makes the current week ON_TRACK, evaluated now.
    new_account_in(&server, "nowco", "UTC").await;
    new_contract(
        &server,
        "nowco",
        "main",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let before = now_secs();
    let rec = client
        .record_obligation_completion(record(
            "accounts/nowco/contracts/main",
            WeeklyStatusCall,
            None,
            "call",
        ))
        .await
        .unwrap()
        .into_inner();
    let after = now_secs();
    assert_eq!(
        rec.contract,
        cref("accounts/nowco/contracts/main", 1, "premium")
    );
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

    // A premium contract that has ended (Thursday 2025-01-02 .. 2026-01-01): the answer is
    // evaluated at completion_time. 2025-03-05 10:00Z is 62 days in: week 8 (56 days) =
    // 2025-02-27..2025-03-06, fulfilled by this call: ON_TRACK, next due at the end of
    // week 9 = 2025-01-02 + 70 days = 2025-03-13.
    new_account_in(&server, "oldco", "UTC").await;
    new_contract(
        &server,
        "oldco",
        "y2025",
        "plans/premium",
        "2025-01-02T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;
    let rec = client
        .record_obligation_completion(record(
            "accounts/oldco/contracts/y2025",
            WeeklyStatusCall,
            Some("2025-03-05T10:00:00Z"),
            "",
        ))
        .await
        .unwrap()
        .into_inner();
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

#[tokio::test]
async fn obligation_errors_and_non_premium() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::ObligationKind::WeeklyStatusCall;

    // Standard and extended contracts have no obligations; an account without an
    // effective contract has neither a contract nor obligations.
    let r = obligations(&server, "initech", "2026-06-03T12:00:00Z").await;
    assert_eq!(r.contract, initech());
    assert!(r.obligations.is_empty());
    let r = obligations(&server, "globex", "2026-06-03T12:00:00Z").await;
    assert_eq!(r.contract, globex());
    assert!(r.obligations.is_empty());
    let r = obligations(&server, "umbrella", "2026-06-03T12:00:00Z").await;
    assert_eq!((r.contract, r.obligations), (None, vec![]));
    assert_eq!(r.check_time, ots("2026-06-03T12:00:00Z"));
    // Default check_time: now, echoed.
    let before = now_secs();
    let r = client
        .get_obligations(pb::GetObligationsRequest {
            account: "accounts/acme".into(),
            check_time: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.check_time, before, now_secs());
    let e = client
        .get_obligations(pb::GetObligationsRequest {
            account: "accounts/nope".into(),
            check_time: None,
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);

    // Recording on a standard contract: FAILED_PRECONDITION.
    let e = client
        .record_obligation_completion(record(
            INITECH,
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::FailedPrecondition);
    assert!(details(&e).precondition_failure().is_some());

    // completion_time in the future, or outside the contract's period: INVALID_ARGUMENT
    // naming completion_time.
    new_account_in(&server, "nowco", "UTC").await;
    new_contract(
        &server,
        "nowco",
        "main",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let tomorrow = Timestamp {
        seconds: now_secs() + 24 * HOUR,
        nanos: 0,
    };
    let e = client
        .record_obligation_completion(pb::RecordObligationCompletionRequest {
            completion_time: Some(tomorrow),
            ..record("accounts/nowco/contracts/main", WeeklyStatusCall, None, "")
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "completion_time");
    // Before acme/2026 started.
    let e = client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2025-12-31T23:59:59Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "completion_time");
    // At the end of a contract that already ended (end exclusive), so the instant is not
    // in the future but outside the period.
    new_account_in(&server, "oldco", "UTC").await;
    new_contract(
        &server,
        "oldco",
        "y2025",
        "plans/premium",
        "2025-01-02T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;
    let e = client
        .record_obligation_completion(record(
            "accounts/oldco/contracts/y2025",
            WeeklyStatusCall,
            Some("2026-01-01T00:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "completion_time");

    // Unspecified kind; a note over 2000 characters (2000 is fine).
    let e = client
        .record_obligation_completion(record(
            ACME_2026,
            pb::ObligationKind::Unspecified,
            Some("2026-06-02T10:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "kind");
    client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            &"n".repeat(2000),
        ))
        .await
        .unwrap();
    let e = client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2026-06-03T10:00:00Z"),
            &"n".repeat(2001),
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "note");

    // Unknown or malformed contract name.
    let e = client
        .record_obligation_completion(record(
            "accounts/acme/contracts/nope",
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = client
        .record_obligation_completion(record(
            "acme/2026",
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contract");
    server.stop().await;
}

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
