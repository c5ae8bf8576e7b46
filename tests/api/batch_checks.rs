//! EntitlementService.BatchCheckEntitlements.

use crate::helpers::*;
use pb::DecisionReason as R;

// ---- Arrangement ----

/// Five checks with a check_time, each with a different answer, then two without.
fn batch_items() -> Vec<pb::CheckEntitlementRequest> {
    vec![
        check_req(
            "umbrella",
            "online_support",
            Some("2026-06-01T10:00:00Z"),
            None,
        ),
        check_req(
            "acme",
            "technical_account_manager",
            Some("2026-06-01T10:00:00Z"),
            None,
        ),
        check_req(
            "initech",
            "technical_account_manager",
            Some("2026-06-01T10:00:00Z"),
            None,
        ),
        check_req(
            "acme",
            "phone_support",
            Some("2027-02-01T10:00:00Z"),
            Some("jonas.weber@acme.example"),
        ),
        check_req(
            "globex",
            "online_support",
            Some("2026-05-01T10:00:00Z"),
            None,
        ),
        check_req("acme", "online_support", None, None),
        check_req("globex", "online_support", None, None),
    ]
}

async fn batch_check(
    server: &TestServer,
    requests: Vec<pb::CheckEntitlementRequest>,
) -> Result<Vec<pb::CheckEntitlementResponse>, tonic::Status> {
    server
        .entitlements()
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest { requests })
        .await
        .map(|r| r.into_inner().responses)
}

/// A check that is granted.
fn granted_item() -> pb::CheckEntitlementRequest {
    check_req("acme", "online_support", Some("2026-06-01T10:00:00Z"), None)
}

// ---- Answers ----

#[tokio::test]
async fn a_batch_answers_every_item_in_request_order() {
    let server = TestServer::start_demo().await;
    let items = batch_items();
    let resp = batch_check(&server, items.clone()).await.unwrap();
    assert_eq!(resp.len(), items.len());
    let summary: Vec<_> = resp[..5]
        .iter()
        .map(|r| (r.allowed, r.reason, r.contract.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (false, reason(R::ContractExpired), umbrella()),
            (true, reason(R::Granted), acme_2026()),
            (false, reason(R::BenefitNotInPlan), initech()),
            (false, reason(R::ContactNotDesignated), acme_2027()),
            (false, reason(R::ContractNotStarted), globex()),
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn each_batch_answer_is_exactly_the_single_checks_answer() {
    let server = TestServer::start_demo().await;
    let items = batch_items();
    let resp = batch_check(&server, items.clone()).await.unwrap();
    for (item, answer) in items[..5].iter().zip(&resp) {
        let single = send_check(&server, item.clone()).await;
        assert_eq!(&single, answer);
    }
    server.stop().await;
}

#[tokio::test]
async fn items_without_check_time_share_one_now() {
    // Close to the wall clock.
    let server = TestServer::start_demo().await;
    let before = now_secs();
    let resp = batch_check(&server, batch_items()).await.unwrap();
    let after = now_secs();
    assert_eq!(resp[5].check_time, resp[6].check_time);
    assert_close_to_now(&resp[5].check_time, before, after);
    server.stop().await;
}

#[tokio::test]
async fn an_empty_batch_answers_empty() {
    let server = TestServer::start_demo().await;
    let r = batch_check(&server, vec![]).await.unwrap();
    assert!(r.is_empty());
    server.stop().await;
}

// ---- The limit and item errors ----

#[tokio::test]
async fn a_batch_of_1000_items_is_answered_in_full() {
    let server = TestServer::start_demo().await;
    let r = batch_check(&server, vec![granted_item(); 1000])
        .await
        .unwrap();
    assert_eq!(r.len(), 1000);
    assert!(r.iter().all(|r| r.allowed));
    server.stop().await;
}

#[tokio::test]
async fn a_batch_of_1001_items_is_refused_naming_requests() {
    let server = TestServer::start_demo().await;
    let e = batch_check(&server, vec![granted_item(); 1001])
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests");
    server.stop().await;
}

#[tokio::test]
async fn one_invalid_item_fails_the_call_naming_its_field() {
    let server = TestServer::start_demo().await;
    let item = granted_item;
    for (requests, field) in [
        (
            vec![item(), item(), check_req("acme", "tam", None, None), item()],
            "requests[2].benefit",
        ),
        (
            vec![item(), check_req("", "online_support", None, None)],
            "requests[1].account",
        ),
    ] {
        let e = batch_check(&server, requests).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_account_in_an_item_fails_the_call() {
    let server = TestServer::start_demo().await;
    let requests = vec![
        granted_item(),
        check_req("nope", "online_support", None, None),
    ];
    let e = batch_check(&server, requests).await.unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}
