//! Escalation: the escalation path per tier and on-site escalation eligibility.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// escalation path and the technical account manager
// ---------------------------------------------------------------------------------------

const AT: &str = "2026-07-01T10:00:00Z";

fn rita() -> pb::TechnicalAccountManager {
    pb::TechnicalAccountManager {
        display_name: "Rita Moss".into(),
        email: "rita.moss@support.example".into(),
    }
}

#[tokio::test]
async fn premium_escalates_to_its_named_tam_then_the_senior_team() {
    // The TAM (named, from the seed), then the senior support team, managed.
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "acme", AT).await;
    assert_eq!(
        r.technical_account_manager,
        Some(pb::TechnicalAccountManager {
            display_name: "Tess Adams".into(),
            email: "tess.adams@support.example".into(),
        })
    );
    assert_path(
        &r.escalation,
        &[TechnicalAccountManager, SeniorSupportTeam],
        true,
        TESS,
    );
    assert!(r.escalation.unwrap().explanation.contains("Tess Adams"));
    server.stop().await;
}

#[tokio::test]
async fn extended_and_standard_escalate_to_the_standard_queue_without_a_tam() {
    let server = TestServer::start_demo().await;
    for account in ["globex", "initech"] {
        let r = entitlements_at(&server, account, AT).await;
        assert!(r.entitled);
        assert_eq!(r.technical_account_manager, None, "{account}");
        assert_path(&r.escalation, &[StandardSupportQueue], false, None);
    }
    server.stop().await;
}

#[tokio::test]
async fn an_account_not_entitled_has_no_escalation_path() {
    let server = TestServer::start_demo().await;
    let r = entitlements_at(&server, "umbrella", AT).await;
    assert!(!r.entitled);
    assert_eq!((r.technical_account_manager, r.escalation), (None, None));
    server.stop().await;
}

#[tokio::test]
async fn evaluate_case_names_the_path_of_the_contract_in_force_at_the_opening() {
    let server = TestServer::start_demo().await;
    for (account, targets, managed, tam) in [
        (
            "acme",
            &[TechnicalAccountManager, SeniorSupportTeam][..],
            true,
            TESS,
        ),
        ("globex", &[StandardSupportQueue][..], false, None),
        ("initech", &[StandardSupportQueue][..], false, None),
    ] {
        let case = pb::CaseTimeline {
            open_time: ots(AT),
            priority: pb::Priority::P2 as i32,
            ..Default::default()
        };
        let e = evaluate(&server, account, case, Some(AT)).await;
        assert_path(&e.escalation, targets, managed, tam);
    }
    server.stop().await;
}

