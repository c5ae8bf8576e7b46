//! The tracked-case part of the store conformance suite: every CaseService method and
//! its error paths through the real server, the same on every store. Resolved cases are
//! where the stores differ inside (the Postgres store keeps them only in the database),
//! so every step is repeated on a resolved case too.

use entitlements::grpc::pb;
use tonic::Code;

use super::fixtures::{assert_status, mask, new_account_in, new_contract, ots};
use super::{TestServer, assert_invalid_field, ts};

/// The account every case here belongs to: UTC, premium from 2020 on (P1: first
/// response in 30 minutes, an update every 12 hours, 24x7; P2: 2 hours and 24 hours).
pub const ACCOUNT: &str = "casey";

fn timeline(open: &str, p: pb::Priority) -> pb::CaseTimeline {
    pb::CaseTimeline {
        open_time: ots(open),
        priority: p as i32,
        ..Default::default()
    }
}

fn name(id: &str) -> String {
    format!("accounts/{ACCOUNT}/cases/{id}")
}

pub async fn create(
    server: &TestServer,
    id: &str,
    t: pb::CaseTimeline,
) -> Result<pb::Case, tonic::Status> {
    server
        .cases()
        .create_case(pb::CreateCaseRequest {
            parent: format!("accounts/{ACCOUNT}"),
            case_id: id.into(),
            case: Some(pb::Case {
                timeline: Some(t),
                external_reference: format!("TICKET-{id}"),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner().case.expect("case"))
}

async fn get(server: &TestServer, id: &str, at: Option<&str>) -> pb::GetCaseResponse {
    server
        .cases()
        .get_case(pb::GetCaseRequest {
            name: name(id),
            evaluate_time: at.map(ts),
        })
        .await
        .unwrap_or_else(|s| panic!("get {id}: {s:?}"))
        .into_inner()
}

async fn list(server: &TestServer, parent: &str, filter: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .cases()
            .list_cases(pb::ListCasesRequest {
                parent: parent.into(),
                page_size: 1,
                page_token: token,
                filter: filter.into(),
                order_by: String::new(),
            })
            .await
            .unwrap_or_else(|s| panic!("list {filter:?}: {s:?}"))
            .into_inner();
        names.extend(page.cases.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            return names;
        }
        token = page.next_page_token;
    }
}

async fn list_error(server: &TestServer, r: pb::ListCasesRequest) -> tonic::Status {
    server.cases().list_cases(r).await.unwrap_err()
}

async fn record_update(server: &TestServer, id: &str, at: &str) -> Result<pb::Case, tonic::Status> {
    server
        .cases()
        .record_update(pb::RecordUpdateRequest {
            name: name(id),
            update_time: ots(at),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner().case.expect("case"))
}

/// Runs every tracked-case check against a server whose store has no account
/// [`ACCOUNT`] yet.
pub async fn run(server: &TestServer) {
    new_account_in(server, ACCOUNT, "UTC").await;
    new_contract(
        server,
        ACCOUNT,
        "premium",
        "plans/premium",
        "2020-01-01T00:00:00Z",
        None,
    )
    .await;
    let now = chrono::Utc::now();
    let recent = (now - chrono::Duration::minutes(5)).to_rfc3339();

    // Create; a duplicate id, an unknown account and a broken timeline are refused.
    let k1 = create(
        server,
        "k1",
        timeline("2026-03-02T10:00:00Z", pb::Priority::P1),
    )
    .await
    .unwrap();
    assert_eq!(k1.name, name("k1"));
    assert_eq!(k1.state, pb::CaseState::Open as i32);
    assert_eq!(
        k1.status,
        pb::CaseStatus::Breached as i32,
        "no response by now"
    );
    assert_eq!(k1.next_due_time, ots("2026-03-02T10:30:00Z"));
    assert_eq!(k1.external_reference, "TICKET-k1");
    let err = create(
        server,
        "k1",
        timeline("2026-03-02T10:00:00Z", pb::Priority::P1),
    )
    .await
    .unwrap_err();
    assert_status(&err, Code::AlreadyExists);
    let err = server
        .cases()
        .create_case(pb::CreateCaseRequest {
            parent: "accounts/nobody".into(),
            case_id: "x".into(),
            case: Some(pb::Case {
                timeline: Some(timeline("2026-03-02T10:00:00Z", pb::Priority::P1)),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_status(&err, Code::NotFound);
    let mut broken = timeline("2026-03-02T10:00:00Z", pb::Priority::P1);
    broken.update_times = vec![ts("2026-03-02T11:00:00Z")];
    let err = create(server, "broken", broken).await.unwrap_err();
    assert_invalid_field(&err, "case.timeline.update_times[0]");
    let mut early = timeline("2026-03-02T10:00:00Z", pb::Priority::P1);
    early.pauses = vec![pb::Interval {
        start_time: ots("2026-03-02T09:00:00Z"),
        end_time: None,
    }];
    let err = create(server, "early", early).await.unwrap_err();
    assert_invalid_field(&err, "case.timeline.pauses[0].start_time");
    let err = create(
        server,
        "nopri",
        pb::CaseTimeline {
            open_time: ots("2026-03-02T10:00:00Z"),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&err, "case.timeline.priority");

    // GetCase answers exactly what EvaluateCase answers for the same timeline.
    let at_risk = get(server, "k1", Some("2026-03-02T10:20:00Z")).await;
    assert_eq!(
        at_risk.case.unwrap().status,
        pb::CaseStatus::AtRisk as i32,
        "two thirds of the target used"
    );
    let got = get(server, "k1", Some("2026-03-02T10:05:00Z")).await;
    let direct = server
        .sla()
        .evaluate_case(pb::EvaluateCaseRequest {
            account: format!("accounts/{ACCOUNT}"),
            case: got.case.as_ref().unwrap().timeline.clone(),
            evaluate_time: ots("2026-03-02T10:05:00Z"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.evaluation.as_ref(), Some(&direct));
    let contract = direct.contract.as_ref().expect("contract named");
    assert_eq!(
        contract.contract,
        format!("accounts/{ACCOUNT}/contracts/premium")
    );
    let case = got.case.unwrap();
    assert_eq!(case.status, pb::CaseStatus::Pending as i32);
    assert_eq!(case.status_time, ots("2026-03-02T10:05:00Z"));
    let err = server
        .cases()
        .get_case(pb::GetCaseRequest {
            name: name("k1"),
            evaluate_time: ots("2026-03-02T09:00:00Z"),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&err, "evaluate_time");
    let err = server
        .cases()
        .get_case(pb::GetCaseRequest {
            name: name("missing"),
            evaluate_time: None,
        })
        .await
        .unwrap_err();
    assert_status(&err, Code::NotFound);
    let err = server
        .cases()
        .get_case(pb::GetCaseRequest {
            name: format!("accounts/{ACCOUNT}/contracts/k1"),
            evaluate_time: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&err, "name");

    // The small moves, each idempotent by its instant.
    let responded = server
        .cases()
        .record_first_response(pb::RecordFirstResponseRequest {
            name: name("k1"),
            first_response_time: ots("2026-03-02T10:25:00Z"),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    let again = server
        .cases()
        .record_first_response(pb::RecordFirstResponseRequest {
            name: name("k1"),
            first_response_time: ots("2026-03-02T10:25:00Z"),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(again.etag, responded.etag, "a retry writes nothing");
    let err = server
        .cases()
        .record_first_response(pb::RecordFirstResponseRequest {
            name: name("k1"),
            first_response_time: ots("2026-03-02T10:26:00Z"),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_status(&err, Code::FailedPrecondition);
    record_update(server, "k1", "2026-03-02T11:00:00Z")
        .await
        .unwrap();
    let updated = record_update(server, "k1", "2026-03-02T11:00:00Z")
        .await
        .unwrap();
    assert_eq!(
        updated.timeline.as_ref().unwrap().update_times,
        [ts("2026-03-02T11:00:00Z")],
        "a retried RecordUpdate adds one update"
    );
    // A retry carrying a request id gets the first answer, even after other writes.
    let once = |at: &str| pb::RecordUpdateRequest {
        name: name("k1"),
        update_time: ots(at),
        request_id: "0b9c3c3e-8d3f-4c1e-9f0e-5a6b7c8d9e01".into(),
    };
    let first = server
        .cases()
        .record_update(once("2026-03-02T11:30:00Z"))
        .await
        .unwrap()
        .into_inner();
    let replay = server
        .cases()
        .record_update(once("2026-03-02T11:30:00Z"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first.case.as_ref().unwrap().etag,
        replay.case.as_ref().unwrap().etag
    );
    assert_eq!(
        get(server, "k1", None)
            .await
            .case
            .unwrap()
            .timeline
            .unwrap()
            .update_times
            .len(),
        2
    );
    let err = record_update(server, "k1", "2026-03-02T10:00:00Z")
        .await
        .unwrap_err();
    assert_invalid_field(&err, "update_time");
    create(
        server,
        "k2",
        timeline("2026-03-02T10:00:00Z", pb::Priority::P1),
    )
    .await
    .unwrap();
    let err = record_update(server, "k2", "2026-03-02T11:00:00Z")
        .await
        .unwrap_err();
    assert_status(&err, Code::FailedPrecondition);

    let pause = |at: &str| pb::PauseCaseRequest {
        name: name("k1"),
        pause_time: ots(at),
        request_id: String::new(),
    };
    let resume = |at: &str| pb::ResumeCaseRequest {
        name: name("k1"),
        resume_time: ots(at),
        request_id: String::new(),
    };
    server
        .cases()
        .pause_case(pause("2026-03-02T12:00:00Z"))
        .await
        .unwrap();
    server
        .cases()
        .pause_case(pause("2026-03-02T12:00:00Z"))
        .await
        .unwrap();
    let err = server
        .cases()
        .pause_case(pause("2026-03-02T12:10:00Z"))
        .await
        .unwrap_err();
    assert_status(&err, Code::FailedPrecondition);
    let paused = get(server, "k1", Some("2026-03-02T12:30:00Z")).await;
    assert_eq!(
        paused.case.unwrap().next_due_time,
        None,
        "paused: nothing due"
    );
    server
        .cases()
        .resume_case(resume("2026-03-02T13:00:00Z"))
        .await
        .unwrap();
    server
        .cases()
        .resume_case(resume("2026-03-02T13:00:00Z"))
        .await
        .unwrap();
    let err = server
        .cases()
        .resume_case(resume("2026-03-02T13:30:00Z"))
        .await
        .unwrap_err();
    assert_status(&err, Code::FailedPrecondition);
    let change = pb::ChangeCasePriorityRequest {
        name: name("k1"),
        priority: pb::Priority::P2 as i32,
        change_time: ots("2026-03-02T14:00:00Z"),
        request_id: String::new(),
    };
    server
        .cases()
        .change_case_priority(change.clone())
        .await
        .unwrap();
    let changed = server
        .cases()
        .change_case_priority(change)
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    let t = changed.timeline.as_ref().unwrap();
    assert_eq!(t.priority_changes.len(), 1);
    assert_eq!(t.pauses.len(), 1);
    assert_eq!(t.pauses[0].end_time, ots("2026-03-02T13:00:00Z"));

    // UpdateCase needs the current etag.
    let stale = pb::UpdateCaseRequest {
        case: Some(pb::Case {
            name: name("k1"),
            external_reference: "TICKET-1-renamed".into(),
            etag: k1.etag.clone(),
            ..Default::default()
        }),
        update_mask: mask(&["external_reference"]),
        request_id: String::new(),
    };
    let err = server.cases().update_case(stale.clone()).await.unwrap_err();
    assert_status(&err, Code::Aborted);
    let mut fresh = stale.clone();
    fresh.case.as_mut().unwrap().etag = changed.etag.clone();
    let renamed = server
        .cases()
        .update_case(fresh)
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(renamed.external_reference, "TICKET-1-renamed");
    assert_eq!(
        renamed.timeline, changed.timeline,
        "only the masked field changed"
    );
    let mut no_etag = stale.clone();
    no_etag.case.as_mut().unwrap().etag.clear();
    let err = server.cases().update_case(no_etag).await.unwrap_err();
    assert_invalid_field(&err, "case.etag");
    let mut bad_edit = stale.clone();
    let c = bad_edit.case.as_mut().unwrap();
    c.etag = renamed.etag.clone();
    c.timeline = Some(pb::CaseTimeline {
        first_response_time: None,
        ..Default::default()
    });
    bad_edit.update_mask = mask(&["timeline.first_response_time"]);
    let err = server.cases().update_case(bad_edit).await.unwrap_err();
    assert_invalid_field(&err, "case.timeline.update_times[0]");
    let mut output_only = stale;
    output_only.update_mask = mask(&["bogus"]);
    let err = server.cases().update_case(output_only).await.unwrap_err();
    assert_invalid_field(&err, "update_mask");

    // Listing, across accounts and per account, by status, state and priority.
    let k3 = create(server, "k3", timeline(&recent, pb::Priority::P2))
        .await
        .unwrap();
    assert_eq!(k3.status, pb::CaseStatus::Pending as i32);
    let every = "accounts/-";
    let mine = format!("accounts/{ACCOUNT}");
    assert_eq!(
        list(server, every, "status = BREACHED").await,
        [name("k2"), name("k1")]
    );
    assert_eq!(list(server, every, "status = PENDING").await, [name("k3")]);
    assert_eq!(list(server, &mine, "status = PENDING").await, [name("k3")]);
    assert_eq!(
        list(server, every, "state = OPEN AND priority = P2").await,
        [name("k1"), name("k3")]
    );
    assert_eq!(
        list(server, &mine, "").await,
        [name("k2"), name("k1"), name("k3")],
        "open cases by next due time"
    );
    for (filter, why) in [
        ("status = NOPE", "unknown status"),
        ("owner = me", "unknown field"),
        ("status", "no value"),
        ("state = OPEN AND state = OPEN", "twice"),
    ] {
        let err = list_error(
            server,
            pb::ListCasesRequest {
                parent: every.into(),
                filter: filter.into(),
                ..Default::default()
            },
        )
        .await;
        assert_invalid_field(&err, "filter");
        assert!(!why.is_empty());
    }
    let err = list_error(
        server,
        pb::ListCasesRequest {
            parent: every.into(),
            order_by: "name".into(),
            ..Default::default()
        },
    )
    .await;
    assert_invalid_field(&err, "order_by");
    let err = list_error(
        server,
        pb::ListCasesRequest {
            parent: "accounts/nobody".into(),
            ..Default::default()
        },
    )
    .await;
    assert_status(&err, Code::NotFound);
    let first = server
        .cases()
        .list_cases(pb::ListCasesRequest {
            parent: every.into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let err = list_error(
        server,
        pb::ListCasesRequest {
            parent: every.into(),
            page_token: first.next_page_token,
            filter: "state = OPEN".into(),
            ..Default::default()
        },
    )
    .await;
    assert_invalid_field(&err, "page_token");

    // Resolving; a resolved case is read, listed, edited and deleted like an open one.
    let resolve = |at: &str| pb::ResolveCaseRequest {
        name: name("k1"),
        resolve_time: ots(at),
        request_id: String::new(),
    };
    let resolved = server
        .cases()
        .resolve_case(resolve("2026-03-03T00:00:00Z"))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(resolved.state, pb::CaseState::Resolved as i32);
    assert_eq!(resolved.next_due_time, None);
    let again = server
        .cases()
        .resolve_case(resolve("2026-03-03T00:00:00Z"))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(again.etag, resolved.etag);
    let err = server
        .cases()
        .resolve_case(resolve("2026-03-04T00:00:00Z"))
        .await
        .unwrap_err();
    assert_status(&err, Code::FailedPrecondition);
    let got = get(server, "k1", None).await;
    let case = got.case.unwrap();
    assert_eq!(case.state, pb::CaseState::Resolved as i32);
    assert_eq!(case.etag, resolved.etag);
    assert_eq!(list(server, every, "state = RESOLVED").await, [name("k1")]);
    assert_eq!(
        list(server, &mine, "").await,
        [name("k2"), name("k3"), name("k1")],
        "resolved cases after the open ones"
    );
    assert_eq!(
        list(server, every, "status = BREACHED").await,
        [name("k2")],
        "k1 was resolved before its next update was due"
    );
    assert_eq!(
        list(server, every, "status = COMPLIANT").await,
        [name("k1")]
    );
    let err = record_update(server, "k1", "2026-03-02T23:00:00Z").await;
    assert!(err.is_ok(), "a late fact on a resolved case: {err:?}");
    // Reopen by clearing the resolution, then resolve again.
    let reopened = server
        .cases()
        .update_case(pb::UpdateCaseRequest {
            case: Some(pb::Case {
                name: name("k1"),
                etag: err.unwrap().etag,
                timeline: Some(pb::CaseTimeline::default()),
                ..Default::default()
            }),
            update_mask: mask(&["timeline.resolve_time"]),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(reopened.state, pb::CaseState::Open as i32);
    assert_eq!(
        list(server, every, "state = RESOLVED").await,
        Vec::<String>::new()
    );
    server
        .cases()
        .resolve_case(resolve("2026-03-05T00:00:00Z"))
        .await
        .unwrap();

    // Deleting: a stale etag is refused; a resolved case deletes too.
    let delete = |id: &str, etag: &str| pb::DeleteCaseRequest {
        name: name(id),
        etag: etag.into(),
        request_id: String::new(),
    };
    let err = server
        .cases()
        .delete_case(delete("k3", "\"99\""))
        .await
        .unwrap_err();
    assert_status(&err, Code::Aborted);
    server
        .cases()
        .delete_case(delete("k3", &k3.etag))
        .await
        .unwrap();
    let err = server
        .cases()
        .get_case(pb::GetCaseRequest {
            name: name("k3"),
            evaluate_time: None,
        })
        .await
        .unwrap_err();
    assert_status(&err, Code::NotFound);
    create(
        server,
        "k4",
        timeline("2026-03-02T10:00:00Z", pb::Priority::P2),
    )
    .await
    .unwrap();
    server
        .cases()
        .resolve_case(pb::ResolveCaseRequest {
            name: name("k4"),
            resolve_time: ots("2026-03-02T10:30:00Z"),
            request_id: String::new(),
        })
        .await
        .unwrap();
    server.cases().delete_case(delete("k4", "")).await.unwrap();
    let err = create(
        server,
        "k1",
        timeline("2026-03-02T10:00:00Z", pb::Priority::P1),
    )
    .await
    .unwrap_err();
    assert_status(&err, Code::AlreadyExists);
    assert_eq!(list(server, every, "").await, [name("k2"), name("k1")]);
}
