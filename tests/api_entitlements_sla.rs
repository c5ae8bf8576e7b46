//! End-to-end tests of every RPC of `EntitlementService` and `SlaService`, through the
//! generated tonic clients against the real server (127.0.0.1, port 0) loaded with
//! `examples/demo-seed.yaml`. Every expected value is a literal worked out by hand from
//! the demo seed, the built-in catalog (types.proto, Plan) and the semantics in the proto
//! comments, with the arithmetic in a comment next to it; nothing is computed with the
//! server's own helpers. Instants are written with the local offset of the calendar
//! involved so the wall time is visible (Berlin +01:00/+02:00, New York -05:00/-04:00,
//! Seoul +09:00, no DST).
//!
//! Demo seed in short: `acme` (Europe/Berlin, calendar `emea` Mon-Fri 09:00-17:00, closed
//! 2026-12-25/26, 2027-01-01, ...; 2026-12-24 and 2026-12-31 open 09:00-12:00) has premium
//! contracts `2026` (2026-01-01..2027-01-01, contacts anna + jonas, version 3 = create +
//! two contact adds) and `2027` (2027-01-01..2028-01-01, contact anna, version 2);
//! `globex` (calendar `americas`, New York, Mon-Fri 08:00-18:00, closed 2026-11-26
//! Thanksgiving, ...) has extended contract `main` from 2026-06-01, open ended, with
//! `upgrade_support` added and 2 extra designated contacts (version 2); `initech`
//! (calendar `apac`, Seoul, Mon-Fri 09:00-12:00 and 13:00-18:00, closed 2026-12-25, ...)
//! has standard contract `main` 2026-03-01..2027-03-01 (version 2); `umbrella` has an
//! expired standard contract `old` 2025-01-01..2026-01-01 (version 1, no contacts).
//!
//! Tests that need an account without contracts, or a premium contract that has ended
//! or never ends, create it through AccountService / ContractService first.

mod common;

use chrono::Utc;
use common::fixtures::{
    assert_invalid_under, assert_status, check, check_req, day, deadline, entitlements_at,
    evaluate, first_response, interval, new_account_in, new_contract, ots, pause,
};
use common::{TestServer, assert_invalid_field, details, secs, ts};
use entitlements::grpc::pb;
use prost_types::Timestamp;
use tonic::Code;

// ---------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------

const ACME_2026: &str = "accounts/acme/contracts/2026";
const ACME_2027: &str = "accounts/acme/contracts/2027";
const GLOBEX: &str = "accounts/globex/contracts/main";
const INITECH: &str = "accounts/initech/contracts/main";
const UMBRELLA: &str = "accounts/umbrella/contracts/old";

const MIN: i64 = 60;
const HOUR: i64 = 3600;

/// The ContractRef an answer must carry.
fn cref(contract: &str, version: i64, plan: &str) -> Option<pb::ContractRef> {
    Some(pb::ContractRef {
        contract: contract.into(),
        version,
        plan: format!("plans/{plan}"),
    })
}

fn acme_2026() -> Option<pb::ContractRef> {
    cref(ACME_2026, 3, "premium")
}
fn acme_2027() -> Option<pb::ContractRef> {
    cref(ACME_2027, 2, "premium")
}
fn globex() -> Option<pb::ContractRef> {
    cref(GLOBEX, 2, "extended")
}
fn initech() -> Option<pb::ContractRef> {
    cref(INITECH, 2, "standard")
}
fn umbrella() -> Option<pb::ContractRef> {
    cref(UMBRELLA, 1, "standard")
}

fn osecs(s: i64) -> Option<prost_types::Duration> {
    Some(secs(s))
}

