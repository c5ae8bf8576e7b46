//! ContractService: updates, overlaps and termination of contracts.

use crate::helpers::*;

// ---- Arrangement ----

const AT: &str = "2026-03-02T10:00:00Z";

/// accounts/acme with the standard contract accounts/acme/contracts/2026 for 2026.
async fn acme_standard_2026(server: &TestServer) -> pb::Contract {
    new_account(server, "acme").await;
    new_contract(
        server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    )
    .await
}

/// A change of the contract `name`: the fields of `c` (its name set).
fn change(name: &str, c: pb::Contract) -> pb::Contract {
    pb::Contract {
        name: name.into(),
        ..c
    }
}

fn with_state(state: pb::ContractState, etag: &str) -> pb::Contract {
    pb::Contract {
        state: state.into(),
        etag: etag.into(),
        ..Default::default()
    }
}

fn adding(benefit: &str, etag: &str) -> pb::Contract {
    pb::Contract {
        overrides: Some(pb::ContractOverrides {
            added_benefits: vec![benefit.into()],
            ..Default::default()
        }),
        etag: etag.into(),
        ..Default::default()
    }
}

/// The update of version `n` (2..=7) of the history below, after `prev`.
fn step(n: usize, prev: &pb::Contract) -> (pb::Contract, &'static [&'static str]) {
    let (c, paths): (pb::Contract, &[&str]) = match n {
        // Add a benefit through the sub-path mask; the rest of the request is ignored.
        2 => (
            pb::Contract {
                plan: "plans/premium".into(),
                overrides: Some(pb::ContractOverrides {
                    added_benefits: vec!["technical_account_manager".into()],
                    extra_designated_contacts: 7,
                    ..Default::default()
                }),
                etag: prev.etag.clone(),
                ..Default::default()
            },
            &["overrides.added_benefits"],
        ),
        // Suspend.
        3 => (
            with_state(pb::ContractState::Suspended, &prev.etag),
            &["state"],
        ),
        // Resume (empty etag: unconditional).
        4 => (with_state(pb::ContractState::Active, ""), &["state"]),
        // Whole overrides replaced.
        5 => (
            pb::Contract {
                overrides: Some(pb::ContractOverrides {
                    removed_benefits: vec!["community_knowledge_base".into()],
                    ..Default::default()
                }),
                ..Default::default()
            },
            &["overrides"],
        ),
        // Period changed with an empty mask.
        6 => (
            pb::Contract {
                end_time: Some(ts("2028-01-01T00:00:00Z")),
                ..Default::default()
            },
            &[],
        ),
        // end_time cleared.
        7 => (pb::Contract::default(), &["end_time"]),
        _ => unreachable!("no step {n}"),
    };
    (change(&prev.name, c), paths)
}

/// Versions 1..=`last` of acme's 2026 contract (index 0 is version 1), each written by
/// [`step`].
async fn history(server: &TestServer, last: usize) -> Vec<pb::Contract> {
    let mut versions = vec![acme_standard_2026(server).await];
    for n in 2..=last {
        let (c, paths) = step(n, versions.last().unwrap());
        let v = update_contract(server, c, paths)
            .await
            .unwrap_or_else(|s| panic!("UpdateContract to version {n}: {s:?}"));
        versions.push(v);
    }
    versions
}

// ---- UpdateContract ----

#[tokio::test]
async fn a_benefit_outside_the_plan_is_not_granted() {
    let server = TestServer::start().await;
    acme_standard_2026(&server).await;
    let r = check(&server, "acme", "technical_account_manager", AT, None).await;
    assert!(!r.allowed);
    assert_eq!(r.reason, i32::from(pb::DecisionReason::BenefitNotInPlan));
    server.stop().await;
}

