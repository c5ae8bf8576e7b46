//! ContractService: updates, overlaps and termination of contracts.

use crate::helpers::*;

#[tokio::test]
async fn update_contract_overrides_suspend_resume_and_etag() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let v1 = new_contract(
        &server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    )
    .await;
    let at = "2026-03-02T10:00:00Z";
    let r = check(&server, "acme", "technical_account_manager", at, None).await;
    assert!(!r.allowed);
    assert_eq!(r.reason, i32::from(pb::DecisionReason::BenefitNotInPlan));

    // Add a benefit through the sub-path mask; the rest of the request is ignored.
    let v2 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            plan: "plans/premium".into(),
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["technical_account_manager".into()],
                extra_designated_contacts: 7,
                ..Default::default()
            }),
            etag: v1.etag.clone(),
            ..Default::default()
        },
        &["overrides.added_benefits"],
    )
    .await
    .expect("UpdateContract");
    assert_eq!(v2.version, 2);
    assert_ne!(v2.etag, v1.etag);
    assert_eq!(v2.plan, "plans/standard", "plan not in the mask");
    let o = v2.overrides.clone().unwrap_or_default();
    assert_eq!(o.added_benefits, ["technical_account_manager"]);
    assert_eq!(o.extra_designated_contacts, 0, "not in the mask");
    assert_eq!(v2.create_time, v1.create_time);
    assert_eq!(get_contract(&server, &v1.name).await, v2);
    let r = check(&server, "acme", "technical_account_manager", at, None).await;
    assert!(r.allowed, "{r:?}");
    assert_eq!(r.reason, i32::from(pb::DecisionReason::Granted));
    let cref = r.contract.unwrap();
    assert_eq!(cref.contract, v1.name);
    assert_eq!(cref.version, 2);
    assert_eq!(cref.plan, "plans/standard");

    // Stale etag: ABORTED and nothing written.
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["upgrade_support".into()],
                ..Default::default()
            }),
            etag: v1.etag.clone(),
            ..Default::default()
        },
        &["overrides.added_benefits"],
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::Aborted);
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            state: pb::ContractState::Suspended.into(),
            etag: v1.etag.clone(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(get_contract(&server, &v1.name).await, v2, "unchanged");

    // Suspend: the check says CONTRACT_SUSPENDED and names the contract.
    let v3 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            state: pb::ContractState::Suspended.into(),
            etag: v2.etag.clone(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap();
    assert_eq!(v3.state, i32::from(pb::ContractState::Suspended));
    assert_eq!(v3.version, 3);
    assert_eq!(v3.overrides, v2.overrides, "kept");
    let r = check(&server, "acme", "online_support", at, None).await;
    assert!(!r.allowed);
    assert_eq!(r.reason, i32::from(pb::DecisionReason::ContractSuspended));
    let cref = r.contract.unwrap();
    assert_eq!(cref.contract, v1.name);
    assert_eq!(cref.version, 3);

    // Resume (empty etag: unconditional).
    let v4 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            state: pb::ContractState::Active.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap();
    assert_eq!(v4.state, i32::from(pb::ContractState::Active));
    assert_eq!(v4.version, 4);
    let r = check(&server, "acme", "technical_account_manager", at, None).await;
    assert!(r.allowed);
    assert_eq!(r.contract.unwrap().version, 4);

    // Whole overrides replaced; period changed with an empty mask.
    let v5 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            overrides: Some(pb::ContractOverrides {
                removed_benefits: vec!["community_knowledge_base".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
        &["overrides"],
    )
    .await
    .unwrap();
    let o = v5.overrides.clone().unwrap_or_default();
    assert!(o.added_benefits.is_empty(), "replaced as a whole");
    assert_eq!(o.removed_benefits, ["community_knowledge_base"]);
    let r = check(&server, "acme", "community_knowledge_base", at, None).await;
    assert_eq!(r.reason, i32::from(pb::DecisionReason::BenefitNotInPlan));
    let v6 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            end_time: Some(ts("2028-01-01T00:00:00Z")),
            ..Default::default()
        },
        &[],
    )
    .await
    .unwrap();
    assert_eq!(v6.end_time, Some(ts("2028-01-01T00:00:00Z")));
    assert_eq!(v6.version, 6);
    let v7 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            ..Default::default()
        },
        &["end_time"],
    )
    .await
    .unwrap();
    assert_eq!(v7.end_time, None, "clearing end_time makes it open ended");

    // Errors.
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            state: pb::ContractState::Terminated.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "contract.state");
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            ..Default::default()
        },
        &["designated_contacts_limit"],
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "update_mask");
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["free_lunch".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
        &["overrides.added_benefits"],
    )
    .await
    .unwrap_err();
    assert_invalid_field_under(&e, "contract.overrides.added_benefits");
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            end_time: Some(ts("2025-01-01T00:00:00Z")),
            ..Default::default()
        },
        &["end_time"],
    )
    .await
    .unwrap_err();
    assert_invalid_field_under(&e, "contract");
    let e = update_contract(
        &server,
        pb::Contract {
            name: "accounts/acme/contracts/nope".into(),
            state: pb::ContractState::Suspended.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = server
        .contracts()
        .update_contract(pb::UpdateContractRequest {
            request_id: String::new(),
            contract: None,
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contract");
    assert_eq!(get_contract(&server, &v1.name).await, v7, "unchanged");
    server.stop().await;
}

#[tokio::test]
async fn overlapping_contracts_are_refused_naming_the_other_contract() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let c2026 = new_contract(
        &server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    )
    .await;

    let e = create_contract(
        &server,
        "acme",
        "overlap",
        contract_body("plans/premium", "2026-06-01T00:00:00Z", None),
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c2026.name);
    let e = create_contract(
        &server,
        "acme",
        "before",
        contract_body(
            "plans/premium",
            "2025-01-01T00:00:00Z",
            Some("2026-01-01T00:00:01Z"),
        ),
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c2026.name);

    // A suspended contract keeps its period.
    let e = create_contract(
        &server,
        "acme",
        "suspended",
        pb::Contract {
            state: pb::ContractState::Suspended.into(),
            ..contract_body("plans/premium", "2026-03-01T00:00:00Z", None)
        },
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c2026.name);

    // Periods are half-open: adjacent contracts do not overlap.
    let c2027 = new_contract(
        &server,
        "acme",
        "2027",
        "plans/premium",
        "2027-01-01T00:00:00Z",
        None,
    )
    .await;
    new_contract(
        &server,
        "acme",
        "2025",
        "plans/extended",
        "2025-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;

    // An update that would overlap is refused too, and nothing is written.
    let e = update_contract(
        &server,
        pb::Contract {
            name: c2027.name.clone(),
            start_time: Some(ts("2026-12-01T00:00:00Z")),
            etag: c2027.etag.clone(),
            ..Default::default()
        },
        &["start_time"],
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c2026.name);
    assert_eq!(get_contract(&server, &c2027.name).await, c2027);

    // Another account's contracts do not conflict.
    new_account(&server, "globex").await;
    new_contract(
        &server,
        "globex",
        "2026",
        "plans/premium",
        "2026-06-01T00:00:00Z",
        None,
    )
    .await;

    // After an early termination the freed period can be reused.
    terminate(&server, &c2026.name, Some("2026-07-01T00:00:00Z"), "")
        .await
        .unwrap();
    let h2 = new_contract(
        &server,
        "acme",
        "2026-h2",
        "plans/premium",
        "2026-07-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    )
    .await;
    let r = check(
        &server,
        "acme",
        "phone_support",
        "2026-08-01T00:00:00Z",
        None,
    )
    .await;
    assert!(r.allowed);
    assert_eq!(r.contract.unwrap().contract, h2.name);
    server.stop().await;
}

#[tokio::test]
async fn terminate_contract_ends_it_at_terminate_time() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let c = new_contract(
        &server,
        "acme",
        "2026",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    add_contact(&server, &c.name, "ops@example.com")
        .await
        .unwrap();

    let e = terminate(&server, &c.name, Some("2026-07-01T00:00:00Z"), &c.etag)
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    let current = get_contract(&server, &c.name).await;
    assert_eq!(current.state, i32::from(pb::ContractState::Active));

    let t = terminate(
        &server,
        &c.name,
        Some("2026-07-01T00:00:00Z"),
        &current.etag,
    )
    .await
    .expect("TerminateContract");
    assert_eq!(t.state, i32::from(pb::ContractState::Terminated));
    assert_eq!(t.terminate_time, Some(ts("2026-07-01T00:00:00Z")));
    assert_eq!(t.version, current.version + 1);
    assert_eq!(get_contract(&server, &c.name).await, t);

    let before = check(
        &server,
        "acme",
        "phone_support",
        "2026-06-30T23:59:59Z",
        None,
    )
    .await;
    assert!(before.allowed, "still effective before terminate_time");
    assert_eq!(before.contract.unwrap().version, t.version);
    let after = check(
        &server,
        "acme",
        "phone_support",
        "2026-07-01T00:00:00Z",
        None,
    )
    .await;
    assert!(!after.allowed);
    assert_eq!(
        after.reason,
        i32::from(pb::DecisionReason::ContractTerminated)
    );
    assert_eq!(after.contract.unwrap().contract, c.name);

    // Terminated is final.
    let e = terminate(&server, &c.name, None, "").await.unwrap_err();
    assert_precondition(&e, &c.name);
    let e = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            state: pb::ContractState::Active.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c.name);
    let e = add_contact(&server, &c.name, "new@example.com")
        .await
        .unwrap_err();
    assert_precondition(&e, &c.name);
    let e = remove_contact(&server, &c.name, "ops@example.com")
        .await
        .unwrap_err();
    assert_precondition(&e, &c.name);
    assert_eq!(get_contract(&server, &c.name).await, t, "unchanged");

    // Errors.
    let e = terminate(&server, "accounts/acme/contracts/nope", None, "")
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = terminate(&server, "nope", None, "").await.unwrap_err();
    assert_invalid_field(&e, "name");
    server.stop().await;
}

#[tokio::test]
async fn terminate_before_start_cancels_a_scheduled_contract() {
    // contract_service.proto, TerminateContract.terminate_time: "Default now. ... At or
    // before start_time the contract never becomes effective." A contract that starts
    // in the future can therefore be cancelled with the default terminate_time.
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let c = new_contract(
        &server,
        "acme",
        "future",
        "plans/standard",
        "2090-01-01T00:00:00Z",
        None,
    )
    .await;
    let t = terminate(&server, &c.name, None, "")
        .await
        .expect("terminating a not yet started contract");
    assert_eq!(t.state, i32::from(pb::ContractState::Terminated));
    let r = check(
        &server,
        "acme",
        "online_support",
        "2090-06-01T00:00:00Z",
        None,
    )
    .await;
    assert!(!r.allowed);
    assert_eq!(r.reason, i32::from(pb::DecisionReason::ContractTerminated));
    server.stop().await;
}
