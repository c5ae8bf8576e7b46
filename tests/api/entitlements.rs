//! EntitlementService.CheckEntitlement.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// EntitlementService.CheckEntitlement
// ---------------------------------------------------------------------------------------

use pb::DecisionReason as R;

/// (allowed, reason, contract) of a check, for comparing in one line.
type Decision = (bool, i32, Option<pb::ContractRef>);

async fn decide(
    server: &TestServer,
    account: &str,
    benefit: &str,
    at: &str,
    contact: Option<&str>,
) -> Decision {
    let r = check(server, account, benefit, at, contact).await;
    (r.allowed, r.reason, r.contract)
}

// ---- Benefits ----

#[tokio::test]
async fn a_benefit_in_the_plan_is_granted_naming_the_contract() {
    // Premium includes the TAM; 2026-06-01 lies in acme/2026 (2026-01-01..2027-01-01),
    // whose version is 3 (created at 1, two designated contacts added by the seed).
    let server = TestServer::start_demo().await;
    let r = check(
        &server,
        "acme",
        "technical_account_manager",
        "2026-06-01T12:00:00+02:00",
        None,
    )
    .await;
    assert!(r.allowed);
    assert_eq!(r.reason, reason(R::Granted));
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots("2026-06-01T10:00:00Z"));
    assert!(!r.explanation.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_benefit_outside_the_plan_is_denied_naming_the_contract() {
    // Standard has no TAM: denied with the contract and version named (initech/main was
    // created at 1 and got one contact: version 2).
    let server = TestServer::start_demo().await;
    let r = check(
        &server,
        "initech",
        "technical_account_manager",
        "2026-06-01T10:00:00Z",
        None,
    )
    .await;
    assert!(!r.allowed);
    assert_eq!(r.reason, reason(R::BenefitNotInPlan));
    assert_eq!(r.contract, initech());
    server.stop().await;
}

#[tokio::test]
async fn an_override_adds_a_benefit_and_keeps_the_plans_own() {
    // Extended has no phone support, but globex's override adds upgrade_support; the
    // plan's own benefits are still there.
    let server = TestServer::start_demo().await;
    let at = "2026-07-01T10:00:00Z";
    assert_eq!(
        decide(&server, "globex", "phone_support", at, None).await,
        (false, reason(R::BenefitNotInPlan), globex())
    );
    assert_eq!(
        decide(&server, "globex", "upgrade_support", at, None).await,
        (true, reason(R::Granted), globex())
    );
    let r = check(&server, "globex", "community_knowledge_base", at, None).await;
    assert!(r.allowed);
    server.stop().await;
}

#[tokio::test]
async fn at_a_contract_boundary_the_next_contract_is_in_force() {
    // At 2027-01-01T00:00Z acme/2026 has ended (end exclusive) and acme/2027 (version 2:
    // created + one contact) is in force.
    let server = TestServer::start_demo().await;
    assert_eq!(
        decide(
            &server,
            "acme",
            "phone_support",
            "2027-01-01T00:00:00Z",
            None
        )
        .await,
        (true, reason(R::Granted), acme_2027())
    );
    let r = check(
        &server,
        "acme",
        "phone_support",
        "2026-12-31T23:59:59Z",
        None,
    )
    .await;
    assert_eq!(r.contract, acme_2026());
    server.stop().await;
}

// ---- Contract state ----

#[tokio::test]
async fn a_contract_is_expired_at_and_after_its_end() {
    // umbrella/old ran 2025-01-01..2026-01-01.
    let server = TestServer::start_demo().await;
    for at in ["2026-06-01T10:00:00Z", "2026-01-01T00:00:00Z"] {
        let r = check(&server, "umbrella", "online_support", at, None).await;
        assert!(!r.allowed, "{at}");
        assert_eq!(r.reason, reason(R::ContractExpired), "{at}");
        assert_eq!(r.contract, umbrella(), "{at}");
    }
    server.stop().await;
}

#[tokio::test]
async fn one_second_before_its_end_a_contract_is_in_force() {
    let server = TestServer::start_demo().await;
    assert_eq!(
        decide(
            &server,
            "umbrella",
            "online_support",
            "2025-12-31T23:59:59Z",
            None
        )
        .await,
        (true, reason(R::Granted), umbrella())
    );
    server.stop().await;
}

#[tokio::test]
async fn a_contract_is_not_started_before_its_start_and_granted_at_it() {
    // globex/main starts 2026-06-01T00:00Z (start inclusive).
    let server = TestServer::start_demo().await;
    assert_eq!(
        decide(
            &server,
            "globex",
            "online_support",
            "2026-05-31T23:59:59Z",
            None
        )
        .await,
        (false, reason(R::ContractNotStarted), globex())
    );
    let r = check(
        &server,
        "globex",
        "online_support",
        "2026-06-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!((r.allowed, r.reason), (true, reason(R::Granted)));
    server.stop().await;
}

#[tokio::test]
async fn before_the_earliest_contract_it_is_not_started_naming_that_contract() {
    // initech/main starts 2026-03-01; acme's earliest contract (2026) starts 2026-01-01.
    let server = TestServer::start_demo().await;
    assert_eq!(
        decide(
            &server,
            "initech",
            "online_support",
            "2026-02-15T10:00:00+09:00",
            None
        )
        .await,
        (false, reason(R::ContractNotStarted), initech())
    );
    let r = check(
        &server,
        "acme",
        "online_support",
        "2025-12-31T12:00:00Z",
        None,
    )
    .await;
    assert_eq!(
        (r.reason, r.contract),
        (reason(R::ContractNotStarted), acme_2026())
    );
    server.stop().await;
}

#[tokio::test]
async fn an_account_without_contracts_has_no_active_contract() {
    // NO_ACTIVE_CONTRACT and no ContractRef; a denial is a normal answer, not an error.
    let server = TestServer::start_demo().await;
    new_account_in(&server, "newco", "Europe/Paris").await;
    let r = check(
        &server,
        "newco",
        "online_support",
        "2026-06-01T10:00:00Z",
        None,
    )
    .await;
    assert!(!r.allowed);
    assert_eq!(r.reason, reason(R::NoActiveContract));
    assert_eq!(r.contract, None);
    assert_eq!(r.check_time, ots("2026-06-01T10:00:00Z"));
    server.stop().await;
}

// ---- Designated contacts ----

const AT: &str = "2026-06-01T10:00:00Z";

#[tokio::test]
async fn designated_contacts_are_matched_trimmed_and_case_insensitively() {
    // anna and jonas are designated on acme/2026.
    let server = TestServer::start_demo().await;
    for contact in [
        "anna.schmidt@acme.example",
        "  Anna.Schmidt@ACME.example ",
        "JONAS.WEBER@acme.example",
    ] {
        let r = check(&server, "acme", "phone_support", AT, Some(contact)).await;
        assert!(r.allowed, "{contact:?}: {r:?}");
        assert_eq!(r.reason, reason(R::Granted));
        assert_eq!(r.contract, acme_2026());
    }
    server.stop().await;
}

#[tokio::test]
async fn a_contact_not_designated_is_denied() {
    let server = TestServer::start_demo().await;
    let r = check(
        &server,
        "acme",
        "phone_support",
        AT,
        Some("mallory@acme.example"),
    )
    .await;
    assert!(!r.allowed);
    assert_eq!(r.reason, reason(R::ContactNotDesignated));
    assert_eq!(r.contract, acme_2026());
    server.stop().await;
}

#[tokio::test]
async fn an_empty_contact_means_no_contact_check() {
    let server = TestServer::start_demo().await;
    let r = check(&server, "acme", "phone_support", AT, Some("")).await;
    assert_eq!(r.reason, reason(R::Granted));
    server.stop().await;
}

#[tokio::test]
async fn contacts_are_designated_per_contract() {
    // jonas is designated on acme/2026 only, not on acme/2027; anna on both.
    let server = TestServer::start_demo().await;
    let in_2027 = "2027-02-01T10:00:00Z";
    assert_eq!(
        decide(
            &server,
            "acme",
            "phone_support",
            in_2027,
            Some("jonas.weber@acme.example")
        )
        .await,
        (false, reason(R::ContactNotDesignated), acme_2027())
    );
    let r = check(
        &server,
        "acme",
        "phone_support",
        in_2027,
        Some("Anna.Schmidt@acme.example"),
    )
    .await;
    assert_eq!(r.reason, reason(R::Granted));
    server.stop().await;
}

#[tokio::test]
async fn the_benefit_is_decided_before_the_contact() {
    // A designated contact asking for a benefit outside the plan gets
    // BENEFIT_NOT_IN_PLAN; within the plan, granted.
    let server = TestServer::start_demo().await;
    let r = check(
        &server,
        "initech",
        "technical_account_manager",
        AT,
        Some("peter.gibbons@initech.example"),
    )
    .await;
    assert_eq!(r.reason, reason(R::BenefitNotInPlan));
    assert_eq!(
        decide(
            &server,
            "initech",
            "online_support",
            AT,
            Some("Peter.Gibbons@initech.example")
        )
        .await,
        (true, reason(R::Granted), initech())
    );
    server.stop().await;
}

// ---- check_time, and errors ----

#[tokio::test]
async fn check_time_defaults_to_now_and_asking_at_the_echo_answers_the_same() {
    // The server's now is used and echoed (whole seconds).
    let server = TestServer::start_demo().await;
    let mut client = server.entitlements();
    let before = now_secs();
    let r = client
        .check_entitlement(check_req("acme", "community_knowledge_base", None, None))
        .await
        .unwrap()
        .into_inner();
    let after = now_secs();
    assert_close_to_now(&r.check_time, before, after);
    let again = client
        .check_entitlement(pb::CheckEntitlementRequest {
            check_time: r.check_time,
            ..check_req("acme", "community_knowledge_base", None, None)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, r);
    server.stop().await;
}

#[tokio::test]
async fn fractions_of_a_second_in_check_time_are_truncated() {
    let server = TestServer::start_demo().await;
    let r = send_check(
        &server,
        pb::CheckEntitlementRequest {
            check_time: Some(Timestamp {
                seconds: ts("2026-06-01T10:00:00Z").seconds,
                nanos: 999_999_999,
            }),
            ..check_req("acme", "online_support", None, None)
        },
    )
    .await;
    assert_eq!(r.check_time, ots("2026-06-01T10:00:00Z"));
    server.stop().await;
}

#[tokio::test]
async fn bad_checks_are_refused_naming_the_field() {
    // Unknown or missing benefit key; malformed account name.
    let server = TestServer::start_demo().await;
    let mut table: Vec<_> = ["tam", "", "Phone_Support"]
        .into_iter()
        .map(|benefit| (check_req("acme", benefit, Some(AT), None), "benefit"))
        .collect();
    for account in ["acme", "accounts/", "accounts/ACME", "plans/premium"] {
        let request = pb::CheckEntitlementRequest {
            account: account.into(),
            ..check_req("x", "online_support", None, None)
        };
        table.push((request, "account"));
    }
    for (request, field) in table {
        let e = server
            .entitlements()
            .check_entitlement(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_check_for_an_unknown_account_is_not_found() {
    let server = TestServer::start_demo().await;
    let e = server
        .entitlements()
        .check_entitlement(check_req("nope", "online_support", None, None))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn instants_outside_the_timestamp_range_are_refused() {
    // google.protobuf.Timestamp runs from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z;
    // chrono holds instants well past both ends, which once reached arithmetic that
    // overflowed (GetObligations panicked on a weekly period in year 262142).
    let server = TestServer::start_demo().await;
    let last = ts("9999-12-31T23:59:59Z").seconds;
    let first = ts("0001-01-01T00:00:00Z").seconds;
    let latest_chrono = chrono::DateTime::<Utc>::MAX_UTC.timestamp();
    for seconds in [last + 1, first - 1, latest_chrono] {
        let check_time = Some(Timestamp { seconds, nanos: 0 });
        let e = server
            .entitlements()
            .check_entitlement(pb::CheckEntitlementRequest {
                check_time,
                ..check_req("acme", "online_support", None, None)
            })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "check_time");
        let e = server
            .sla()
            .get_obligations(pb::GetObligationsRequest {
                account: "accounts/acme".into(),
                check_time,
            })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "check_time");
    }
    // The ends themselves are instants like any other.
    for seconds in [last, first] {
        let r = server
            .sla()
            .get_obligations(pb::GetObligationsRequest {
                account: "accounts/acme".into(),
                check_time: Some(Timestamp { seconds, nanos: 0 }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.check_time, Some(Timestamp { seconds, nanos: 0 }));
    }
    server.stop().await;
}