#[tokio::test]
async fn without_the_tam_benefit_premium_escalates_to_the_senior_team_unnamed() {
    // Removing the TAM benefit from a premium contract leaves the senior support team,
    // and the TAM stored on the contract is no longer named.
    let server = TestServer::start_demo().await;
    new_account_in(&server, "nota", "UTC").await;
    let contract = pb::Contract {
        overrides: Some(pb::ContractOverrides {
            removed_benefits: vec!["technical_account_manager".into()],
            ..Default::default()
        }),
        technical_account_manager: Some(rita()),
        ..body("premium")
    };
    create_contract(&server, "nota", "main", contract)
        .await
        .unwrap();
    let r = entitlements_at(&server, "nota", AT).await;
    assert_eq!(r.technical_account_manager, None);
    assert_path(&r.escalation, &[SeniorSupportTeam], true, None);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// the technical account manager stored on a contract
// ---------------------------------------------------------------------------------------

const TAMCO: &str = "accounts/tamco/contracts/main";

fn tam_change(tam: Option<pb::TechnicalAccountManager>) -> pb::Contract {
    pb::Contract {
        name: TAMCO.into(),
        technical_account_manager: tam,
        ..Default::default()
    }
}

/// tamco's premium contract, created without a TAM.
async fn tamco(server: &TestServer) -> pb::Contract {
    new_account_in(server, "tamco", "UTC").await;
    create_contract(server, "tamco", "main", body("premium"))
        .await
        .unwrap()
}

/// [`tamco`] with Rita assigned through UpdateContract, her e-mail in mixed case and
/// padded.
async fn tamco_with_rita(server: &TestServer) -> pb::Contract {
    tamco(server).await;
    let padded = pb::TechnicalAccountManager {
        display_name: "Rita Moss".into(),
        email: "  Rita.Moss@Support.Example ".into(),
    };
    update_contract(
        server,
        tam_change(Some(padded)),
        &["technical_account_manager"],
    )
    .await
    .expect("assign the TAM")
}

#[tokio::test]
async fn a_contract_created_without_a_tam_has_none() {
    let server = TestServer::start_demo().await;
    let c = tamco(&server).await;
    assert_eq!(c.technical_account_manager, None);
    server.stop().await;
}

#[tokio::test]
async fn an_assigned_tam_is_stored_trimmed_and_lower_cased_and_named() {
    let server = TestServer::start_demo().await;
    let c = tamco_with_rita(&server).await;
    assert_eq!(c.technical_account_manager, Some(rita()));
    assert_eq!(c.version, 2);
    let r = entitlements_at(&server, "tamco", AT).await;
    assert_eq!(r.technical_account_manager, Some(rita()));
    assert_eq!(r.contract.unwrap().version, 2);
    assert_path(
        &r.escalation,
        &[TechnicalAccountManager, SeniorSupportTeam],
        true,
        Some(("Rita Moss", "rita.moss@support.example")),
    );
    server.stop().await;
}

/// [`tamco_with_rita`], then its end_time updated (not naming the TAM path).
async fn tamco_with_rita_until_2028(server: &TestServer) -> pb::Contract {
    tamco_with_rita(server).await;
    let until_2028 = pb::Contract {
        name: TAMCO.into(),
        end_time: ots("2028-01-01T00:00:00Z"),
        ..Default::default()
    };
    update_contract(server, until_2028, &["end_time"])
        .await
        .unwrap()
}

#[tokio::test]
async fn an_update_that_does_not_name_the_tam_keeps_it() {
    let server = TestServer::start_demo().await;
    let c = tamco_with_rita_until_2028(&server).await;
    assert_eq!(c.technical_account_manager, Some(rita()));
    server.stop().await;
}

#[tokio::test]
async fn bad_tam_emails_are_refused_naming_the_field() {
    let server = TestServer::start_demo().await;
    tamco_with_rita_until_2028(&server).await;
    for email in ["", "not-an-email", "a@b"] {
        let bad = pb::TechnicalAccountManager {
            display_name: "X".into(),
            email: email.into(),
        };
        let e = update_contract(
            &server,
            tam_change(Some(bad)),
            &["technical_account_manager"],
        )
        .await
        .expect_err("a bad e-mail is refused");
        assert_invalid_field(&e, "contract.technical_account_manager.email");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_tam_path_with_no_value_unassigns_the_tam() {
    let server = TestServer::start_demo().await;
    tamco_with_rita_until_2028(&server).await;
    let c = update_contract(&server, tam_change(None), &["technical_account_manager"])
        .await
        .unwrap();
    assert_eq!(c.technical_account_manager, None);
    assert_eq!(c.version, 4);
    let r = entitlements_at(&server, "tamco", AT).await;
    assert_eq!(r.technical_account_manager, None);
    server.stop().await;
}

#[tokio::test]
async fn a_tam_set_on_a_standard_contract_is_stored_but_not_named() {
    // Standard has no TAM benefit.
    let server = TestServer::start_demo().await;
    new_account_in(&server, "smallco", "UTC").await;
    let contract = pb::Contract {
        technical_account_manager: Some(rita()),
        ..body("standard")
    };
    let c = create_contract(&server, "smallco", "main", contract)
        .await
        .unwrap();
    assert_eq!(c.technical_account_manager, Some(rita()));
    let r = entitlements_at(&server, "smallco", AT).await;
    assert_eq!(r.technical_account_manager, None);
    assert_path(&r.escalation, &[StandardSupportQueue], false, None);
    server.stop().await;
}

#[tokio::test]
async fn a_bad_tam_email_is_refused_on_create() {
    let server = TestServer::start_demo().await;
    new_account_in(&server, "smallco", "UTC").await;
    let contract = pb::Contract {
        technical_account_manager: Some(pb::TechnicalAccountManager {
            display_name: "Y".into(),
            email: "nobody".into(),
        }),
        ..body("standard")
    };
    let e = create_contract(&server, "smallco", "main", contract)
        .await
        .expect_err("a bad e-mail is refused on create");
    assert_invalid_field(&e, "contract.technical_account_manager.email");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// on-site escalation eligibility
// ---------------------------------------------------------------------------------------

fn onsite(
    account: &str,
    priority: pb::Priority,
    not_solvable_remotely: bool,
) -> pb::CheckEntitlementRequest {
    pb::CheckEntitlementRequest {
        account: format!("accounts/{account}"),
        benefit: "onsite_escalation_management".into(),
        check_time: ots("2026-07-01T10:00:00Z"),
        case_priority: priority as i32,
        not_solvable_remotely,
        ..Default::default()
    }
}

use pb::DecisionReason as R;
use pb::Priority::{P1, P2, P4, Unspecified};

#[tokio::test]
async fn onsite_escalation_is_granted_for_a_premium_p1_case_not_solvable_remotely() {
    let server = TestServer::start_demo().await;
    let r = send_check(&server, onsite("acme", P1, true)).await;
    assert!(r.allowed, "{r:?}");
    assert_eq!(r.reason, R::Granted as i32);
    assert_eq!(
        r.contract.as_ref().map(|c| c.contract.as_str()),
        Some("accounts/acme/contracts/2026")
    );
    server.stop().await;
}

#[tokio::test]
async fn a_premium_case_that_does_not_qualify_is_refused_saying_why() {
    let server = TestServer::start_demo().await;
    for (priority, remote, reason) in [
        (P1, false, R::CaseSolvableRemotely),
        (P2, true, R::CasePriorityNotEligible),
        (P4, true, R::CasePriorityNotEligible),
        (Unspecified, true, R::CasePriorityNotEligible),
        (Unspecified, false, R::CasePriorityNotEligible),
    ] {
        let r = send_check(&server, onsite("acme", priority, remote)).await;
        assert!(!r.allowed, "{priority:?} {remote}: {r:?}");
        assert_eq!(r.reason, reason as i32, "{priority:?} {remote}: {r:?}");
        assert!(!r.explanation.is_empty());
    }
    server.stop().await;
}

#[tokio::test]
async fn extended_and_standard_do_not_include_onsite_escalation() {
    // Even for a qualifying case.
    let server = TestServer::start_demo().await;
    for account in ["globex", "initech"] {
        let r = send_check(&server, onsite(account, P1, true)).await;
        assert!(!r.allowed);
        assert_eq!(r.reason, R::BenefitNotInPlan as i32, "{account}: {r:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn without_a_contract_in_force_the_contract_state_reason_comes_first() {
    let server = TestServer::start_demo().await;
    let r = send_check(&server, onsite("umbrella", P1, true)).await;
    assert_eq!(r.reason, R::ContractExpired as i32);
    server.stop().await;
}

fn onsite_for(contact: &str) -> pb::CheckEntitlementRequest {
    pb::CheckEntitlementRequest {
        contact: Some(contact.into()),
        ..onsite("acme", P1, true)
    }
}

#[tokio::test]
async fn a_contact_not_designated_is_refused_before_the_case_is_looked_at() {
    let server = TestServer::start_demo().await;
    let r = send_check(&server, onsite_for("intern@acme.example")).await;
    assert_eq!(r.reason, R::ContactNotDesignated as i32);
    assert!(
        send_check(&server, onsite_for("Anna.Schmidt@acme.example"))
            .await
            .allowed
    );
    server.stop().await;
}

#[tokio::test]
async fn other_benefits_ignore_the_case_context() {
    let server = TestServer::start_demo().await;
    let mut req = onsite("acme", P4, false);
    req.benefit = "phone_support".into();
    assert!(send_check(&server, req).await.allowed);
    server.stop().await;
}

#[tokio::test]
async fn a_case_priority_outside_the_enum_is_refused_naming_the_field() {
    // Also in a batch.
    let server = TestServer::start_demo().await;
    let mut bad = onsite("acme", P1, true);
    bad.case_priority = 99;
    let e = server
        .entitlements()
        .check_entitlement(bad.clone())
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case_priority");
    let e = server
        .entitlements()
        .batch_check_entitlements(pb::BatchCheckEntitlementsRequest {
            requests: vec![onsite("acme", P1, true), bad],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests[1].case_priority");
    server.stop().await;
}