/// The wall-clock "now" bracketing a call, in whole seconds.
fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Asserts an echoed "now" lies within a generous window around the call (no timing
/// assertion on speed: one minute either side).
fn assert_close_to_now(echoed: &Option<Timestamp>, before: i64, after: i64) {
    let t = echoed.expect("the instant used is echoed");
    assert_eq!(t.nanos, 0, "whole seconds");
    assert!(
        before - 60 <= t.seconds && t.seconds <= after + 60,
        "echoed {t:?} is not close to now ({before}..{after})"
    );
}

fn reason(r: pb::DecisionReason) -> i32 {
    r as i32
}

async fn availability(
    server: &TestServer,
    account: &str,
    channel: pb::Channel,
    priority: pb::Priority,
    at: &str,
) -> pb::CheckSupportAvailabilityResponse {
    server
        .entitlements()
        .check_support_availability(pb::CheckSupportAvailabilityRequest {
            account: format!("accounts/{account}"),
            channel: channel as i32,
            priority: priority as i32,
            check_time: ots(at),
        })
        .await
        .unwrap_or_else(|s| panic!("availability {account} at {at}: {s:?}"))
        .into_inner()
}

fn next_update(
    account: &str,
    priority: pb::Priority,
    open: &str,
    last_response: &str,
) -> pb::ComputeDeadlineRequest {
    pb::ComputeDeadlineRequest {
        account: format!("accounts/{account}"),
        priority: priority as i32,
        open_time: ots(open),
        milestone: pb::Milestone::NextUpdate as i32,
        last_response_time: ots(last_response),
        pauses: Vec::new(),
        evaluate_time: None,
    }
}

/// Asserts a deadline with a target: due time, clock, target and contract.
fn assert_due(
    d: &pb::ComputeDeadlineResponse,
    due: &str,
    clock: pb::Clock,
    target: i64,
    contract: Option<pb::ContractRef>,
) {
    assert!(d.has_target, "{d:?}");
    assert_eq!(d.due_time, ots(due), "due time of {d:?}");
    assert_eq!(d.clock, clock as i32, "clock of {d:?}");
    assert_eq!(d.target, osecs(target), "target of {d:?}");
    assert_eq!(d.contract, contract, "contract of {d:?}");
    assert!(!d.explanation.is_empty());
}

/// Asserts an explicit "no target" answer.
fn assert_no_target(d: &pb::ComputeDeadlineResponse, contract: Option<pb::ContractRef>) {
    assert!(!d.has_target, "{d:?}");
    assert_eq!(d.due_time, None, "{d:?}");
    assert_eq!(d.target, None, "{d:?}");
    assert_eq!(d.clock, pb::Clock::Unspecified as i32, "{d:?}");
    assert_eq!(d.contract, contract, "{d:?}");
    assert!(!d.explanation.is_empty(), "the explanation says why");
}

fn terms(
    priority: pb::Priority,
    coverage: pb::Coverage,
    first_response: i64,
    cadence: i64,
) -> pb::PriorityTerms {
    pb::PriorityTerms {
        priority: priority as i32,
        coverage: coverage as i32,
        first_response_target: osecs(first_response),
        update_cadence: osecs(cadence),
        // Returned explicitly: the default at-risk thresholds of the built-in plans.
        at_risk_thresholds: vec![0.5, 0.75, 0.9],
    }
}

const WORKDAYS: [pb::DayOfWeek; 5] = [
    pb::DayOfWeek::Monday,
    pb::DayOfWeek::Tuesday,
    pb::DayOfWeek::Wednesday,
    pb::DayOfWeek::Thursday,
    pb::DayOfWeek::Friday,
];

const ALL_DAYS: [pb::DayOfWeek; 7] = [
    pb::DayOfWeek::Monday,
    pb::DayOfWeek::Tuesday,
    pb::DayOfWeek::Wednesday,
    pb::DayOfWeek::Thursday,
    pb::DayOfWeek::Friday,
    pb::DayOfWeek::Saturday,
    pb::DayOfWeek::Sunday,
];

fn add_stored(calendar: &str, start: &str, duration: i64) -> pb::AddBusinessTimeRequest {
    pb::AddBusinessTimeRequest {
        calendar_source: Some(pb::add_business_time_request::CalendarSource::Calendar(
            calendar.into(),
        )),
        start_time: ots(start),
        duration: osecs(duration),
    }
}

fn add_inline(spec: pb::Calendar, start: &str, duration: i64) -> pb::AddBusinessTimeRequest {
    pb::AddBusinessTimeRequest {
        calendar_source: Some(pb::add_business_time_request::CalendarSource::CalendarSpec(
            spec,
        )),
        start_time: ots(start),
        duration: osecs(duration),
    }
}

fn between_stored(calendar: &str, start: &str, end: &str) -> pb::BusinessTimeBetweenRequest {
    pb::BusinessTimeBetweenRequest {
        calendar_source: Some(pb::business_time_between_request::CalendarSource::Calendar(
            calendar.into(),
        )),
        start_time: ots(start),
        end_time: ots(end),
    }
}

fn between_inline(spec: pb::Calendar, start: &str, end: &str) -> pb::BusinessTimeBetweenRequest {
    pb::BusinessTimeBetweenRequest {
        calendar_source: Some(
            pb::business_time_between_request::CalendarSource::CalendarSpec(spec),
        ),
        start_time: ots(start),
        end_time: ots(end),
    }
}

async fn add(server: &TestServer, r: pb::AddBusinessTimeRequest) -> Option<Timestamp> {
    server
        .sla()
        .add_business_time(r.clone())
        .await
        .unwrap_or_else(|s| panic!("add {r:?}: {s:?}"))
        .into_inner()
        .end_time
}

async fn between(server: &TestServer, r: pb::BusinessTimeBetweenRequest) -> i64 {
    let d = server
        .sla()
        .business_time_between(r.clone())
        .await
        .unwrap_or_else(|s| panic!("between {r:?}: {s:?}"))
        .into_inner()
        .duration
        .expect("duration");
    assert_eq!(d.nanos, 0, "whole seconds");
    d.seconds
}

fn record(
    contract: &str,
    kind: pb::ObligationKind,
    at: Option<&str>,
    note: &str,
) -> pb::RecordObligationCompletionRequest {
    pb::RecordObligationCompletionRequest {
        contract: contract.into(),
        kind: kind as i32,
        completion_time: at.map(ts),
        note: note.into(),
    }
}

async fn obligations(server: &TestServer, account: &str, at: &str) -> pb::GetObligationsResponse {
    server
        .sla()
        .get_obligations(pb::GetObligationsRequest {
            account: format!("accounts/{account}"),
            check_time: ots(at),
        })
        .await
        .unwrap_or_else(|s| panic!("obligations {account} at {at}: {s:?}"))
        .into_inner()
}

#[allow(clippy::too_many_arguments)]
fn obligation(
    kind: pb::ObligationKind,
    status: pb::ObligationStatus,
    period: (&str, &str),
    required: i32,
    completed: i32,
    next_due: Option<&str>,
    last: Option<&str>,
) -> pb::Obligation {
    pb::Obligation {
        kind: kind as i32,
        status: status as i32,
        period_start_time: ots(period.0),
        period_end_time: ots(period.1),
        required_per_period: required,
        completed_in_period: completed,
        next_due_time: next_due.map(ts),
        last_completion_time: last.map(ts),
    }
}

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

// ---------------------------------------------------------------------------------------
// EntitlementService.GetEntitlements
// ---------------------------------------------------------------------------------------

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn get_entitlements_per_tier() {
    let server = TestServer::start_demo().await;
    use pb::Coverage::{BusinessHours, Coverage24x7};
    use pb::Priority::{P1, P2};

    // Premium (acme/2026): all sixteen keys in the order of the key list on
    // Plan.benefits, online and phone, P1 24x7 30min/12h, P2 24x7 2h/24h, 5 contacts.
    // No entry for P3/P4: the built-in plans have no terms for them.
    let r = entitlements_at(&server, "acme", "2026-06-01T10:00:00Z").await;
    assert!(r.entitled);
    assert_eq!(r.reason, reason(pb::DecisionReason::Granted));
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots("2026-06-01T10:00:00Z"));
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
    // Seeded contacts, in the order added, with add_time = the seed's contract start.
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

    // Extended (globex/main) plus the upgrade_support override (sorted into key-list
    // order), online only, P1 24x7 2h/24h, P2 business hours 8h/48h; limit 5 + 2 extra = 7.
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

    // Standard (initech/main): online only, P1 business hours 8h/24h, P2 business hours
    // 24h/72h, 3 contacts.
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

    // acme in 2027: the 2027 contract, which only has anna.
    let r = entitlements_at(&server, "acme", "2027-03-01T10:00:00Z").await;
    assert_eq!(r.contract, acme_2027());
    assert_eq!(r.designated_contacts.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn get_entitlements_denied_and_defaults() {
    let server = TestServer::start_demo().await;

    // Not entitled: lists empty, limit 0, the contract-state reason and its contract.
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
    new_account_in(&server, "newco", "UTC").await;
    let r = entitlements_at(&server, "newco", "2026-05-01T10:00:00Z").await;
    assert_eq!(
        (r.entitled, r.reason, r.contract),
        (false, reason(pb::DecisionReason::NoActiveContract), None)
    );

    // Default check_time: now, echoed.
    let before = now_secs();
    let r = server
        .entitlements()
        .get_entitlements(pb::GetEntitlementsRequest {
            account: "accounts/globex".into(),
            check_time: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.check_time, before, now_secs());

    // Errors.
    let e = server
        .entitlements()
        .get_entitlements(pb::GetEntitlementsRequest {
            account: "accounts/nope".into(),
            check_time: None,
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = server
        .entitlements()
        .get_entitlements(pb::GetEntitlementsRequest::default())
        .await
        .unwrap_err();
    assert_invalid_field(&e, "account");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// EntitlementService.CheckSupportAvailability
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn availability_24x7_business_hours_and_channels() {
    let server = TestServer::start_demo().await;
    use pb::Channel::{Online, Phone};
    use pb::Priority::{P1, P2, P3};

    // Premium phone P1 on Sunday 2026-06-07 03:00 Berlin: P1 is covered 24x7.
    let r = availability(&server, "acme", Phone, P1, "2026-06-07T03:00:00+02:00").await;
    assert!(r.available);
    assert_eq!(r.reason, pb::AvailabilityReason::Covered24x7 as i32);
    assert_eq!(r.coverage, pb::Coverage::Coverage24x7 as i32);
    assert_eq!(r.next_available_time, None);
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots("2026-06-07T01:00:00Z"));
    // ... but P3 has no terms: business hours, so the phone line opens Monday 09:00.
    let r = availability(&server, "acme", Phone, P3, "2026-06-07T03:00:00+02:00").await;
    assert!(!r.available);
    assert_eq!(
        r.reason,
        pb::AvailabilityReason::OutsideBusinessHours as i32
    );
    assert_eq!(r.coverage, pb::Coverage::BusinessHours as i32);
    assert_eq!(r.next_available_time, ots("2026-06-08T09:00:00+02:00"));

    // Standard online P1 on Saturday 2026-06-06 12:00 Seoul: business hours only, next
    // opening is Monday 2026-06-08 09:00 Seoul (= 00:00Z).
    let r = availability(&server, "initech", Online, P1, "2026-06-06T12:00:00+09:00").await;
    assert!(!r.available);
    assert_eq!(
        r.reason,
        pb::AvailabilityReason::OutsideBusinessHours as i32
    );
    assert_eq!(r.coverage, pb::Coverage::BusinessHours as i32);
    assert_eq!(r.next_available_time, ots("2026-06-08T09:00:00+09:00"));
    assert_eq!(r.contract, initech());
    assert!(!r.explanation.is_empty());
    // Monday 10:00 Seoul: open.
    let r = availability(&server, "initech", Online, P1, "2026-06-08T10:00:00+09:00").await;
    assert!(r.available);
    assert_eq!(r.reason, pb::AvailabilityReason::WithinBusinessHours as i32);
    assert_eq!(r.next_available_time, None);
    // Monday 12:30 Seoul is the lunch break: next opening 13:00 the same day.
    let r = availability(&server, "initech", Online, P2, "2026-06-08T12:30:00+09:00").await;
    assert!(!r.available);
    assert_eq!(
        r.reason,
        pb::AvailabilityReason::OutsideBusinessHours as i32
    );
    assert_eq!(r.next_available_time, ots("2026-06-08T13:00:00+09:00"));

    // Standard has no phone channel.
    let r = availability(&server, "initech", Phone, P1, "2026-06-08T10:00:00+09:00").await;
    assert!(!r.available);
    assert_eq!(r.reason, pb::AvailabilityReason::ChannelNotInPlan as i32);
    assert_eq!(r.next_available_time, None);
    assert_eq!(r.coverage, pb::Coverage::BusinessHours as i32);
    assert_eq!(r.contract, initech());

    // Extended on Thanksgiving 2026-11-26 (closed date of `americas`) 10:00 New York:
    // P1 is 24x7, P2 waits for Friday 2026-11-27 08:00 (EST, -05:00).
    let r = availability(&server, "globex", Online, P1, "2026-11-26T10:00:00-05:00").await;
    assert_eq!(
        (r.available, r.reason, r.coverage),
        (
            true,
            pb::AvailabilityReason::Covered24x7 as i32,
            pb::Coverage::Coverage24x7 as i32
        )
    );
    let r = availability(&server, "globex", Online, P2, "2026-11-26T10:00:00-05:00").await;
    assert!(!r.available);
    assert_eq!(
        r.reason,
        pb::AvailabilityReason::OutsideBusinessHours as i32
    );
    assert_eq!(r.next_available_time, ots("2026-11-27T08:00:00-05:00"));
    assert_eq!(r.contract, globex());
    server.stop().await;
}

#[tokio::test]
async fn availability_contract_states() {
    let server = TestServer::start_demo().await;
    use pb::Channel::Online;
    use pb::Priority::P1;

    // Expired contract: not available, no next time, no coverage.
    let r = availability(&server, "umbrella", Online, P1, "2026-06-01T10:00:00Z").await;
    assert!(!r.available);
    assert_eq!(r.reason, pb::AvailabilityReason::ContractExpired as i32);
    assert_eq!(r.next_available_time, None);
    assert_eq!(r.coverage, pb::Coverage::Unspecified as i32);
    assert_eq!(r.contract, umbrella());

    // No contract at all.
    new_account_in(&server, "newco", "UTC").await;
    let r = availability(&server, "newco", Online, P1, "2026-06-01T10:00:00Z").await;
    assert_eq!(
        (r.available, r.reason, r.contract, r.next_available_time),
        (
            false,
            pb::AvailabilityReason::NoActiveContract as i32,
            None,
            None
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn availability_next_time_under_a_contract_not_yet_started() {
    let server = TestServer::start_demo().await;
    use pb::Channel::Online;
    use pb::Priority::{P1, P2};

    // globex/main starts 2026-06-01T00:00Z = Sunday 2026-05-31 20:00 New York (EDT).
    // P1 is 24x7 under it: available from the start instant itself.
    let r = availability(&server, "globex", Online, P1, "2026-05-30T12:00:00-04:00").await;
    assert!(!r.available);
    assert_eq!(r.reason, pb::AvailabilityReason::ContractNotStarted as i32);
    assert_eq!(r.contract, globex());
    assert_eq!(r.coverage, pb::Coverage::Unspecified as i32);
    assert_eq!(r.next_available_time, ots("2026-06-01T00:00:00Z"));
    // P2 is business hours: the first opening from the start is Monday 2026-06-01 08:00
    // New York (= 12:00Z).
    let r = availability(&server, "globex", Online, P2, "2026-05-30T12:00:00-04:00").await;
    assert_eq!(r.reason, pb::AvailabilityReason::ContractNotStarted as i32);
    assert_eq!(r.next_available_time, ots("2026-06-01T08:00:00-04:00"));
    server.stop().await;
}

#[tokio::test]
async fn availability_next_opening_must_lie_in_the_contract_period() {
    let server = TestServer::start_demo().await;

    // initech/main ends 2027-03-01T00:00Z = Monday 2027-03-01 09:00 Seoul, a closed date
    // anyway (Independence Movement Day). On Friday 2027-02-26 19:00 Seoul the next
    // opening of `apac` would be Tuesday 2027-03-02 09:00, after the contract's end: not
    // available, and no next_available_time.
    let r = availability(
        &server,
        "initech",
        pb::Channel::Online,
        pb::Priority::P1,
        "2027-02-26T19:00:00+09:00",
    )
    .await;
    assert!(!r.available);
    assert_eq!(
        r.reason,
        pb::AvailabilityReason::OutsideBusinessHours as i32
    );
    assert_eq!(r.contract, initech());
    assert_eq!(r.next_available_time, None, "{r:?}");
    // At 08:00 that Friday the next opening is 09:00 the same day, inside the period.
    let r = availability(
        &server,
        "initech",
        pb::Channel::Online,
        pb::Priority::P1,
        "2027-02-26T08:00:00+09:00",
    )
    .await;
    assert_eq!(r.next_available_time, ots("2027-02-26T09:00:00+09:00"));
    server.stop().await;
}

#[tokio::test]
async fn availability_defaults_and_errors() {
    let server = TestServer::start_demo().await;
    let mut client = server.entitlements();
    let before = now_secs();
    let r = client
        .check_support_availability(pb::CheckSupportAvailabilityRequest {
            account: "accounts/acme".into(),
            channel: pb::Channel::Online as i32,
            priority: pb::Priority::P2 as i32,
            check_time: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.check_time, before, now_secs());

    let ok = pb::CheckSupportAvailabilityRequest {
        account: "accounts/acme".into(),
        channel: pb::Channel::Online as i32,
        priority: pb::Priority::P2 as i32,
        check_time: ots("2026-06-01T10:00:00Z"),
    };
    let e = client
        .check_support_availability(pb::CheckSupportAvailabilityRequest {
            channel: pb::Channel::Unspecified as i32,
            ..ok.clone()
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "channel");
    let e = client
        .check_support_availability(pb::CheckSupportAvailabilityRequest {
            priority: pb::Priority::Unspecified as i32,
            ..ok.clone()
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "priority");
    let e = client
        .check_support_availability(pb::CheckSupportAvailabilityRequest {
            account: "accounts/nope".into(),
            ..ok
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// SlaService.ComputeDeadline
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn deadlines_premium_continuous() {
    let server = TestServer::start_demo().await;
    use pb::Clock::Continuous;
    use pb::Priority::{P1, P2, P3, P4};
    let open = "2026-06-05T22:00:00Z";

    // P1 first response 30min, 24x7: 22:00 + 30min.
    let d = deadline(&server, first_response("acme", P1, open)).await;
    assert_due(
        &d,
        "2026-06-05T22:30:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    // P1 update every 12h from the last response 22:20: 2026-06-06 10:20.
    let d = deadline(
        &server,
        next_update("acme", P1, open, "2026-06-05T22:20:00Z"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-06T10:20:00Z",
        Continuous,
        12 * HOUR,
        acme_2026(),
    );
    // P2 first response 2h: 22:00 + 2h = 00:00 the next day (a Saturday: 24x7 anyway).
    let d = deadline(&server, first_response("acme", P2, open)).await;
    assert_due(
        &d,
        "2026-06-06T00:00:00Z",
        Continuous,
        2 * HOUR,
        acme_2026(),
    );
    // P2 update every 24h.
    let d = deadline(
        &server,
        next_update("acme", P2, open, "2026-06-06T00:00:00Z"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-07T00:00:00Z",
        Continuous,
        24 * HOUR,
        acme_2026(),
    );

    // Pause 22:10-22:40: 10min counted before it, 20min after it: 22:40 + 20min = 23:00.
    let mut r = first_response("acme", P1, open);
    r.pauses = vec![pause("2026-06-05T22:10:00Z", Some("2026-06-05T22:40:00Z"))];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T23:00:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    // Overlapping pauses count once: 22:10-22:30 and 22:20-22:40 are one pause 22:10-22:40.
    let mut r = first_response("acme", P1, open);
    r.pauses = vec![
        pause("2026-06-05T22:20:00Z", Some("2026-06-05T22:40:00Z")),
        pause("2026-06-05T22:10:00Z", Some("2026-06-05T22:30:00Z")),
    ];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T23:00:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    // A pause that has not ended, beginning before the target is used up: no due time.
    let mut r = first_response("acme", P1, open);
    r.pauses = vec![pause("2026-06-05T22:10:00Z", None)];
    let d = deadline(&server, r).await;
    assert!(d.has_target);
    assert_eq!(d.due_time, None);
    assert_eq!(d.clock, Continuous as i32);
    assert_eq!(d.target, osecs(30 * MIN));
    // A pause beginning exactly when the target is used up: due at the pause's start.
    let mut r = first_response("acme", P1, open);
    r.pauses = vec![pause("2026-06-05T22:30:00Z", None)];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T22:30:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );

    // P3 and P4 have no targets in the built-in plans: an explicit "no target" under the
    // contract that was effective.
    let d = deadline(&server, first_response("acme", P3, open)).await;
    assert_no_target(&d, acme_2026());
    let d = deadline(&server, next_update("acme", P4, open, open)).await;
    assert_no_target(&d, acme_2026());

    // The contract is the one effective at open_time: opened 2026-12-31 23:50Z under
    // acme/2026, due 2027-01-01 00:20Z although acme/2027 is in force by then.
    let d = deadline(&server, first_response("acme", P1, "2026-12-31T23:50:00Z")).await;
    assert_due(
        &d,
        "2027-01-01T00:20:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn deadlines_extended_new_york() {
    let server = TestServer::start_demo().await;
    use pb::Clock::{BusinessHours, Continuous};
    use pb::Priority::{P1, P2};

    // P1 is 24x7 (2h): Saturday 2026-06-06 15:00Z + 2h, weekend or not.
    let d = deadline(
        &server,
        first_response("globex", P1, "2026-06-06T15:00:00Z"),
    )
    .await;
    assert_due(&d, "2026-06-06T17:00:00Z", Continuous, 2 * HOUR, globex());
    // P1 update 24h continuous, straight across Thanksgiving.
    let d = deadline(
        &server,
        next_update(
            "globex",
            P1,
            "2026-11-25T15:00:00-05:00",
            "2026-11-25T15:00:00-05:00",
        ),
    )
    .await;
    assert_due(
        &d,
        "2026-11-26T15:00:00-05:00",
        Continuous,
        24 * HOUR,
        globex(),
    );

    // P2 first response 8h on `americas` (Mon-Fri 08:00-18:00 New York).
    // Friday 2026-06-05 16:00 EDT: 2h to 18:00, then Monday 08:00 + 6h = 14:00 EDT.
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-06-05T16:00:00-04:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-08T14:00:00-04:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    // Across the closed date: Wednesday 2026-11-25 15:00 EST: 3h to 18:00; Thursday
    // 2026-11-26 is Thanksgiving (closed); Friday 08:00 + 5h = 13:00 EST.
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-11-25T15:00:00-05:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-11-27T13:00:00-05:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    assert!(
        d.explanation.contains("2026-11-26"),
        "the skipped closed date is shown back: {}",
        d.explanation
    );
    // Used up exactly at closing: Monday 10:00 + 8h = 18:00 EDT, not Tuesday 08:00.
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-06-08T10:00:00-04:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-08T18:00:00-04:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    // P2 update every 48h of business time from Monday 2026-06-08 09:00 EDT:
    // Mon 9h (09-18) + Tue 10h + Wed 10h + Thu 10h = 39h; Fri 08:00 + 9h = 17:00 EDT.
    let d = deadline(
        &server,
        next_update(
            "globex",
            P2,
            "2026-06-08T08:00:00-04:00",
            "2026-06-08T09:00:00-04:00",
        ),
    )
    .await;
    assert_due(
        &d,
        "2026-06-12T17:00:00-04:00",
        BusinessHours,
        48 * HOUR,
        globex(),
    );
    server.stop().await;
}

#[tokio::test]
async fn deadlines_standard_seoul_with_lunch_break() {
    let server = TestServer::start_demo().await;
    use pb::Clock::BusinessHours;
    use pb::Priority::{P1, P2};
    // `apac`: Mon-Fri 09:00-12:00 and 13:00-18:00 Seoul (8h a day), UTC+9, no DST.

    // P1 first response 8h from Monday 2026-06-08 10:00: 10-12 (2h) + 13-18 (5h) = 7h;
    // Tuesday 09:00 + 1h = 10:00.
    let d = deadline(
        &server,
        first_response("initech", P1, "2026-06-08T10:00:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-09T10:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    // Opened at 09:00: 09-12 (3h) + 13-18 (5h) = 8h, used up exactly at the 18:00 close.
    let d = deadline(
        &server,
        first_response("initech", P1, "2026-06-08T09:00:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-08T18:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    // Opened in the lunch break 12:15: counting starts 13:00; 13-18 (5h); Tuesday 09-12
    // (3h) = 8h exactly at the 12:00 lunch closing, not at 13:00.
    let d = deadline(
        &server,
        first_response("initech", P1, "2026-06-08T12:15:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-09T12:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    // With a pause 10:00-14:00 from a 09:00 opening: 09-10 (1h), paused, 14-18 (4h) = 5h;
    // Tuesday 09-12 (3h) = 8h at 12:00.
    let mut r = first_response("initech", P1, "2026-06-08T09:00:00+09:00");
    r.pauses = vec![pause(
        "2026-06-08T10:00:00+09:00",
        Some("2026-06-08T14:00:00+09:00"),
    )];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-09T12:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );

    // P2 first response 24h across Christmas 2026-12-25 (closed): Thursday 2026-12-24
    // 09:00: Thu 8h; Fri closed; weekend; Mon 12-28 8h (16h); Tue 12-29 8h (24h) at 18:00.
    let d = deadline(
        &server,
        first_response("initech", P2, "2026-12-24T09:00:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-12-29T18:00:00+09:00",
        BusinessHours,
        24 * HOUR,
        initech(),
    );
    assert!(d.explanation.contains("2026-12-25"), "{}", d.explanation);

    // P1 update every 24h from the last response Wednesday 2026-06-10 15:00:
    // Wed 15-18 (3h), Thu 8h (11h), Fri 8h (19h), Mon 09-12 (22h), 13:00 + 2h = 15:00.
    let d = deadline(
        &server,
        next_update(
            "initech",
            P1,
            "2026-06-10T09:00:00+09:00",
            "2026-06-10T15:00:00+09:00",
        ),
    )
    .await;
    assert_due(
        &d,
        "2026-06-15T15:00:00+09:00",
        BusinessHours,
        24 * HOUR,
        initech(),
    );
    // P2 update every 72h = 9 business days of 8h from Monday 2026-06-08 09:00:
    // Mon-Fri (40h), Mon 15 - Thu 18 (32h) = 72h at Thursday 2026-06-18 18:00.
    let d = deadline(
        &server,
        next_update(
            "initech",
            P2,
            "2026-06-08T09:00:00+09:00",
            "2026-06-08T09:00:00+09:00",
        ),
    )
    .await;
    assert_due(
        &d,
        "2026-06-18T18:00:00+09:00",
        BusinessHours,
        72 * HOUR,
        initech(),
    );
    server.stop().await;
}

#[tokio::test]
async fn deadlines_without_contract_and_errors() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::Priority::P1;

    // Opened before initech/main starts (2026-03-01), or after umbrella/old ended: no
    // contract in force at open_time, so no target, and no ContractRef.
    let d = deadline(
        &server,
        first_response("initech", P1, "2026-02-15T10:00:00+09:00"),
    )
    .await;
    assert_no_target(&d, None);
    let d = deadline(
        &server,
        first_response("umbrella", P1, "2026-06-01T10:00:00Z"),
    )
    .await;
    assert_no_target(&d, None);

    // NEXT_UPDATE needs last_response_time.
    let mut r = next_update("acme", P1, "2026-06-01T10:00:00Z", "2026-06-01T10:00:00Z");
    r.last_response_time = None;
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "last_response_time");
    // ... not before open_time.
    let r = next_update("acme", P1, "2026-06-01T10:00:00Z", "2026-06-01T09:00:00Z");
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "last_response_time");
    // PRIORITY_UNSPECIFIED.
    let r = first_response("acme", pb::Priority::Unspecified, "2026-06-01T10:00:00Z");
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "priority");
    // MILESTONE_UNSPECIFIED.
    let mut r = first_response("acme", P1, "2026-06-01T10:00:00Z");
    r.milestone = pb::Milestone::Unspecified as i32;
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "milestone");
    // open_time is required.
    let mut r = first_response("acme", P1, "2026-06-01T10:00:00Z");
    r.open_time = None;
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "open_time");
    // A pause that ends before it starts.
    let mut r = first_response("acme", P1, "2026-06-01T10:00:00Z");
    r.pauses = vec![pause("2026-06-01T11:00:00Z", Some("2026-06-01T10:30:00Z"))];
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "pauses[0].end_time");
    // Unknown account: NOT_FOUND.
    let r = first_response("nope", P1, "2026-06-01T10:00:00Z");
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// SlaService.BatchComputeDeadlines
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn batch_deadlines_order_and_limit() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::Priority::{P1, P2, P3};
    let items = vec![
        // initech P1 from Monday 10:00 Seoul: Tuesday 10:00 (see the Seoul test).
        first_response("initech", P1, "2026-06-08T10:00:00+09:00"),
        // acme P1: 22:00Z + 30min.
        first_response("acme", P1, "2026-06-05T22:00:00Z"),
        // globex P2 from Friday 16:00 New York: Monday 14:00.
        first_response("globex", P2, "2026-06-05T16:00:00-04:00"),
        // No target.
        first_response("acme", P3, "2026-06-05T22:00:00Z"),
    ];
    // A fixed evaluate_time (at_risk and the echoed instant depend on it), so that each
    // single call below answers exactly like its batch item.
    let items: Vec<_> = items
        .into_iter()
        .map(|r| pb::ComputeDeadlineRequest {
            evaluate_time: ots("2026-06-05T22:10:00Z"),
            ..r
        })
        .collect();
    let resp = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: items.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .responses;
    assert_eq!(resp.len(), 4);
    assert_due(
        &resp[0],
        "2026-06-09T10:00:00+09:00",
        pb::Clock::BusinessHours,
        8 * HOUR,
        initech(),
    );
    assert_due(
        &resp[1],
        "2026-06-05T22:30:00Z",
        pb::Clock::Continuous,
        30 * MIN,
        acme_2026(),
    );
    assert_due(
        &resp[2],
        "2026-06-08T14:00:00-04:00",
        pb::Clock::BusinessHours,
        8 * HOUR,
        globex(),
    );
    assert_no_target(&resp[3], acme_2026());
    for (item, answer) in items.iter().zip(&resp) {
        assert_eq!(&deadline(&server, item.clone()).await, answer);
    }

    // Empty in, empty out; 1000 is allowed, 1001 is not.
    let r = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(r.responses.is_empty());
    let r = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: vec![items[0].clone(); 1000],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.responses.len(), 1000);
    let e = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: vec![items[0].clone(); 1001],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests");

    // An invalid item names its index.
    let mut bad = next_update("acme", P1, "2026-06-05T22:00:00Z", "2026-06-05T22:00:00Z");
    bad.last_response_time = None;
    let e = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: vec![items[0].clone(), bad, items[1].clone()],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests[1].last_response_time");
    let e = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: vec![
                items[0].clone(),
                items[1].clone(),
                first_response("acme", pb::Priority::Unspecified, "2026-06-05T22:00:00Z"),
            ],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests[2].priority");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// SlaService.EvaluateCase
// ---------------------------------------------------------------------------------------

/// The comparable part of a milestone: (milestone, sequence, start, due, status, event,
/// margin, clock, target).
type M = (
    i32,
    i32,
    Option<Timestamp>,
    Option<Timestamp>,
    i32,
    Option<Timestamp>,
    Option<prost_types::Duration>,
    i32,
    Option<prost_types::Duration>,
);

fn strip(m: &pb::MilestoneEvaluation) -> M {
    assert!(!m.explanation.is_empty());
    (
        m.milestone,
        m.sequence,
        m.start_time,
        m.due_time,
        m.status,
        m.event_time,
        m.margin,
        m.clock,
        m.target,
    )
}

#[allow(clippy::too_many_arguments)]
fn ms(
    milestone: pb::Milestone,
    sequence: i32,
    start: &str,
    due: Option<&str>,
    status: pb::MilestoneStatus,
    event: Option<&str>,
    margin: Option<i64>,
    clock: pb::Clock,
    target: Option<i64>,
) -> M {
    (
        milestone as i32,
        sequence,
        ots(start),
        due.map(ts),
        status as i32,
        event.map(ts),
        margin.map(secs),
        clock as i32,
        target.map(secs),
    )
}

#[tokio::test]
async fn evaluate_case_full_timeline() {
    let server = TestServer::start_demo().await;
    use pb::Clock::Continuous;
    use pb::Milestone::{FirstResponse, NextUpdate};
    use pb::MilestoneStatus::{Breached, Met, Pending};

    // acme (premium, P1 and P2 24x7). Opened 2026-06-01 08:00Z as P2, raised to P1 at
    // 2026-06-02 00:00Z, so P1 targets (first response 30min, update every 12h) apply to
    // every milestone, measured from the opening. Paused 10:00-12:00 on the first day.
    // Updates are given out of order on purpose.
    let case = pb::CaseTimeline {
        open_time: ots("2026-06-01T08:00:00Z"),
        priority: pb::Priority::P2 as i32,
        priority_changes: vec![pb::PriorityChange {
            change_time: ots("2026-06-02T00:00:00Z"),
            priority: pb::Priority::P1 as i32,
        }],
        pauses: vec![pause("2026-06-01T10:00:00Z", Some("2026-06-01T12:00:00Z"))],
        first_response_time: ots("2026-06-01T08:20:00Z"),
        update_times: vec![ts("2026-06-02T11:00:00Z"), ts("2026-06-01T22:00:00Z")],
        resolve_time: None,
    };
    let r = evaluate(&server, "acme", case, Some("2026-06-02T20:00:00Z")).await;
    assert_eq!(r.priority, pb::Priority::P1 as i32);
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.evaluate_time, ots("2026-06-02T20:00:00Z"));
    let got: Vec<M> = r.milestones.iter().map(strip).collect();
    assert_eq!(
        got,
        vec![
            // First response: 08:00 + 30min = 08:30 (the pause comes later); answered at
            // 08:20, 10min early.
            ms(
                FirstResponse,
                0,
                "2026-06-01T08:00:00Z",
                Some("2026-06-01T08:30:00Z"),
                Met,
                Some("2026-06-01T08:20:00Z"),
                Some(10 * MIN),
                Continuous,
                Some(30 * MIN)
            ),
            // Update 1 from the first response 08:20: 12h plus the 2h pause = 22:20;
            // given at 22:00, 20min early.
            ms(
                NextUpdate,
                1,
                "2026-06-01T08:20:00Z",
                Some("2026-06-01T22:20:00Z"),
                Met,
                Some("2026-06-01T22:00:00Z"),
                Some(20 * MIN),
                Continuous,
                Some(12 * HOUR)
            ),
            // Update 2 from update 1 at 22:00: due 10:00 next day; given 11:00, 1h late.
            ms(
                NextUpdate,
                2,
                "2026-06-01T22:00:00Z",
                Some("2026-06-02T10:00:00Z"),
                Breached,
                Some("2026-06-02T11:00:00Z"),
                Some(-HOUR),
                Continuous,
                Some(12 * HOUR)
            ),
            // Update 3 from update 2 at 11:00: due 23:00; at 20:00 there are 3h left.
            ms(
                NextUpdate,
                3,
                "2026-06-02T11:00:00Z",
                Some("2026-06-02T23:00:00Z"),
                Pending,
                None,
                Some(3 * HOUR),
                Continuous,
                Some(12 * HOUR)
            ),
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn evaluate_case_priority_change_pause_and_resolution() {
    let server = TestServer::start_demo().await;
    use pb::Clock::{BusinessHours, Continuous, Unspecified};
    use pb::Milestone::{FirstResponse, NextUpdate};
    use pb::MilestoneStatus::{Breached, Cancelled, Met, NoTarget, Paused, Pending};

    // Opened as P3 (no target) at 08:00Z, raised to P1 at 09:00Z with no response yet:
    // the P1 first response was due 08:30, already past at the change: BREACHED. At
    // 09:30 it is 1h late (30min target - 90min elapsed).
    let raised = pb::CaseTimeline {
        open_time: ots("2026-06-01T08:00:00Z"),
        priority: pb::Priority::P3 as i32,
        priority_changes: vec![pb::PriorityChange {
            change_time: ots("2026-06-01T09:00:00Z"),
            priority: pb::Priority::P1 as i32,
        }],
        ..Default::default()
    };
    let r = evaluate(
        &server,
        "acme",
        raised.clone(),
        Some("2026-06-01T09:30:00Z"),
    )
    .await;
    assert_eq!(r.priority, pb::Priority::P1 as i32);
    assert_eq!(
        r.milestones.iter().map(strip).collect::<Vec<_>>(),
        vec![ms(
            FirstResponse,
            0,
            "2026-06-01T08:00:00Z",
            Some("2026-06-01T08:30:00Z"),
            Breached,
            None,
            Some(-HOUR),
            Continuous,
            Some(30 * MIN)
        )]
    );
    // Before the change it was still P3: no target.
    let r = evaluate(&server, "acme", raised, Some("2026-06-01T08:45:00Z")).await;
    assert_eq!(r.priority, pb::Priority::P3 as i32);
    assert_eq!(
        r.milestones.iter().map(strip).collect::<Vec<_>>(),
        vec![ms(
            FirstResponse,
            0,
            "2026-06-01T08:00:00Z",
            None,
            NoTarget,
            None,
            None,
            Unspecified,
            None
        )]
    );

    // Resolved before the milestones fell due: CANCELLED, margin from resolve_time to
    // due. P2: first response at 08:30 (due 10:00, 1h30 early); resolved at 09:00 with
    // update 1 due 08:30 + 24h = next day 08:30 (23h30 left). The update at 10:00 comes
    // after the resolution and is ignored.
    let resolved = pb::CaseTimeline {
        open_time: ots("2026-06-01T08:00:00Z"),
        priority: pb::Priority::P2 as i32,
        first_response_time: ots("2026-06-01T08:30:00Z"),
        update_times: vec![ts("2026-06-01T10:00:00Z")],
        resolve_time: ots("2026-06-01T09:00:00Z"),
        ..Default::default()
    };
    let r = evaluate(&server, "acme", resolved, Some("2026-06-03T00:00:00Z")).await;
    assert_eq!(r.evaluate_time, ots("2026-06-03T00:00:00Z"));
    assert_eq!(
        r.milestones.iter().map(strip).collect::<Vec<_>>(),
        vec![
            ms(
                FirstResponse,
                0,
                "2026-06-01T08:00:00Z",
                Some("2026-06-01T10:00:00Z"),
                Met,
                Some("2026-06-01T08:30:00Z"),
                Some(90 * MIN),
                Continuous,
                Some(2 * HOUR)
            ),
            ms(
                NextUpdate,
                1,
                "2026-06-01T08:30:00Z",
                Some("2026-06-02T08:30:00Z"),
                Cancelled,
                None,
                Some(23 * HOUR + 30 * MIN),
                Continuous,
                Some(24 * HOUR)
            ),
        ]
    );
    // Resolved after the due time without a response: BREACHED, late until resolve_time.
    let late = pb::CaseTimeline {
        open_time: ots("2026-06-01T08:00:00Z"),
        priority: pb::Priority::P1 as i32,
        resolve_time: ots("2026-06-01T09:00:00Z"),
        ..Default::default()
    };
    let r = evaluate(&server, "acme", late, Some("2026-06-03T00:00:00Z")).await;
    assert_eq!(
        r.milestones.iter().map(strip).collect::<Vec<_>>(),
        vec![ms(
            FirstResponse,
            0,
            "2026-06-01T08:00:00Z",
            Some("2026-06-01T08:30:00Z"),
            Breached,
            None,
            Some(-30 * MIN),
            Continuous,
            Some(30 * MIN)
        )]
    );

    // Paused at the evaluation instant: PAUSED, no due time, margin = target minus time
    // counted so far (2h - 30min). A pause ending after evaluate_time is still running.
    for end in [None, Some("2026-06-01T13:00:00Z")] {
        let paused = pb::CaseTimeline {
            open_time: ots("2026-06-01T08:00:00Z"),
            priority: pb::Priority::P2 as i32,
            pauses: vec![pause("2026-06-01T08:30:00Z", end)],
            ..Default::default()
        };
        let r = evaluate(&server, "acme", paused, Some("2026-06-01T12:00:00Z")).await;
        assert_eq!(
            r.milestones.iter().map(strip).collect::<Vec<_>>(),
            vec![ms(
                FirstResponse,
                0,
                "2026-06-01T08:00:00Z",
                None,
                Paused,
                None,
                Some(90 * MIN),
                Continuous,
                Some(2 * HOUR)
            )],
            "pause end {end:?}"
        );
    }

    // Business hours (initech, standard P1 8h): opened Monday 2026-06-08 10:00 Seoul,
    // due Tuesday 10:00; at Tuesday 09:30, 7h30 of business time have been used
    // (10-12, 13-18, 09-09:30): 30min left.
    let bh = pb::CaseTimeline {
        open_time: ots("2026-06-08T10:00:00+09:00"),
        priority: pb::Priority::P1 as i32,
        ..Default::default()
    };
    let r = evaluate(&server, "initech", bh, Some("2026-06-09T09:30:00+09:00")).await;
    assert_eq!(r.contract, initech());
    assert_eq!(
        r.milestones.iter().map(strip).collect::<Vec<_>>(),
        vec![ms(
            FirstResponse,
            0,
            "2026-06-08T10:00:00+09:00",
            Some("2026-06-09T10:00:00+09:00"),
            Pending,
            None,
            Some(30 * MIN),
            BusinessHours,
            Some(8 * HOUR)
        )]
    );

    // Opened when no contract was in force (before initech/main starts): every milestone
    // NO_TARGET, no ContractRef; a single update milestone with sequence 1.
    let none = pb::CaseTimeline {
        open_time: ots("2026-02-16T10:00:00+09:00"),
        priority: pb::Priority::P1 as i32,
        first_response_time: ots("2026-02-16T11:00:00+09:00"),
        ..Default::default()
    };
    let r = evaluate(&server, "initech", none, Some("2026-02-17T10:00:00+09:00")).await;
    assert_eq!(r.contract, None);
    assert_eq!(
        r.milestones.iter().map(strip).collect::<Vec<_>>(),
        vec![
            ms(
                FirstResponse,
                0,
                "2026-02-16T10:00:00+09:00",
                None,
                NoTarget,
                Some("2026-02-16T11:00:00+09:00"),
                None,
                Unspecified,
                None
            ),
            ms(
                NextUpdate,
                1,
                "2026-02-16T11:00:00+09:00",
                None,
                NoTarget,
                None,
                None,
                Unspecified,
                None
            ),
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn evaluate_case_errors_and_default_time() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    let base = pb::CaseTimeline {
        open_time: ots("2026-06-01T08:00:00Z"),
        priority: pb::Priority::P1 as i32,
        first_response_time: ots("2026-06-01T08:30:00Z"),
        ..Default::default()
    };
    let req = |case: pb::CaseTimeline, at: Option<&str>| pb::EvaluateCaseRequest {
        account: "accounts/acme".into(),
        case: Some(case),
        evaluate_time: at.map(ts),
    };

    // Default evaluate_time: now, echoed.
    let before = now_secs();
    let r = client
        .evaluate_case(req(base.clone(), None))
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.evaluate_time, before, now_secs());

    // An update before the first response.
    let e = client
        .evaluate_case(req(
            pb::CaseTimeline {
                update_times: vec![ts("2026-06-01T08:10:00Z")],
                ..base.clone()
            },
            Some("2026-06-02T00:00:00Z"),
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case.update_times[0]");
    // Updates without a first response.
    let e = client
        .evaluate_case(req(
            pb::CaseTimeline {
                first_response_time: None,
                update_times: vec![ts("2026-06-01T09:00:00Z")],
                ..base.clone()
            },
            Some("2026-06-02T00:00:00Z"),
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case.update_times[0]");
    // A first response before the opening.
    let e = client
        .evaluate_case(req(
            pb::CaseTimeline {
                first_response_time: ots("2026-06-01T07:00:00Z"),
                ..base.clone()
            },
            Some("2026-06-02T00:00:00Z"),
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case.first_response_time");
    // The second pause begins before the opening; the first is fine.
    let e = client
        .evaluate_case(req(
            pb::CaseTimeline {
                pauses: vec![
                    pause("2026-06-01T08:30:00Z", Some("2026-06-01T08:40:00Z")),
                    pause("2026-06-01T07:30:00Z", Some("2026-06-01T08:40:00Z")),
                ],
                ..base.clone()
            },
            Some("2026-06-02T00:00:00Z"),
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case.pauses[1].start_time");
    // Missing case, unspecified priorities.
    let e = client
        .evaluate_case(pb::EvaluateCaseRequest {
            account: "accounts/acme".into(),
            case: None,
            evaluate_time: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case");
    let e = client
        .evaluate_case(req(
            pb::CaseTimeline {
                priority: pb::Priority::Unspecified as i32,
                ..base.clone()
            },
            None,
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case.priority");
    let e = client
        .evaluate_case(req(
            pb::CaseTimeline {
                priority_changes: vec![pb::PriorityChange {
                    change_time: ots("2026-06-01T09:00:00Z"),
                    priority: pb::Priority::Unspecified as i32,
                }],
                ..base.clone()
            },
            None,
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case.priority_changes[0].priority");
    let e = client
        .evaluate_case(req(
            pb::CaseTimeline {
                open_time: None,
                ..base.clone()
            },
            None,
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "case.open_time");
    // evaluate_time before open_time.
    let e = client
        .evaluate_case(req(base.clone(), Some("2026-06-01T07:59:59Z")))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "evaluate_time");
    // Unknown account.
    let e = client
        .evaluate_case(pb::EvaluateCaseRequest {
            account: "accounts/nope".into(),
            ..req(base, None)
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// SlaService.AddBusinessTime and BusinessTimeBetween
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn business_time_on_a_stored_calendar() {
    let server = TestServer::start_demo().await;
    // `calendars/emea`: Berlin, Mon-Fri 09:00-17:00 (8h a day); 2026-12-24 09:00-12:00;
    // 2026-12-25 and 2026-12-26 closed.

    // Friday 2026-06-05 15:00 CEST + 8h: Friday 2h, Monday 09:00 + 6h = 15:00.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-06-05T15:00:00+02:00", 8 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-06-08T15:00:00+02:00"));
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/emea",
                "2026-06-05T15:00:00+02:00",
                "2026-06-08T15:00:00+02:00"
            )
        )
        .await,
        8 * HOUR
    );
    // Reversed: minus the same amount.
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/emea",
                "2026-06-08T15:00:00+02:00",
                "2026-06-05T15:00:00+02:00"
            )
        )
        .await,
        -8 * HOUR
    );
    // Across Christmas: Wednesday 2026-12-23 14:00 CET: Wed 3h, Thu 24th 09-12 3h (6h),
    // Fri 25th closed, weekend, Monday 28th 09:00 + 2h = 11:00.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-12-23T14:00:00+01:00", 8 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-12-28T11:00:00+01:00"));
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/emea",
                "2026-12-23T14:00:00+01:00",
                "2026-12-28T11:00:00+01:00"
            )
        )
        .await,
        8 * HOUR
    );
    // From a Saturday, counting starts Monday 09:00: + 1h = 10:00.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-06-06T12:00:00+02:00", HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-06-08T10:00:00+02:00"));
    // Zero returns the start unchanged, even outside open hours.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-06-06T12:00:00+02:00", 0),
    )
    .await;
    assert_eq!(e, ots("2026-06-06T12:00:00+02:00"));
    // Used up exactly at closing: Monday 09:00 + 8h = Monday 17:00, not Tuesday 09:00.
    let e = add(
        &server,
        add_stored("calendars/emea", "2026-06-08T09:00:00+02:00", 8 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-06-08T17:00:00+02:00"));

    // 10,000 hours: no cap. From Monday 2027-06-07 09:00 CEST (after the last closed date
    // of `emea`), 10,000h / 40h a week = 250 whole weeks, used up at the Friday 17:00
    // close of the 250th week: Friday 2027-06-11 + 249 weeks = Friday 2032-03-19, still
    // CET (+01:00; DST starts 2032-03-28).
    let e = add(
        &server,
        add_stored("calendars/emea", "2027-06-07T09:00:00+02:00", 10_000 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2032-03-19T17:00:00+01:00"));
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/emea",
                "2027-06-07T09:00:00+02:00",
                "2032-03-19T17:00:00+01:00"
            )
        )
        .await,
        10_000 * HOUR
    );
    server.stop().await;
}

#[tokio::test]
async fn outside_the_calendar_validity_names_the_field() {
    // Calendars are computed for local dates 1970-01-01 to 2099-12-31: an instant outside
    // is INVALID_ARGUMENT with reason OUTSIDE_CALENDAR_VALIDITY, naming the field that
    // carried it, or the duration that ran past the end.
    let server = TestServer::start_demo().await;
    let always = around_the_clock("UTC");
    let outside = |e: &tonic::Status, field: &str| {
        assert_invalid_field(e, field);
        let reason = details(e).error_info().expect("ErrorInfo").reason.clone();
        assert_eq!(reason, "OUTSIDE_CALENDAR_VALIDITY", "{e:?}");
    };
    let mut sla = server.sla();
    for start in ["1969-06-01T10:00:00Z", "2100-01-01T00:00:00Z"] {
        let e = sla
            .add_business_time(add_inline(always.clone(), start, HOUR))
            .await
            .unwrap_err();
        outside(&e, "start_time");
        let e = sla
            .business_time_between(between_inline(
                always.clone(),
                start,
                "2026-06-01T00:00:00Z",
            ))
            .await
            .unwrap_err();
        outside(&e, "start_time");
        let e = sla
            .business_time_between(between_inline(
                always.clone(),
                "2026-06-01T00:00:00Z",
                start,
            ))
            .await
            .unwrap_err();
        outside(&e, "end_time");
    }
    // A valid start whose duration runs past 2099-12-31 names the duration.
    let e = sla
        .add_business_time(add_inline(
            always.clone(),
            "2099-12-31T10:00:00Z",
            48 * HOUR,
        ))
        .await
        .unwrap_err();
    outside(&e, "duration");
    // The last valid day is an ordinary day.
    assert_eq!(
        add(
            &server,
            add_inline(always, "2099-12-31T10:00:00Z", 13 * HOUR)
        )
        .await,
        ots("2099-12-31T23:00:00Z")
    );
    server.stop().await;
}

/// An inline calendar: `time_zone`, the given weekly hours.
fn spec(time_zone: &str, weekly_hours: Vec<pb::WeeklyHours>) -> pb::Calendar {
    pb::Calendar {
        time_zone: time_zone.into(),
        weekly_hours,
        ..Default::default()
    }
}

/// An inline calendar open 00:00-24:00 every day in `time_zone`.
fn around_the_clock(time_zone: &str) -> pb::Calendar {
    spec(
        time_zone,
        ALL_DAYS
            .iter()
            .map(|d| day(*d, &[("00:00", "24:00")]))
            .collect(),
    )
}

#[tokio::test]
async fn business_time_on_inline_calendars() {
    let server = TestServer::start_demo().await;

    // UTC, Mon-Fri 09:00-17:00, Monday 2026-06-08 closed. Friday 15:00 + 8h: Friday 2h,
    // Monday closed, Tuesday 09:00 + 6h = 15:00.
    let mut office = spec(
        "UTC",
        WORKDAYS
            .iter()
            .map(|d| day(*d, &[("09:00", "17:00")]))
            .collect(),
    );
    office.closed_dates = vec![pb::ClosedDate {
        date: "2026-06-08".into(),
        reason: "Whit Monday".into(),
    }];
    // The name and etag of an inline calendar are ignored.
    office.name = "calendars/whatever".into();
    office.etag = "\"7\"".into();
    let e = add(
        &server,
        add_inline(office.clone(), "2026-06-05T15:00:00Z", 8 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-06-09T15:00:00Z"));
    assert_eq!(
        between(
            &server,
            between_inline(office, "2026-06-05T15:00:00Z", "2026-06-09T15:00:00Z")
        )
        .await,
        8 * HOUR
    );

    // Berlin, Sundays 01:00-04:00: on 2026-03-29 clocks spring forward 02:00 -> 03:00, so
    // that window lasts 2h; on 2026-10-25 they fall back 03:00 -> 02:00: 4h.
    let sunday = spec(
        "Europe/Berlin",
        vec![day(pb::DayOfWeek::Sunday, &[("01:00", "04:00")])],
    );
    assert_eq!(
        between(
            &server,
            between_inline(
                sunday.clone(),
                "2026-03-28T00:00:00Z",
                "2026-03-30T00:00:00Z"
            )
        )
        .await,
        2 * HOUR
    );
    assert_eq!(
        between(
            &server,
            between_inline(
                sunday.clone(),
                "2026-10-24T00:00:00Z",
                "2026-10-26T00:00:00Z"
            )
        )
        .await,
        4 * HOUR
    );
    // 3h from Saturday 2026-03-28: 2h on the 29th (01:00 CET = 00:00Z to 02:00 CEST =
    // 02:00Z, with the skipped hour), then Sunday 2026-04-05 01:00 CEST + 1h = 02:00 CEST.
    let e = add(
        &server,
        add_inline(sunday, "2026-03-28T00:00:00Z", 3 * HOUR),
    )
    .await;
    assert_eq!(e, ots("2026-04-05T02:00:00+02:00"));

    // Seven days 00:00-24:00 is continuous: business time equals elapsed time.
    let always = around_the_clock("America/New_York");
    assert_eq!(
        between(
            &server,
            between_inline(
                always.clone(),
                "2026-03-07T12:00:00Z",
                "2026-03-09T12:00:00Z"
            )
        )
        .await,
        48 * HOUR
    );
    let e = add(
        &server,
        add_inline(always, "2026-06-05T13:00:00Z", 10_000 * HOUR),
    )
    .await;
    // 10,000h = 416 days 16h: 2026-06-05 13:00Z + 416d = 2027-07-26 13:00Z, + 16h.
    assert_eq!(e, ots("2027-07-27T05:00:00Z"));
    server.stop().await;
}

#[tokio::test]
async fn business_time_errors() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();

    // Unknown zone in an inline calendar, on both RPCs.
    let mars = spec(
        "Mars/Olympus_Mons",
        WORKDAYS
            .iter()
            .map(|d| day(*d, &[("09:00", "17:00")]))
            .collect(),
    );
    let e = client
        .add_business_time(add_inline(mars.clone(), "2026-06-05T15:00:00Z", HOUR))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar_spec.time_zone");
    let e = client
        .business_time_between(between_inline(
            mars,
            "2026-06-05T15:00:00Z",
            "2026-06-06T15:00:00Z",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar_spec.time_zone");
    // An inline calendar with no open time at all: INVALID_ARGUMENT on calendar_spec.
    for closed in [
        spec("UTC", vec![]),
        spec("UTC", vec![day(pb::DayOfWeek::Monday, &[])]),
    ] {
        let e = client
            .add_business_time(add_inline(closed, "2026-06-05T15:00:00Z", HOUR))
            .await
            .unwrap_err();
        assert_invalid_under(&e, "calendar_spec");
    }
    // A malformed interval names its path.
    let e = client
        .add_business_time(add_inline(
            spec(
                "UTC",
                vec![day(pb::DayOfWeek::Monday, &[("9 am", "17:00")])],
            ),
            "2026-06-05T15:00:00Z",
            HOUR,
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar_spec.weekly_hours[0].intervals[0].open_time");

    // Negative or missing duration, missing start.
    let e = client
        .add_business_time(add_stored("calendars/emea", "2026-06-05T15:00:00Z", -1))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "duration");
    let e = client
        .add_business_time(pb::AddBusinessTimeRequest {
            duration: None,
            ..add_stored("calendars/emea", "2026-06-05T15:00:00Z", 0)
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "duration");
    let e = client
        .add_business_time(pb::AddBusinessTimeRequest {
            start_time: None,
            ..add_stored("calendars/emea", "2026-06-05T15:00:00Z", HOUR)
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "start_time");
    let e = client
        .business_time_between(pb::BusinessTimeBetweenRequest {
            end_time: None,
            ..between_stored(
                "calendars/emea",
                "2026-06-05T15:00:00Z",
                "2026-06-05T15:00:00Z",
            )
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "end_time");

    // Neither calendar nor calendar_spec.
    let e = client
        .add_business_time(pb::AddBusinessTimeRequest {
            calendar_source: None,
            ..add_stored("calendars/emea", "2026-06-05T15:00:00Z", HOUR)
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::InvalidArgument);
    assert!(details(&e).bad_request().is_some());
    let e = client
        .business_time_between(pb::BusinessTimeBetweenRequest {
            calendar_source: None,
            ..between_stored(
                "calendars/emea",
                "2026-06-05T15:00:00Z",
                "2026-06-06T15:00:00Z",
            )
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::InvalidArgument);

    // Unknown stored calendar: NOT_FOUND; malformed name: INVALID_ARGUMENT `calendar`.
    let e = client
        .add_business_time(add_stored("calendars/nope", "2026-06-05T15:00:00Z", HOUR))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = client
        .business_time_between(between_stored(
            "calendars/nope",
            "2026-06-05T15:00:00Z",
            "2026-06-06T15:00:00Z",
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = client
        .add_business_time(add_stored("emea", "2026-06-05T15:00:00Z", HOUR))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar");

    // A stored calendar with no open time left (only a special date in the past):
    // FAILED_PRECONDITION for an addition after it; the business time between two
    // instants spanning it is its 8h.
    server
        .accounts()
        .create_calendar(pb::CreateCalendarRequest {
            calendar_id: "one-day".into(),
            calendar: Some(pb::Calendar {
                time_zone: "UTC".into(),
                special_dates: vec![pb::SpecialDate {
                    date: "2026-01-05".into(),
                    intervals: vec![interval("09:00", "17:00")],
                    reason: "the only open day".into(),
                }],
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let e = client
        .add_business_time(add_stored(
            "calendars/one-day",
            "2026-06-01T00:00:00Z",
            HOUR,
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::FailedPrecondition);
    assert_eq!(
        between(
            &server,
            between_stored(
                "calendars/one-day",
                "2026-01-01T00:00:00Z",
                "2026-06-01T00:00:00Z"
            )
        )
        .await,
        8 * HOUR
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// SlaService.GetObligations and RecordObligationCompletion
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn premium_obligations_and_recording() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::ObligationKind::{DeploymentReview, RoadmapWebinar, WeeklyStatusCall};
    use pb::ObligationStatus::{Due, OnTrack, Overdue};
    let at = "2026-06-03T12:00:00Z";

    // acme/2026 starts Thursday 2026-01-01 00:00Z. At 2026-06-03 12:00Z (153.5 days in):
    // - weekly call: week 21 (21 * 7 = 147 days) = 2026-05-28..2026-06-04; week 20 had no
    //   call, so OVERDUE since the end of that missed week, 2026-05-28.
    // - deployment review: contract year 0 = 2026-01-01..2027-01-01 (the contract's end),
    //   2 required, none yet, no previous year: DUE by 2027-01-01.
    // - roadmap webinar: quarter 1 = 2026-04-01..2026-07-01; quarter 0 had none: OVERDUE
    //   since 2026-04-01.
    let r = obligations(&server, "acme", at).await;
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots(at));
    assert_eq!(
        r.obligations,
        vec![
            obligation(
                WeeklyStatusCall,
                Overdue,
                ("2026-05-28T00:00:00Z", "2026-06-04T00:00:00Z"),
                1,
                0,
                Some("2026-05-28T00:00:00Z"),
                None
            ),
            obligation(
                DeploymentReview,
                Due,
                ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                2,
                0,
                Some("2027-01-01T00:00:00Z"),
                None
            ),
            obligation(
                RoadmapWebinar,
                Overdue,
                ("2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z"),
                1,
                0,
                Some("2026-04-01T00:00:00Z"),
                None
            ),
        ]
    );

    // Record this week's status call (Tuesday 2026-06-02 10:00Z). The contract and its
    // version do not change.
    let rec = client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "weekly call, 6 attendees",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rec.contract, acme_2026());
    let o = rec.obligation.expect("obligation");
    assert_eq!(o.kind, WeeklyStatusCall as i32);
    assert_eq!(o.required_per_period, 1);
    assert_eq!(o.last_completion_time, ots("2026-06-02T10:00:00Z"));

    // Now the week is ON_TRACK; the next call is due by the end of the next week
    // (2026-06-04 + 7 days = 2026-06-11). The other obligations are unchanged.
    let r = obligations(&server, "acme", at).await;
    assert_eq!(
        r.obligations[0],
        obligation(
            WeeklyStatusCall,
            OnTrack,
            ("2026-05-28T00:00:00Z", "2026-06-04T00:00:00Z"),
            1,
            1,
            Some("2026-06-11T00:00:00Z"),
            Some("2026-06-02T10:00:00Z")
        )
    );
    assert_eq!(r.obligations[1].status, Due as i32);
    assert_eq!(r.obligations[2].status, Overdue as i32);
    // Before the call took place it is not counted.
    let r = obligations(&server, "acme", "2026-06-02T09:59:59Z").await;
    assert_eq!(
        r.obligations[0],
        obligation(
            WeeklyStatusCall,
            Overdue,
            ("2026-05-28T00:00:00Z", "2026-06-04T00:00:00Z"),
            1,
            0,
            Some("2026-05-28T00:00:00Z"),
            None
        )
    );
    // The following week: the previous one was fulfilled, so DUE by its end.
    let r = obligations(&server, "acme", "2026-06-05T00:00:00Z").await;
    assert_eq!(
        r.obligations[0],
        obligation(
            WeeklyStatusCall,
            Due,
            ("2026-06-04T00:00:00Z", "2026-06-11T00:00:00Z"),
            1,
            0,
            Some("2026-06-11T00:00:00Z"),
            Some("2026-06-02T10:00:00Z")
        )
    );

    // A retry with the same kind and completion_time is not recorded twice.
    let retry = client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "retry",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry.contract, acme_2026());
    let r = obligations(&server, "acme", at).await;
    assert_eq!(r.obligations[0].completed_in_period, 1);

    // Two deployment reviews in the contract year: ON_TRACK; the contract ends before a
    // next contract year starts, so there is no next due time.
    for t in ["2026-02-10T10:00:00Z", "2026-05-20T10:00:00Z"] {
        client
            .record_obligation_completion(record(ACME_2026, DeploymentReview, Some(t), ""))
            .await
            .unwrap();
    }
    let r = obligations(&server, "acme", at).await;
    assert_eq!(
        r.obligations[1],
        obligation(
            DeploymentReview,
            OnTrack,
            ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            2,
            2,
            None,
            Some("2026-05-20T10:00:00Z")
        )
    );
    // The webinar recorded in quarter 0 (2026-03-15) fulfils it; at 2026-06-03 quarter 1
    // has none yet but quarter 0 was fulfilled: DUE by 2026-07-01.
    client
        .record_obligation_completion(record(
            ACME_2026,
            RoadmapWebinar,
            Some("2026-03-15T15:00:00Z"),
            "Q1 roadmap webinar",
        ))
        .await
        .unwrap();
    let r = obligations(&server, "acme", at).await;
    assert_eq!(
        r.obligations[2],
        obligation(
            RoadmapWebinar,
            Due,
            ("2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z"),
            1,
            0,
            Some("2026-07-01T00:00:00Z"),
            Some("2026-03-15T15:00:00Z")
        )
    );
    // Recording does not change the contract's version.
    let c = server
        .contracts()
        .get_contract(pb::GetContractRequest {
            name: ACME_2026.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .contract
        .unwrap();
    assert_eq!(c.version, 3);
    server.stop().await;
}

#[tokio::test]
async fn recording_now_and_after_the_contract_ended() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::ObligationKind::WeeklyStatusCall;
    const WEEK: i64 = 7 * 24 * HOUR;

    // An open-ended premium contract from Thursday 2026-01-01: a call recorded "now"
    // (default completion_time) makes the current week ON_TRACK, evaluated now.
    new_account_in(&server, "nowco", "UTC").await;
    new_contract(
        &server,
        "nowco",
        "main",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let before = now_secs();
    let rec = client
        .record_obligation_completion(record(
            "accounts/nowco/contracts/main",
            WeeklyStatusCall,
            None,
            "call",
        ))
        .await
        .unwrap()
        .into_inner();
    let after = now_secs();
    assert_eq!(
        rec.contract,
        cref("accounts/nowco/contracts/main", 1, "premium")
    );
    let o = rec.obligation.unwrap();
    let start = ts("2026-01-01T00:00:00Z").seconds;
    let last = o.last_completion_time.unwrap().seconds;
    assert!(
        before <= last && last <= after,
        "completion_time defaults to now"
    );
    let ps = o.period_start_time.unwrap().seconds;
    assert_eq!(
        (ps - start) % WEEK,
        0,
        "weeks anchored at the contract start"
    );
    assert!(ps <= last && last < ps + WEEK);
    assert_eq!(o.status, pb::ObligationStatus::OnTrack as i32);
    assert_eq!(o.completed_in_period, 1);
    assert_eq!(
        o.period_end_time,
        Some(Timestamp {
            seconds: ps + WEEK,
            nanos: 0
        })
    );
    assert_eq!(
        o.next_due_time,
        Some(Timestamp {
            seconds: ps + 2 * WEEK,
            nanos: 0
        })
    );

    // A premium contract that has ended (Thursday 2025-01-02 .. 2026-01-01): the answer is
    // evaluated at completion_time. 2025-03-05 10:00Z is 62 days in: week 8 (56 days) =
    // 2025-02-27..2025-03-06, fulfilled by this call: ON_TRACK, next due at the end of
    // week 9 = 2025-01-02 + 70 days = 2025-03-13.
    new_account_in(&server, "oldco", "UTC").await;
    new_contract(
        &server,
        "oldco",
        "y2025",
        "plans/premium",
        "2025-01-02T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;
    let rec = client
        .record_obligation_completion(record(
            "accounts/oldco/contracts/y2025",
            WeeklyStatusCall,
            Some("2025-03-05T10:00:00Z"),
            "",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rec.obligation,
        Some(obligation(
            WeeklyStatusCall,
            pb::ObligationStatus::OnTrack,
            ("2025-02-27T00:00:00Z", "2025-03-06T00:00:00Z"),
            1,
            1,
            Some("2025-03-13T00:00:00Z"),
            Some("2025-03-05T10:00:00Z")
        ))
    );
    server.stop().await;
}

#[tokio::test]
async fn obligation_errors_and_non_premium() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::ObligationKind::WeeklyStatusCall;

    // Standard and extended contracts have no obligations; an account without an
    // effective contract has neither a contract nor obligations.
    let r = obligations(&server, "initech", "2026-06-03T12:00:00Z").await;
    assert_eq!(r.contract, initech());
    assert!(r.obligations.is_empty());
    let r = obligations(&server, "globex", "2026-06-03T12:00:00Z").await;
    assert_eq!(r.contract, globex());
    assert!(r.obligations.is_empty());
    let r = obligations(&server, "umbrella", "2026-06-03T12:00:00Z").await;
    assert_eq!((r.contract, r.obligations), (None, vec![]));
    assert_eq!(r.check_time, ots("2026-06-03T12:00:00Z"));
    // Default check_time: now, echoed.
    let before = now_secs();
    let r = client
        .get_obligations(pb::GetObligationsRequest {
            account: "accounts/acme".into(),
            check_time: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.check_time, before, now_secs());
    let e = client
        .get_obligations(pb::GetObligationsRequest {
            account: "accounts/nope".into(),
            check_time: None,
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);

    // Recording on a standard contract: FAILED_PRECONDITION.
    let e = client
        .record_obligation_completion(record(
            INITECH,
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::FailedPrecondition);
    assert!(details(&e).precondition_failure().is_some());

    // completion_time in the future, or outside the contract's period: INVALID_ARGUMENT
    // naming completion_time.
    new_account_in(&server, "nowco", "UTC").await;
    new_contract(
        &server,
        "nowco",
        "main",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let tomorrow = Timestamp {
        seconds: now_secs() + 24 * HOUR,
        nanos: 0,
    };
    let e = client
        .record_obligation_completion(pb::RecordObligationCompletionRequest {
            completion_time: Some(tomorrow),
            ..record("accounts/nowco/contracts/main", WeeklyStatusCall, None, "")
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "completion_time");
    // Before acme/2026 started.
    let e = client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2025-12-31T23:59:59Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "completion_time");
    // At the end of a contract that already ended (end exclusive), so the instant is not
    // in the future but outside the period.
    new_account_in(&server, "oldco", "UTC").await;
    new_contract(
        &server,
        "oldco",
        "y2025",
        "plans/premium",
        "2025-01-02T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;
    let e = client
        .record_obligation_completion(record(
            "accounts/oldco/contracts/y2025",
            WeeklyStatusCall,
            Some("2026-01-01T00:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "completion_time");

    // Unspecified kind; a note over 2000 characters (2000 is fine).
    let e = client
        .record_obligation_completion(record(
            ACME_2026,
            pb::ObligationKind::Unspecified,
            Some("2026-06-02T10:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "kind");
    client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            &"n".repeat(2000),
        ))
        .await
        .unwrap();
    let e = client
        .record_obligation_completion(record(
            ACME_2026,
            WeeklyStatusCall,
            Some("2026-06-03T10:00:00Z"),
            &"n".repeat(2001),
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "note");

    // Unknown or malformed contract name.
    let e = client
        .record_obligation_completion(record(
            "accounts/acme/contracts/nope",
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = client
        .record_obligation_completion(record(
            "acme/2026",
            WeeklyStatusCall,
            Some("2026-06-02T10:00:00Z"),
            "",
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contract");
    server.stop().await;
}
