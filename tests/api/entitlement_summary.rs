//! EntitlementService.GetEntitlements.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// EntitlementService.GetEntitlements
// ---------------------------------------------------------------------------------------

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

use pb::Coverage::{BusinessHours, Coverage24x7};
use pb::Priority::{P1, P2};

// ---- Per tier ----

#[tokio::test]
async fn premium_is_entitled_under_the_contract_in_force() {
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "acme", "2026-06-01T10:00:00Z").await;
    assert!(r.entitled);
    assert_eq!(r.reason, reason(pb::DecisionReason::Granted));
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots("2026-06-01T10:00:00Z"));
    server.stop().await;
}

#[tokio::test]
async fn premium_lists_every_benefit_both_channels_and_its_terms() {
    // acme/2026: all sixteen keys in the order of the key list on Plan.benefits, online
    // and phone, P1 24x7 30min/12h, P2 24x7 2h/24h, 5 contacts. No entry for P3/P4: the
    // built-in plans have no terms for them.
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "acme", "2026-06-01T10:00:00Z").await;
    assert_eq!(
        r.benefits,
        keys(&[
            "community_knowledge_base",
            "online_support",
            "phone_support",
            "technical_account_manager",
            "weekly_status_calls",
            "strategic_planning",
            "special_programs",
            "deployment_review",
            "upgrade_support",
            "senior_support_team",
            "critical_phone_support_24x7",
            "case_escalation_management",
            "onsite_escalation_management",
            "roadmap_participation",
            "priority_feature_requests",
            "product_feedback_sessions",
        ])
    );
    assert_eq!(
        r.channels,
        vec![pb::Channel::Online as i32, pb::Channel::Phone as i32]
    );
    assert_eq!(
        r.priority_terms,
        vec![
            terms(P1, Coverage24x7, 30 * MIN, 12 * HOUR),
            terms(P2, Coverage24x7, 2 * HOUR, 24 * HOUR),
        ]
    );
    assert_eq!(r.designated_contact_limit, 5);
    server.stop().await;
}

#[tokio::test]
async fn designated_contacts_are_listed_in_the_order_added() {
    // Seeded contacts, with add_time = the seed's contract start.
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "acme", "2026-06-01T10:00:00Z").await;
    assert_eq!(
        r.designated_contacts,
        vec![
            pb::DesignatedContact {
                email: "anna.schmidt@acme.example".into(),
                display_name: "Anna Schmidt".into(),
                add_time: ots("2026-01-01T00:00:00Z"),
            },
            pb::DesignatedContact {
                email: "jonas.weber@acme.example".into(),
                display_name: "Jonas Weber".into(),
                add_time: ots("2026-01-01T00:00:00Z"),
            },
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn extended_lists_its_benefits_with_the_override_and_the_raised_limit() {
    // globex/main plus the upgrade_support override (sorted into key-list order), online
    // only, P1 24x7 2h/24h, P2 business hours 8h/48h; limit 5 + 2 extra = 7.
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "globex", "2026-07-01T10:00:00Z").await;
    assert!(r.entitled);
    assert_eq!(r.contract, globex());
    assert_eq!(
        r.benefits,
        keys(&[
            "community_knowledge_base",
            "online_support",
            "upgrade_support"
        ])
    );
    assert_eq!(r.channels, vec![pb::Channel::Online as i32]);
    assert_eq!(
        r.priority_terms,
        vec![
            terms(P1, Coverage24x7, 2 * HOUR, 24 * HOUR),
            terms(P2, BusinessHours, 8 * HOUR, 48 * HOUR),
        ]
    );
    assert_eq!(r.designated_contact_limit, 7);
    assert_eq!(
        r.designated_contacts
            .iter()
            .map(|c| c.email.as_str())
            .collect::<Vec<_>>(),
        vec!["hank.scorpio@globex.example"]
    );
    server.stop().await;
}

#[tokio::test]
async fn standard_lists_online_support_on_business_hours() {
    // initech/main: online only, P1 business hours 8h/24h, P2 business hours 24h/72h,
    // 3 contacts.
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "initech", "2026-07-01T10:00:00Z").await;
    assert!(r.entitled);
    assert_eq!(r.contract, initech());
    assert_eq!(
        r.benefits,
        keys(&["community_knowledge_base", "online_support"])
    );
    assert_eq!(r.channels, vec![pb::Channel::Online as i32]);
    assert_eq!(
        r.priority_terms,
        vec![
            terms(P1, BusinessHours, 8 * HOUR, 24 * HOUR),
            terms(P2, BusinessHours, 24 * HOUR, 72 * HOUR),
        ]
    );
    assert_eq!(r.designated_contact_limit, 3);
    assert_eq!(r.designated_contacts.len(), 1);
    assert_eq!(
        r.designated_contacts[0].email,
        "peter.gibbons@initech.example"
    );
    assert_eq!(r.designated_contacts[0].display_name, "Peter Gibbons");
    server.stop().await;
}