#[tokio::test]
async fn a_sub_path_mask_adds_a_benefit_and_ignores_the_rest_of_the_request() {
    let server = TestServer::start().await;
    let v = history(&server, 2).await;
    let (v1, v2) = (&v[0], &v[1]);
    assert_eq!(v2.version, 2);
    assert_ne!(v2.etag, v1.etag);
    assert_eq!(v2.plan, "plans/standard", "plan not in the mask");
    let o = v2.overrides.clone().unwrap_or_default();
    assert_eq!(o.added_benefits, ["technical_account_manager"]);
    assert_eq!(o.extra_designated_contacts, 0, "not in the mask");
    assert_eq!(v2.create_time, v1.create_time);
    assert_eq!(get_contract(&server, &v1.name).await, *v2);
    server.stop().await;
}

#[tokio::test]
async fn an_added_benefit_is_granted_under_the_new_version() {
    let server = TestServer::start().await;
    let v = history(&server, 2).await;
    let r = check(&server, "acme", "technical_account_manager", AT, None).await;
    assert!(r.allowed, "{r:?}");
    assert_eq!(r.reason, i32::from(pb::DecisionReason::Granted));
    let cref = r.contract.unwrap();
    assert_eq!(cref.contract, v[0].name);
    assert_eq!(cref.version, 2);
    assert_eq!(cref.plan, "plans/standard");
    server.stop().await;
}

#[tokio::test]
async fn a_stale_etag_is_aborted_and_nothing_is_written() {
    let server = TestServer::start().await;
    let v = history(&server, 2).await;
    let (v1, v2) = (&v[0], &v[1]);
    for (stale, paths) in [
        (
            adding("upgrade_support", &v1.etag),
            &["overrides.added_benefits"],
        ),
        (
            with_state(pb::ContractState::Suspended, &v1.etag),
            &["state"],
        ),
    ] {
        let e = update_contract(&server, change(&v1.name, stale), paths)
            .await
            .unwrap_err();
        assert_status(&e, Code::Aborted);
    }
    assert_eq!(get_contract(&server, &v1.name).await, *v2, "unchanged");
    server.stop().await;
}

#[tokio::test]
async fn suspending_keeps_the_overrides() {
    let server = TestServer::start().await;
    let v = history(&server, 3).await;
    let (v2, v3) = (&v[1], &v[2]);
    assert_eq!(v3.state, i32::from(pb::ContractState::Suspended));
    assert_eq!(v3.version, 3);
    assert_eq!(v3.overrides, v2.overrides, "kept");
    server.stop().await;
}

#[tokio::test]
async fn a_check_on_a_suspended_contract_is_contract_suspended_naming_it() {
    let server = TestServer::start().await;
    let v = history(&server, 3).await;
    let r = check(&server, "acme", "online_support", AT, None).await;
    assert!(!r.allowed);
    assert_eq!(r.reason, i32::from(pb::DecisionReason::ContractSuspended));
    let cref = r.contract.unwrap();
    assert_eq!(cref.contract, v[0].name);
    assert_eq!(cref.version, 3);
    server.stop().await;
}

#[tokio::test]
async fn resuming_with_an_empty_etag_is_unconditional_and_grants_again() {
    let server = TestServer::start().await;
    let v = history(&server, 4).await;
    let v4 = &v[3];
    assert_eq!(v4.state, i32::from(pb::ContractState::Active));
    assert_eq!(v4.version, 4);
    let r = check(&server, "acme", "technical_account_manager", AT, None).await;
    assert!(r.allowed);
    assert_eq!(r.contract.unwrap().version, 4);
    server.stop().await;
}

#[tokio::test]
async fn the_overrides_mask_replaces_them_as_a_whole() {
    let server = TestServer::start().await;
    let v = history(&server, 5).await;
    let o = v[4].overrides.clone().unwrap_or_default();
    assert!(o.added_benefits.is_empty(), "replaced as a whole");
    assert_eq!(o.removed_benefits, ["community_knowledge_base"]);
    let r = check(&server, "acme", "community_knowledge_base", AT, None).await;
    assert_eq!(r.reason, i32::from(pb::DecisionReason::BenefitNotInPlan));
    server.stop().await;
}

