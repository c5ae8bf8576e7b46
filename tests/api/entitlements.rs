//! EntitlementService.CheckEntitlement.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// EntitlementService.CheckEntitlement
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn check_entitlement_granted_and_benefit_not_in_plan() {
    let server = TestServer::start_demo().await;

    // Premium includes the TAM; 2026-06-01 lies in acme/2026 (2026-01-01..2027-01-01),
    // whose version is 3 (created at 1, two designated contacts added by the seed).
    let r = check(
        &server,
        "acme",
        "technical_account_manager",
        "2026-06-01T12:00:00+02:00",
        None,
    )
    .await;
    assert!(r.allowed);
    assert_eq!(r.reason, reason(pb::DecisionReason::Granted));
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots("2026-06-01T10:00:00Z"));
    assert!(!r.explanation.is_empty());

    // Standard has no TAM: denied with the contract and version named (initech/main was
    // created at 1 and got one contact: version 2).
    let r = check(
        &server,
        "initech",
        "technical_account_manager",
        "2026-06-01T10:00:00Z",
        None,
    )
    .await;
    assert!(!r.allowed);
    assert_eq!(r.reason, reason(pb::DecisionReason::BenefitNotInPlan));
    assert_eq!(r.contract, initech());

    // Extended has no phone support, but globex's override adds upgrade_support.
    let r = check(
        &server,
        "globex",
        "phone_support",
        "2026-07-01T10:00:00Z",
        None,
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason, r.contract),
        (
            false,
            reason(pb::DecisionReason::BenefitNotInPlan),
            globex()
        )
    );
    let r = check(
        &server,
        "globex",
        "upgrade_support",
        "2026-07-01T10:00:00Z",
        None,
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason, r.contract),
        (true, reason(pb::DecisionReason::Granted), globex())
    );
    // ... and the plan's own benefits are still there.
    let r = check(
        &server,
        "globex",
        "community_knowledge_base",
        "2026-07-01T10:00:00Z",
        None,
    )
    .await;
    assert!(r.allowed);

    // At acme's contract boundary 2027-01-01T00:00Z acme/2026 has ended (end exclusive)
    // and acme/2027 (version 2: created + one contact) is in force.
    let r = check(
        &server,
        "acme",
        "phone_support",
        "2027-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason, r.contract),
        (true, reason(pb::DecisionReason::Granted), acme_2027())
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

#[tokio::test]
async fn check_entitlement_contract_state_reasons() {
    let server = TestServer::start_demo().await;

    // umbrella/old ran 2025-01-01..2026-01-01: expired at and after its end.
    for at in ["2026-06-01T10:00:00Z", "2026-01-01T00:00:00Z"] {
        let r = check(&server, "umbrella", "online_support", at, None).await;
        assert!(!r.allowed, "{at}");
        assert_eq!(
            r.reason,
            reason(pb::DecisionReason::ContractExpired),
            "{at}"
        );
        assert_eq!(r.contract, umbrella(), "{at}");
    }
    // One second before its end it was still in force.
    let r = check(
        &server,
        "umbrella",
        "online_support",
        "2025-12-31T23:59:59Z",
        None,
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason, r.contract),
        (true, reason(pb::DecisionReason::Granted), umbrella())
    );

    // globex/main starts 2026-06-01T00:00Z: one second before, not started; at the
    // start, granted (start inclusive).
    let r = check(
        &server,
        "globex",
        "online_support",
        "2026-05-31T23:59:59Z",
        None,
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason, r.contract),
        (
            false,
            reason(pb::DecisionReason::ContractNotStarted),
            globex()
        )
    );
    let r = check(
        &server,
        "globex",
        "online_support",
        "2026-06-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason),
        (true, reason(pb::DecisionReason::Granted))
    );
    // initech/main starts 2026-03-01; acme's earliest contract (2026) starts 2026-01-01.
    let r = check(
        &server,
        "initech",
        "online_support",
        "2026-02-15T10:00:00+09:00",
        None,
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason, r.contract),
        (
            false,
            reason(pb::DecisionReason::ContractNotStarted),
            initech()
        )
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
        (reason(pb::DecisionReason::ContractNotStarted), acme_2026())
    );

    // An account without any contract: NO_ACTIVE_CONTRACT and no ContractRef; a denial
    // is a normal answer, not an error.
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
    assert_eq!(r.reason, reason(pb::DecisionReason::NoActiveContract));
    assert_eq!(r.contract, None);
    assert_eq!(r.check_time, ots("2026-06-01T10:00:00Z"));
    server.stop().await;
}

