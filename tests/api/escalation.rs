//! Escalation: the escalation path per tier and on-site escalation eligibility.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// escalation path and the technical account manager
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn escalation_path_per_tier() {
    let server = TestServer::start_demo().await;
    let at = "2026-07-01T10:00:00Z";

    // Premium: the TAM (named, from the seed), then the senior support team, managed.
    let r = entitlements_at(&server, "acme", at).await;
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

    // Extended and standard: the standard support queue, no TAM.
    for account in ["globex", "initech"] {
        let r = entitlements_at(&server, account, at).await;
        assert!(r.entitled);
        assert_eq!(r.technical_account_manager, None, "{account}");
        assert_path(&r.escalation, &[StandardSupportQueue], false, None);
    }

    // Not entitled: no path.
    let r = entitlements_at(&server, "umbrella", at).await;
    assert!(!r.entitled);
    assert_eq!((r.technical_account_manager, r.escalation), (None, None));

    // EvaluateCase names the path of the contract in force at the opening.
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
        let e = evaluate(
            &server,
            account,
            pb::CaseTimeline {
                open_time: ots(at),
                priority: pb::Priority::P2 as i32,
                ..Default::default()
            },
            Some(at),
        )
        .await;
        assert_path(&e.escalation, targets, managed, tam);
    }

    // Removing the TAM benefit from a premium contract leaves the senior support team,
    // and the TAM stored on the contract is no longer named.
    new_account_in(&server, "nota", "UTC").await;
    create_contract(
        &server,
        "nota",
        "main",
        pb::Contract {
            overrides: Some(pb::ContractOverrides {
                removed_benefits: vec!["technical_account_manager".into()],
                ..Default::default()
            }),
            technical_account_manager: Some(pb::TechnicalAccountManager {
                display_name: "Rita Moss".into(),
                email: "rita.moss@support.example".into(),
            }),
            ..body("premium")
        },
    )
    .await
    .unwrap();
    let r = entitlements_at(&server, "nota", at).await;
    assert_eq!(r.technical_account_manager, None);
    assert_path(&r.escalation, &[SeniorSupportTeam], true, None);
    server.stop().await;
}

#[tokio::test]
async fn contracts_store_their_technical_account_manager() {
    let server = TestServer::start_demo().await;
    let at = "2026-07-01T10:00:00Z";
    new_account_in(&server, "tamco", "UTC").await;
    let rita = pb::TechnicalAccountManager {
        display_name: "Rita Moss".into(),
        email: "rita.moss@support.example".into(),
    };

    // Created without a TAM.
    let c = create_contract(&server, "tamco", "main", body("premium"))
        .await
        .unwrap();
    assert_eq!(c.technical_account_manager, None);

    // Assigned through UpdateContract; the e-mail is trimmed and lower-cased.
    let c = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            technical_account_manager: Some(pb::TechnicalAccountManager {
                display_name: "Rita Moss".into(),
                email: "  Rita.Moss@Support.Example ".into(),
            }),
            ..Default::default()
        },
        &["technical_account_manager"],
    )
    .await
    .expect("assign the TAM");
    assert_eq!(c.technical_account_manager, Some(rita.clone()));
    assert_eq!(c.version, 2);
    let r = entitlements_at(&server, "tamco", at).await;
    assert_eq!(r.technical_account_manager, Some(rita.clone()));
    assert_eq!(r.contract.unwrap().version, 2);
    assert_path(
        &r.escalation,
        &[TechnicalAccountManager, SeniorSupportTeam],
        true,
        Some(("Rita Moss", "rita.moss@support.example")),
    );

    // An update that does not name the path keeps the TAM.
    let c = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            end_time: ots("2028-01-01T00:00:00Z"),
            ..Default::default()
        },
        &["end_time"],
    )
    .await
    .unwrap();
    assert_eq!(c.technical_account_manager, Some(rita.clone()));

    // Bad e-mails name the field and change nothing.
    for email in ["", "not-an-email", "a@b"] {
        let e = update_contract(
            &server,
            pb::Contract {
                name: c.name.clone(),
                technical_account_manager: Some(pb::TechnicalAccountManager {
                    display_name: "X".into(),
                    email: email.into(),
                }),
                ..Default::default()
            },
            &["technical_account_manager"],
        )
        .await
        .expect_err("a bad e-mail is refused");
        assert_invalid_field(&e, "contract.technical_account_manager.email");
    }

    // The path with no value unassigns the TAM.
    let c = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            ..Default::default()
        },
        &["technical_account_manager"],
    )
    .await
    .unwrap();
    assert_eq!(c.technical_account_manager, None);
    assert_eq!(c.version, 4);
    let r = entitlements_at(&server, "tamco", at).await;
    assert_eq!(r.technical_account_manager, None);

    // Set on create; stored on a standard contract but not named in its answers, since
    // standard has no TAM benefit.
    new_account_in(&server, "smallco", "UTC").await;
    let c = create_contract(
        &server,
        "smallco",
        "main",
        pb::Contract {
            technical_account_manager: Some(rita.clone()),
            ..body("standard")
        },
    )
    .await
    .unwrap();
    assert_eq!(c.technical_account_manager, Some(rita.clone()));
    let r = entitlements_at(&server, "smallco", at).await;
    assert_eq!(r.technical_account_manager, None);
    assert_path(&r.escalation, &[StandardSupportQueue], false, None);
    let e = create_contract(
        &server,
        "smallco",
        "main",
        pb::Contract {
            technical_account_manager: Some(pb::TechnicalAccountManager {
                display_name: "Y".into(),
                email: "nobody".into(),
            }),
            ..body("standard")
        },
    )
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

#[tokio::test]
async fn onsite_escalation_per_tier() {
    let server = TestServer::start_demo().await;
    use pb::DecisionReason as R;
    use pb::Priority::{P1, P2, P4, Unspecified};

    // Premium, a P1 case that cannot be solved remotely: allowed.
    let r = send_check(&server, onsite("acme", P1, true)).await;
    assert!(r.allowed, "{r:?}");
    assert_eq!(r.reason, R::Granted as i32);
    assert_eq!(
        r.contract.as_ref().map(|c| c.contract.as_str()),
        Some("accounts/acme/contracts/2026")
    );

    // Premium, but the case does not qualify: the reason says why.
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

    // Extended and standard do not include the benefit, even for a qualifying case.
    for account in ["globex", "initech"] {
        let r = send_check(&server, onsite(account, P1, true)).await;
        assert!(!r.allowed);
        assert_eq!(r.reason, R::BenefitNotInPlan as i32, "{account}: {r:?}");
    }
    // No contract in force: the contract-state reason comes first.
    let r = send_check(&server, onsite("umbrella", P1, true)).await;
    assert_eq!(r.reason, R::ContractExpired as i32);

    // A contact that is not designated is refused before the case is looked at.
    let mut req = onsite("acme", P1, true);
    req.contact = Some("intern@acme.example".into());
    let r = send_check(&server, req).await;
    assert_eq!(r.reason, R::ContactNotDesignated as i32);
    let mut req = onsite("acme", P1, true);
    req.contact = Some("Anna.Schmidt@acme.example".into());
    assert!(send_check(&server, req).await.allowed);

    // Other benefits ignore the case context.
    let mut req = onsite("acme", P4, false);
    req.benefit = "phone_support".into();
    assert!(send_check(&server, req).await.allowed);

    // A case priority outside the enum is INVALID_ARGUMENT naming the field, also in a
    // batch.
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