#[tokio::test]
async fn an_empty_mask_changes_the_period() {
    let server = TestServer::start().await;
    let v = history(&server, 6).await;
    let v6 = &v[5];
    assert_eq!(v6.end_time, Some(ts("2028-01-01T00:00:00Z")));
    assert_eq!(v6.version, 6);
    server.stop().await;
}

#[tokio::test]
async fn clearing_end_time_makes_the_contract_open_ended() {
    let server = TestServer::start().await;
    let v = history(&server, 7).await;
    assert_eq!(v[6].end_time, None, "clearing end_time makes it open ended");
    server.stop().await;
}

#[tokio::test]
async fn bad_contract_updates_are_refused_naming_the_field_and_write_nothing() {
    let server = TestServer::start().await;
    let v = history(&server, 7).await;
    let v7 = &v[6];
    let name = v7.name.as_str();
    let request = |c: pb::Contract, paths: &[&str]| pb::UpdateContractRequest {
        request_id: String::new(),
        contract: Some(change(name, c)),
        update_mask: mask(paths),
    };
    let exact = [
        (
            request(with_state(pb::ContractState::Terminated, ""), &["state"]),
            "contract.state",
        ),
        (
            request(Default::default(), &["designated_contacts_limit"]),
            "update_mask",
        ),
        (
            pb::UpdateContractRequest {
                request_id: String::new(),
                contract: None,
                update_mask: None,
            },
            "contract",
        ),
    ];
    for (request, field) in exact {
        let e = server
            .contracts()
            .update_contract(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    let under = [
        (
            request(adding("free_lunch", ""), &["overrides.added_benefits"]),
            "contract.overrides.added_benefits",
        ),
        (
            request(
                pb::Contract {
                    end_time: Some(ts("2025-01-01T00:00:00Z")),
                    ..Default::default()
                },
                &["end_time"],
            ),
            "contract",
        ),
    ];
    for (request, prefix) in under {
        let e = server
            .contracts()
            .update_contract(request)
            .await
            .unwrap_err();
        assert_invalid_field_under(&e, prefix);
    }
    assert_eq!(get_contract(&server, name).await, *v7, "unchanged");
    server.stop().await;
}

#[tokio::test]
async fn updating_an_unknown_contract_is_not_found() {
    let server = TestServer::start().await;
    let v1 = acme_standard_2026(&server).await;
    let nope = change(
        "accounts/acme/contracts/nope",
        with_state(pb::ContractState::Suspended, ""),
    );
    let e = update_contract(&server, nope, &["state"])
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    assert_eq!(get_contract(&server, &v1.name).await, v1, "unchanged");
    server.stop().await;
}

// ---- Overlaps ----

#[tokio::test]
async fn a_contract_overlapping_another_is_refused_naming_the_other() {
    // A suspended contract keeps its period.
    let server = TestServer::start().await;
    let c2026 = acme_standard_2026(&server).await;
    let table = [
        (
            "overlap",
            contract_body("plans/premium", "2026-06-01T00:00:00Z", None),
        ),
        (
            "before",
            contract_body(
                "plans/premium",
                "2025-01-01T00:00:00Z",
                Some("2026-01-01T00:00:01Z"),
            ),
        ),
        (
            "suspended",
            pb::Contract {
                state: pb::ContractState::Suspended.into(),
                ..contract_body("plans/premium", "2026-03-01T00:00:00Z", None)
            },
        ),
    ];
    for (id, body) in table {
        let e = create_contract(&server, "acme", id, body)
            .await
            .unwrap_err();
        assert_precondition(&e, &c2026.name);
    }
    server.stop().await;
}

/// acme's 2026 standard contract and its adjacent 2027 premium one (open ended).
async fn acme_2026_and_2027(server: &TestServer) -> (pb::Contract, pb::Contract) {
    let c2026 = acme_standard_2026(server).await;
    let c2027 = new_contract(
        server,
        "acme",
        "2027",
        "plans/premium",
        "2027-01-01T00:00:00Z",
        None,
    )
    .await;
    (c2026, c2027)
}

#[tokio::test]
async fn adjacent_contracts_do_not_overlap() {
    // Periods are half-open (new_contract panics on a refusal).
    let server = TestServer::start().await;
    acme_2026_and_2027(&server).await;
    new_contract(
        &server,
        "acme",
        "2025",
        "plans/extended",
        "2025-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;
    server.stop().await;
}

#[tokio::test]
async fn an_update_that_would_overlap_is_refused_and_nothing_is_written() {
    let server = TestServer::start().await;
    let (c2026, c2027) = acme_2026_and_2027(&server).await;
    let earlier = pb::Contract {
        start_time: Some(ts("2026-12-01T00:00:00Z")),
        etag: c2027.etag.clone(),
        ..Default::default()
    };
    let e = update_contract(&server, change(&c2027.name, earlier), &["start_time"])
        .await
        .unwrap_err();
    assert_precondition(&e, &c2026.name);
    assert_eq!(get_contract(&server, &c2027.name).await, c2027);
    server.stop().await;
}

#[tokio::test]
async fn another_accounts_contracts_do_not_conflict() {
    // new_contract panics on a refusal.
    let server = TestServer::start().await;
    acme_standard_2026(&server).await;
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
    server.stop().await;
}

#[tokio::test]
async fn after_an_early_termination_the_freed_period_can_be_reused() {
    let server = TestServer::start().await;
    let (c2026, _) = acme_2026_and_2027(&server).await;
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

// ---- TerminateContract ----

/// acme's open-ended premium contract from 2026 as created, before a designated contact
/// (ops@example.com) was added to it.
async fn acme_premium_with_a_contact(server: &TestServer) -> pb::Contract {
    new_account(server, "acme").await;
    let c = new_contract(
        server,
        "acme",
        "2026",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    add_contact(server, &c.name, "ops@example.com")
        .await
        .unwrap();
    c
}

/// [`acme_premium_with_a_contact`] terminated on 2026-07-01: (as created, terminated).
async fn acme_terminated_in_july(server: &TestServer) -> (pb::Contract, pb::Contract) {
    let c = acme_premium_with_a_contact(server).await;
    let current = get_contract(server, &c.name).await;
    let t = terminate(server, &c.name, Some("2026-07-01T00:00:00Z"), &current.etag)
        .await
        .expect("TerminateContract");
    (c, t)
}

#[tokio::test]
async fn terminating_with_a_stale_etag_is_aborted_and_the_contract_stays_active() {
    let server = TestServer::start().await;
    let c = acme_premium_with_a_contact(&server).await;
    let e = terminate(&server, &c.name, Some("2026-07-01T00:00:00Z"), &c.etag)
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    let current = get_contract(&server, &c.name).await;
    assert_eq!(current.state, i32::from(pb::ContractState::Active));
    server.stop().await;
}

#[tokio::test]
async fn terminate_contract_ends_it_at_terminate_time() {
    let server = TestServer::start().await;
    let c = acme_premium_with_a_contact(&server).await;
    let current = get_contract(&server, &c.name).await;
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
    server.stop().await;
}

#[tokio::test]
async fn a_terminated_contract_is_effective_until_terminate_time() {
    let server = TestServer::start().await;
    let (c, t) = acme_terminated_in_july(&server).await;
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
    server.stop().await;
}

#[tokio::test]
async fn terminated_is_final() {
    let server = TestServer::start().await;
    let (c, t) = acme_terminated_in_july(&server).await;
    let e = terminate(&server, &c.name, None, "").await.unwrap_err();
    assert_precondition(&e, &c.name);
    let resume = change(&c.name, with_state(pb::ContractState::Active, ""));
    let e = update_contract(&server, resume, &["state"])
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
    server.stop().await;
}

#[tokio::test]
async fn terminating_an_unknown_contract_is_not_found() {
    let server = TestServer::start().await;
    acme_premium_with_a_contact(&server).await;
    let e = terminate(&server, "accounts/acme/contracts/nope", None, "")
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn terminating_a_malformed_name_names_the_field() {
    let server = TestServer::start().await;
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
