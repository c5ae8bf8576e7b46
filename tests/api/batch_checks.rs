//! EntitlementService.BatchCheckEntitlements.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// EntitlementService.BatchCheckEntitlements
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn batch_check_preserves_order_and_shares_now() {
    let server = TestServer::start_demo().await;
    let mut client = server.entitlements();
    let items = vec![
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
    ];
    let before = now_secs();
    let resp = client
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest {
            requests: items.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .responses;
    let after = now_secs();
    assert_eq!(resp.len(), items.len());
    let summary: Vec<_> = resp[..5]
        .iter()
        .map(|r| (r.allowed, r.reason, r.contract.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                false,
                reason(pb::DecisionReason::ContractExpired),
                umbrella()
            ),
            (true, reason(pb::DecisionReason::Granted), acme_2026()),
            (
                false,
                reason(pb::DecisionReason::BenefitNotInPlan),
                initech()
            ),
            (
                false,
                reason(pb::DecisionReason::ContactNotDesignated),
                acme_2027()
            ),
            (
                false,
                reason(pb::DecisionReason::ContractNotStarted),
                globex()
            ),
        ]
    );
    // Each answer is exactly the single check's answer.
    for (item, answer) in items[..5].iter().zip(&resp) {
        let single = client
            .check_entitlement(item.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(&single, answer);
    }
    // Items without check_time share one "now", close to the wall clock.
    assert_eq!(resp[5].check_time, resp[6].check_time);
    assert_close_to_now(&resp[5].check_time, before, after);

    // Empty in, empty out.
    let r = client
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(r.responses.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn batch_check_limit_and_item_errors() {
    let server = TestServer::start_demo().await;
    let mut client = server.entitlements();
    let item = check_req("acme", "online_support", Some("2026-06-01T10:00:00Z"), None);

    // 1000 items is the limit and is answered in full.
    let r = client
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest {
            requests: vec![item.clone(); 1000],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.responses.len(), 1000);
    assert!(r.responses.iter().all(|r| r.allowed));

    // 1001 items: INVALID_ARGUMENT on `requests`.
    let e = client
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest {
            requests: vec![item.clone(); 1001],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests");

    // One invalid item fails the whole call, naming the item's field.
    let e = client
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest {
            requests: vec![
                item.clone(),
                item.clone(),
                check_req("acme", "tam", None, None),
                item.clone(),
            ],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests[2].benefit");
    let e = client
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest {
            requests: vec![item.clone(), check_req("", "online_support", None, None)],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests[1].account");

    // An unknown account in an item fails the call too.
    let e = client
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest {
            requests: vec![item, check_req("nope", "online_support", None, None)],
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}
