//! The store conformance suite: the same behaviours checked through the real server on
//! any store, so the memory and Postgres stores cannot drift apart.

use entitlements::grpc::pb;
use tonic::Code;

use super::fixtures::{
    add_contact, check, contract_body, create_account, create_contract, new_account,
    update_contract,
};
use super::{TestServer, ts};

/// The premium contract most checks are about.
const ACME_2026: &str = "accounts/acme/contracts/2026";

/// Runs every conformance check against a server on an empty store (built-in plans only).
pub async fn run(server: &TestServer) {
    // Built-in plans are there and read-only.
    let plans = server
        .catalog()
        .list_plans(pb::ListPlansRequest::default())
        .await
        .unwrap()
        .into_inner()
        .plans;
    let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["plans/extended", "plans/premium", "plans/standard"]);

    // Accounts and contracts; a duplicate id is ALREADY_EXISTS.
    new_account(server, "acme").await;
    let err = create_account(
        server,
        "acme",
        pb::Account {
            time_zone: "UTC".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let c = create_contract(
        server,
        "acme",
        "2026",
        contract_body(
            "plans/premium",
            "2026-01-01T00:00:00Z",
            Some("2027-01-01T00:00:00Z"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(c.version, 1);
    let granted = check(
        server,
        "acme",
        "technical_account_manager",
        "2026-06-01T00:00:00Z",
        None,
    )
    .await;
    assert!(granted.allowed);
    assert_eq!(granted.contract.unwrap().version, 1);

    // An overlapping contract is refused, naming the one it conflicts with.
    let err = create_contract(
        server,
        "acme",
        "overlap",
        contract_body("plans/standard", "2026-12-01T00:00:00Z", None),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let d = super::details(&err);
    let v = &d
        .precondition_failure()
        .expect("PreconditionFailure")
        .violations[0];
    assert_eq!(v.subject, "accounts/acme/contracts/2026");
    // A contract right after it is fine.
    create_contract(
        server,
        "acme",
        "2027",
        contract_body("plans/standard", "2027-01-01T00:00:00Z", None),
    )
    .await
    .unwrap();

    // A stale etag is ABORTED and writes nothing.
    let err = update_contract(
        server,
        pb::Contract {
            name: ACME_2026.into(),
            plan: "plans/standard".into(),
            etag: "\"7\"".into(),
            ..Default::default()
        },
        &["plan"],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    let still = check(
        server,
        "acme",
        "technical_account_manager",
        "2026-06-01T00:00:00Z",
        None,
    )
    .await;
    assert!(still.allowed, "the stale update wrote nothing");

    // Designated contacts up to the limit (premium: 5), then QuotaFailure.
    for i in 0..5 {
        add_contact(server, ACME_2026, &format!("p{i}@acme.example"))
            .await
            .unwrap();
    }
    let err = add_contact(server, ACME_2026, "p5@acme.example")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(super::details(&err).quota_failure().is_some());
    let err = add_contact(server, ACME_2026, "P0@ACME.example")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);

    // Revisions record every change, in order.
    let revisions = server
        .contracts()
        .list_contract_revisions(pb::ListContractRevisionsRequest {
            name: ACME_2026.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    let versions: Vec<i64> = revisions.iter().map(|r| r.version).collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
    assert_eq!(revisions[0].action, "create");
    assert!(revisions[0].before.is_none());
    assert_eq!(
        revisions[5]
            .after
            .as_ref()
            .unwrap()
            .designated_contacts
            .len(),
        5
    );

    // Terminate, then the check says so; obligations record on premium only.
    server
        .contracts()
        .terminate_contract(pb::TerminateContractRequest {
            request_id: String::new(),
            name: ACME_2026.into(),
            terminate_time: Some(ts("2026-09-01T00:00:00Z")),
            etag: String::new(),
        })
        .await
        .unwrap();
    let after = check(
        server,
        "acme",
        "technical_account_manager",
        "2026-10-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(after.reason, pb::DecisionReason::ContractTerminated as i32);
    let recorded = server
        .sla()
        .record_obligation_completion(pb::RecordObligationCompletionRequest {
            request_id: String::new(),
            contract: ACME_2026.into(),
            kind: pb::ObligationKind::WeeklyStatusCall as i32,
            completion_time: Some(ts("2026-08-03T10:00:00Z")),
            note: "call".into(),
        })
        .await;
    assert!(recorded.is_ok(), "{recorded:?}");
    let err = server
        .sla()
        .record_obligation_completion(pb::RecordObligationCompletionRequest {
            request_id: String::new(),
            contract: "accounts/acme/contracts/2027".into(),
            kind: pb::ObligationKind::WeeklyStatusCall as i32,
            completion_time: Some(ts("2027-02-01T10:00:00Z")),
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    // Calendars: in use cannot be deleted.
    server
        .accounts()
        .create_calendar(pb::CreateCalendarRequest {
            request_id: String::new(),
            calendar_id: "berlin".into(),
            calendar: Some(pb::Calendar {
                time_zone: "Europe/Berlin".into(),
                weekly_hours: vec![pb::WeeklyHours {
                    day_of_week: pb::DayOfWeek::Monday as i32,
                    intervals: vec![pb::OpenInterval {
                        open_time: "09:00".into(),
                        close_time: "17:00".into(),
                    }],
                }],
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    server
        .accounts()
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                calendar: "calendars/berlin".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["calendar".into()],
            }),
        })
        .await
        .unwrap();
    let err = server
        .accounts()
        .delete_calendar(pb::DeleteCalendarRequest {
            request_id: String::new(),
            name: "calendars/berlin".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    // A deadline on the account's calendar (Mondays 09-17 Berlin): standard P1 (8h)
    // opened Monday 2027-01-04 09:00 CET is due at 17:00 CET the same day.
    let d = server
        .sla()
        .compute_deadline(pb::ComputeDeadlineRequest {
            account: "accounts/acme".into(),
            priority: pb::Priority::P1 as i32,
            open_time: Some(ts("2027-01-04T08:00:00Z")),
            milestone: pb::Milestone::FirstResponse as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.due_time, Some(ts("2027-01-04T16:00:00Z")));

    // A write retried with its request_id answers the first answer and writes once; the
    // first error is given again; an id reused for another request is refused.
    let id = "2d7a0c3e-91f4-4b6a-8f0e-5c1b9e7d3a22";
    let create = |account: &str, request_id: &str| pb::CreateAccountRequest {
        account_id: account.into(),
        account: Some(pb::Account {
            time_zone: "UTC".into(),
            ..Default::default()
        }),
        request_id: request_id.into(),
    };
    let first = server
        .accounts()
        .create_account(create("retried", id))
        .await
        .unwrap()
        .into_inner();
    let retry = server
        .accounts()
        .create_account(create("retried", id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first);
    let refused = "7e4b1f90-2c6d-4a8e-b3f1-9d0a5c2e6b44";
    let err = server
        .accounts()
        .create_account(create("acme", refused))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let again = server
        .accounts()
        .create_account(create("acme", refused))
        .await
        .unwrap_err();
    assert_eq!((again.code(), again.message()), (err.code(), err.message()));
    let reused = server
        .accounts()
        .create_account(create("other", id))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
}