#[tokio::test]
async fn a_later_check_time_answers_from_the_later_contract() {
    // acme in 2027: the 2027 contract, which only has anna.
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "acme", "2027-03-01T10:00:00Z").await;
    assert_eq!(r.contract, acme_2027());
    assert_eq!(r.designated_contacts.len(), 1);
    server.stop().await;
}

// ---- Not entitled, defaults and errors ----

#[tokio::test]
async fn an_expired_contract_is_not_entitled_and_lists_nothing() {
    // Lists empty, limit 0, the contract-state reason and its contract.
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "umbrella", "2026-06-01T10:00:00Z").await;
    assert_eq!(
        r,
        pb::GetEntitlementsResponse {
            entitled: false,
            reason: reason(pb::DecisionReason::ContractExpired),
            explanation: r.explanation.clone(),
            contract: umbrella(),
            benefits: vec![],
            channels: vec![],
            priority_terms: vec![],
            designated_contact_limit: 0,
            designated_contacts: vec![],
            check_time: ots("2026-06-01T10:00:00Z"),
            technical_account_manager: None,
            escalation: None,
        }
    );
    assert!(!r.explanation.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_contract_not_started_is_not_entitled_and_lists_nothing() {
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "globex", "2026-05-01T10:00:00Z").await;
    assert_eq!(
        (r.entitled, r.reason, r.contract, r.designated_contact_limit),
        (
            false,
            reason(pb::DecisionReason::ContractNotStarted),
            globex(),
            0
        )
    );
    assert!(r.benefits.is_empty() && r.designated_contacts.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn an_account_without_contracts_has_no_active_contract() {
    let server = TestServer::start_demo().await;
    new_account_in(&server, "newco", "UTC").await;
    let r = entitlements_at(&server, "newco", "2026-05-01T10:00:00Z").await;
    assert_eq!(
        (r.entitled, r.reason, r.contract),
        (false, reason(pb::DecisionReason::NoActiveContract), None)
    );
    server.stop().await;
}

fn now_for(account: &str) -> pb::GetEntitlementsRequest {
    pb::GetEntitlementsRequest {
        account: account.into(),
        check_time: None,
    }
}

#[tokio::test]
async fn check_time_defaults_to_now_and_is_echoed() {
    let server = TestServer::start_demo().await;
    let before = now_secs();
    let r = server
        .entitlements()
        .get_entitlements(now_for("accounts/globex"))
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.check_time, before, now_secs());
    server.stop().await;
}

#[tokio::test]
async fn entitlements_of_an_unknown_account_are_not_found() {
    let server = TestServer::start_demo().await;
    let e = server
        .entitlements()
        .get_entitlements(now_for("accounts/nope"))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn entitlements_without_an_account_name_the_account() {
    let server = TestServer::start_demo().await;
    let e = server
        .entitlements()
        .get_entitlements(pb::GetEntitlementsRequest::default())
        .await
        .unwrap_err();
    assert_invalid_field(&e, "account");
    server.stop().await;
}