#[tokio::test]
async fn check_entitlement_designated_contacts() {
    let server = TestServer::start_demo().await;
    let at = "2026-06-01T10:00:00Z";

    // anna and jonas are designated on acme/2026; the contact is compared trimmed and
    // case-insensitively.
    for contact in [
        "anna.schmidt@acme.example",
        "  Anna.Schmidt@ACME.example ",
        "JONAS.WEBER@acme.example",
    ] {
        let r = check(&server, "acme", "phone_support", at, Some(contact)).await;
        assert!(r.allowed, "{contact:?}: {r:?}");
        assert_eq!(r.reason, reason(pb::DecisionReason::Granted));
        assert_eq!(r.contract, acme_2026());
    }
    // Someone else is not.
    let r = check(
        &server,
        "acme",
        "phone_support",
        at,
        Some("mallory@acme.example"),
    )
    .await;
    assert!(!r.allowed);
    assert_eq!(r.reason, reason(pb::DecisionReason::ContactNotDesignated));
    assert_eq!(r.contract, acme_2026());
    // An empty contact means "no contact check".
    let r = check(&server, "acme", "phone_support", at, Some("")).await;
    assert_eq!(r.reason, reason(pb::DecisionReason::Granted));

    // jonas is designated on acme/2026 only, not on acme/2027.
    let r = check(
        &server,
        "acme",
        "phone_support",
        "2027-02-01T10:00:00Z",
        Some("jonas.weber@acme.example"),
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason, r.contract),
        (
            false,
            reason(pb::DecisionReason::ContactNotDesignated),
            acme_2027()
        )
    );
    let r = check(
        &server,
        "acme",
        "phone_support",
        "2027-02-01T10:00:00Z",
        Some("Anna.Schmidt@acme.example"),
    )
    .await;
    assert_eq!(r.reason, reason(pb::DecisionReason::Granted));

    // The benefit is decided before the contact: a designated contact asking for a
    // benefit outside the plan gets BENEFIT_NOT_IN_PLAN.
    let r = check(
        &server,
        "initech",
        "technical_account_manager",
        at,
        Some("peter.gibbons@initech.example"),
    )
    .await;
    assert_eq!(r.reason, reason(pb::DecisionReason::BenefitNotInPlan));
    let r = check(
        &server,
        "initech",
        "online_support",
        at,
        Some("Peter.Gibbons@initech.example"),
    )
    .await;
    assert_eq!(
        (r.allowed, r.reason, r.contract),
        (true, reason(pb::DecisionReason::Granted), initech())
    );
    server.stop().await;
}

#[tokio::test]
async fn check_entitlement_defaults_to_now_and_validates() {
    let server = TestServer::start_demo().await;
    let mut client = server.entitlements();

    // No check_time: the server's now is used and echoed (whole seconds).
    let before = now_secs();
    let r = client
        .check_entitlement(check_req("acme", "community_knowledge_base", None, None))
        .await
        .unwrap()
        .into_inner();
    let after = now_secs();
    assert_close_to_now(&r.check_time, before, after);
    // Asking again explicitly at the echoed instant gives the same answer.
    let again = client
        .check_entitlement(pb::CheckEntitlementRequest {
            check_time: r.check_time,
            ..check_req("acme", "community_knowledge_base", None, None)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, r);

    // Fractions of a second in the request are truncated.
    let r = client
        .check_entitlement(pb::CheckEntitlementRequest {
            check_time: Some(Timestamp {
                seconds: ts("2026-06-01T10:00:00Z").seconds,
                nanos: 999_999_999,
            }),
            ..check_req("acme", "online_support", None, None)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.check_time, ots("2026-06-01T10:00:00Z"));

    // Unknown or missing benefit key: INVALID_ARGUMENT naming `benefit`.
    for benefit in ["tam", "", "Phone_Support"] {
        let e = client
            .check_entitlement(check_req(
                "acme",
                benefit,
                Some("2026-06-01T10:00:00Z"),
                None,
            ))
            .await
            .unwrap_err();
        assert_invalid_field(&e, "benefit");
    }
    // Malformed account name: INVALID_ARGUMENT naming `account`.
    for account in ["acme", "accounts/", "accounts/ACME", "plans/premium"] {
        let e = client
            .check_entitlement(pb::CheckEntitlementRequest {
                account: account.into(),
                ..check_req("x", "online_support", None, None)
            })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "account");
    }
    // Unknown account: NOT_FOUND.
    let e = client
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
