//! Helpers shared by the modules of the API test binary: request builders, calls that
//! must succeed, and assertions on answers and on the error contract. The harness
//! (TestServer) and the smaller builders live in tests/common, re-exported here.

pub(crate) use crate::common::fixtures::*;
pub(crate) use crate::common::{TestServer, assert_invalid_field, details, secs, ts};
pub(crate) use chrono::Utc;
pub(crate) use entitlements::grpc::pb;
pub(crate) use pb::EscalationTarget::{
    SeniorSupportTeam, StandardSupportQueue, TechnicalAccountManager,
};
pub(crate) use prost_types::Timestamp;
pub(crate) use tonic::Code;

pub(crate) const MIN: i64 = 60;

/// Asserts FAILED_PRECONDITION with a PreconditionFailure about `subject`.
pub(crate) fn assert_precondition(status: &tonic::Status, subject: &str) {
    assert_status(status, Code::FailedPrecondition);
    let d = details(status);
    let pf = d
        .precondition_failure()
        .unwrap_or_else(|| panic!("no PreconditionFailure in {status:?}"));
    assert!(
        pf.violations.iter().any(|v| v.subject == subject),
        "expected a precondition violation on {subject}, got {:?}",
        pf.violations
    );
}

/// Asserts RESOURCE_EXHAUSTED with a QuotaFailure whose subject is the contract.
pub(crate) fn assert_quota(status: &tonic::Status, contract: &str) {
    assert_status(status, Code::ResourceExhausted);
    let d = details(status);
    let qf = d
        .quota_failure()
        .unwrap_or_else(|| panic!("no QuotaFailure in {status:?}"));
    assert!(
        qf.violations.iter().any(|v| v.subject == contract),
        "expected a quota violation on {contract}, got {:?}",
        qf.violations
    );
}

/// Monday to Friday 09:00-17:00 in `tz`.
pub(crate) fn office_calendar(tz: &str) -> pb::Calendar {
    use pb::DayOfWeek as D;
    pb::Calendar {
        display_name: "Office hours".into(),
        time_zone: tz.into(),
        weekly_hours: [D::Monday, D::Tuesday, D::Wednesday, D::Thursday, D::Friday]
            .into_iter()
            .map(|d| day(d, &[("09:00", "17:00")]))
            .collect(),
        ..Default::default()
    }
}

pub(crate) async fn create_calendar(
    server: &TestServer,
    id: &str,
    calendar: pb::Calendar,
) -> Result<pb::Calendar, tonic::Status> {
    server
        .accounts()
        .create_calendar(pb::CreateCalendarRequest {
            request_id: String::new(),
            calendar_id: id.into(),
            calendar: Some(calendar),
        })
        .await
        .map(|r| r.into_inner().calendar.expect("calendar"))
}

pub(crate) async fn get_calendar(server: &TestServer, name: &str) -> pb::Calendar {
    server
        .accounts()
        .get_calendar(pb::GetCalendarRequest { name: name.into() })
        .await
        .expect("GetCalendar")
        .into_inner()
        .calendar
        .expect("calendar")
}

pub(crate) async fn get_account(server: &TestServer, name: &str) -> pb::Account {
    server
        .accounts()
        .get_account(pb::GetAccountRequest { name: name.into() })
        .await
        .expect("GetAccount")
        .into_inner()
        .account
        .expect("account")
}

pub(crate) async fn get_contract(server: &TestServer, name: &str) -> pb::Contract {
    server
        .contracts()
        .get_contract(pb::GetContractRequest { name: name.into() })
        .await
        .expect("GetContract")
        .into_inner()
        .contract
        .expect("contract")
}

pub(crate) async fn remove_contact(
    server: &TestServer,
    contract: &str,
    email: &str,
) -> Result<pb::Contract, tonic::Status> {
    server
        .contracts()
        .remove_designated_contact(pb::RemoveDesignatedContactRequest {
            request_id: String::new(),
            contract: contract.into(),
            email: email.into(),
        })
        .await
        .map(|r| r.into_inner().contract.expect("contract"))
}

pub(crate) async fn terminate(
    server: &TestServer,
    contract: &str,
    at: Option<&str>,
    etag: &str,
) -> Result<pb::Contract, tonic::Status> {
    server
        .contracts()
        .terminate_contract(pb::TerminateContractRequest {
            request_id: String::new(),
            name: contract.into(),
            terminate_time: at.map(ts),
            etag: etag.into(),
        })
        .await
        .map(|r| r.into_inner().contract.expect("contract"))
}

pub(crate) async fn get_plan(server: &TestServer, name: &str) -> pb::Plan {
    server
        .catalog()
        .get_plan(pb::GetPlanRequest { name: name.into() })
        .await
        .expect("GetPlan")
        .into_inner()
        .plan
        .expect("plan")
}

/// The plan's terms for `p`, if it lists any.
pub(crate) fn terms_of(plan: &pb::Plan, p: pb::Priority) -> Option<&pb::PriorityTerms> {
    plan.priority_terms
        .iter()
        .find(|t| t.priority == i32::from(p))
}

pub(crate) fn emails(c: &pb::Contract) -> Vec<&str> {
    c.designated_contacts
        .iter()
        .map(|d| d.email.as_str())
        .collect()
}

pub(crate) const ALL_BENEFITS: [&str; 16] = [
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
];

pub(crate) const ACME_2026: &str = "accounts/acme/contracts/2026";
pub(crate) const ACME_2027: &str = "accounts/acme/contracts/2027";
pub(crate) const GLOBEX: &str = "accounts/globex/contracts/main";
pub(crate) const INITECH: &str = "accounts/initech/contracts/main";
pub(crate) const UMBRELLA: &str = "accounts/umbrella/contracts/old";

pub(crate) const HOUR: i64 = 3600;

/// The ContractRef an answer must carry.
pub(crate) fn cref(contract: &str, version: i64, plan: &str) -> Option<pb::ContractRef> {
    Some(pb::ContractRef {
        contract: contract.into(),
        version,
        plan: format!("plans/{plan}"),
    })
}

pub(crate) fn acme_2026() -> Option<pb::ContractRef> {
    cref(ACME_2026, 3, "premium")
}
pub(crate) fn acme_2027() -> Option<pb::ContractRef> {
    cref(ACME_2027, 2, "premium")
}
pub(crate) fn globex() -> Option<pb::ContractRef> {
    cref(GLOBEX, 2, "extended")
}
pub(crate) fn initech() -> Option<pb::ContractRef> {
    cref(INITECH, 2, "standard")
}
pub(crate) fn umbrella() -> Option<pb::ContractRef> {
    cref(UMBRELLA, 1, "standard")
}

pub(crate) fn osecs(s: i64) -> Option<prost_types::Duration> {
    Some(secs(s))
}

/// The wall-clock "now" bracketing a call, in whole seconds.
pub(crate) fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Asserts an echoed "now" lies within a generous window around the call (no timing
/// assertion on speed: one minute either side).
pub(crate) fn assert_close_to_now(echoed: &Option<Timestamp>, before: i64, after: i64) {
    let t = echoed.expect("the instant used is echoed");
    assert_eq!(t.nanos, 0, "whole seconds");
    assert!(
        before - 60 <= t.seconds && t.seconds <= after + 60,
        "echoed {t:?} is not close to now ({before}..{after})"
    );
}

pub(crate) fn reason(r: pb::DecisionReason) -> i32 {
    r as i32
}

pub(crate) async fn availability(
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

pub(crate) fn next_update(
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
pub(crate) fn assert_due(
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
pub(crate) fn assert_no_target(d: &pb::ComputeDeadlineResponse, contract: Option<pb::ContractRef>) {
    assert!(!d.has_target, "{d:?}");
    assert_eq!(d.due_time, None, "{d:?}");
    assert_eq!(d.target, None, "{d:?}");
    assert_eq!(d.clock, pb::Clock::Unspecified as i32, "{d:?}");
    assert_eq!(d.contract, contract, "{d:?}");
    assert!(!d.explanation.is_empty(), "the explanation says why");
}

pub(crate) fn terms(
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

pub(crate) const WORKDAYS: [pb::DayOfWeek; 5] = [
    pb::DayOfWeek::Monday,
    pb::DayOfWeek::Tuesday,
    pb::DayOfWeek::Wednesday,
    pb::DayOfWeek::Thursday,
    pb::DayOfWeek::Friday,
];

pub(crate) const ALL_DAYS: [pb::DayOfWeek; 7] = [
    pb::DayOfWeek::Monday,
    pb::DayOfWeek::Tuesday,
    pb::DayOfWeek::Wednesday,
    pb::DayOfWeek::Thursday,
    pb::DayOfWeek::Friday,
    pb::DayOfWeek::Saturday,
    pb::DayOfWeek::Sunday,
];

pub(crate) fn add_stored(calendar: &str, start: &str, duration: i64) -> pb::AddBusinessTimeRequest {
    pb::AddBusinessTimeRequest {
        calendar_source: Some(pb::add_business_time_request::CalendarSource::Calendar(
            calendar.into(),
        )),
        start_time: ots(start),
        duration: osecs(duration),
    }
}

pub(crate) fn add_inline(
    spec: pb::Calendar,
    start: &str,
    duration: i64,
) -> pb::AddBusinessTimeRequest {
    pb::AddBusinessTimeRequest {
        calendar_source: Some(pb::add_business_time_request::CalendarSource::CalendarSpec(
            spec,
        )),
        start_time: ots(start),
        duration: osecs(duration),
    }
}

pub(crate) fn between_stored(
    calendar: &str,
    start: &str,
    end: &str,
) -> pb::BusinessTimeBetweenRequest {
    pb::BusinessTimeBetweenRequest {
        calendar_source: Some(pb::business_time_between_request::CalendarSource::Calendar(
            calendar.into(),
        )),
        start_time: ots(start),
        end_time: ots(end),
    }
}

pub(crate) fn between_inline(
    spec: pb::Calendar,
    start: &str,
    end: &str,
) -> pb::BusinessTimeBetweenRequest {
    pb::BusinessTimeBetweenRequest {
        calendar_source: Some(
            pb::business_time_between_request::CalendarSource::CalendarSpec(spec),
        ),
        start_time: ots(start),
        end_time: ots(end),
    }
}

pub(crate) async fn add(server: &TestServer, r: pb::AddBusinessTimeRequest) -> Option<Timestamp> {
    server
        .sla()
        .add_business_time(r.clone())
        .await
        .unwrap_or_else(|s| panic!("add {r:?}: {s:?}"))
        .into_inner()
        .end_time
}

pub(crate) async fn between(server: &TestServer, r: pb::BusinessTimeBetweenRequest) -> i64 {
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

pub(crate) fn record(
    contract: &str,
    kind: pb::ObligationKind,
    at: Option<&str>,
    note: &str,
) -> pb::RecordObligationCompletionRequest {
    pb::RecordObligationCompletionRequest {
        request_id: String::new(),
        contract: contract.into(),
        kind: kind as i32,
        completion_time: at.map(ts),
        note: note.into(),
    }
}

pub(crate) async fn obligations(
    server: &TestServer,
    account: &str,
    at: &str,
) -> pb::GetObligationsResponse {
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
pub(crate) fn obligation(
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

/// A first-response deadline request assessed at `evaluate`.
pub(crate) fn first_response_at(
    account: &str,
    priority: pb::Priority,
    open: &str,
    evaluate: &str,
) -> pb::ComputeDeadlineRequest {
    pb::ComputeDeadlineRequest {
        evaluate_time: ots(evaluate),
        ..first_response(account, priority, open)
    }
}

/// One expected threshold: (fraction, crossed, cross time).
pub(crate) fn crossing(threshold: f64, crossed: bool, at: Option<&str>) -> pb::ThresholdCrossing {
    pb::ThresholdCrossing {
        threshold,
        crossed,
        cross_time: at.map(ts),
    }
}

/// Asserts an at-risk assessment: counted seconds out of the target, the highest
/// threshold crossed, every threshold, and the next crossing instant.
pub(crate) fn assert_at_risk(
    a: &Option<pb::AtRisk>,
    elapsed: i64,
    target: i64,
    highest: Option<f64>,
    thresholds: Vec<pb::ThresholdCrossing>,
    next: Option<&str>,
) {
    let a = a.as_ref().expect("an at-risk assessment");
    assert_eq!(a.elapsed, Some(secs(elapsed)), "elapsed of {a:?}");
    let expected = elapsed as f64 / target as f64;
    assert!(
        (a.elapsed_fraction - expected).abs() < 1e-12,
        "elapsed fraction {} is not {expected}",
        a.elapsed_fraction
    );
    assert_eq!(a.highest_crossed_threshold, highest, "highest of {a:?}");
    assert_eq!(a.thresholds, thresholds, "thresholds of {a:?}");
    assert_eq!(a.next_cross_time, next.map(ts), "next crossing of {a:?}");
    assert!(!a.explanation.is_empty());
}

/// Asserts an escalation path: its steps, whether it is managed and the TAM named.
pub(crate) fn assert_path(
    p: &Option<pb::EscalationPath>,
    targets: &[pb::EscalationTarget],
    managed: bool,
    tam: Option<(&str, &str)>,
) {
    let p = p.as_ref().expect("an escalation path");
    let want: Vec<i32> = targets.iter().map(|t| *t as i32).collect();
    assert_eq!(p.targets, want, "targets of {p:?}");
    assert_eq!(p.managed, managed, "managed of {p:?}");
    assert_eq!(
        p.technical_account_manager
            .as_ref()
            .map(|t| (t.display_name.as_str(), t.email.as_str())),
        tam,
        "TAM of {p:?}"
    );
    assert!(!p.explanation.is_empty());
}

pub(crate) const TESS: Option<(&str, &str)> = Some(("Tess Adams", "tess.adams@support.example"));

/// An open-ended contract on `plan` from 2026-01-01.
pub(crate) fn body(plan: &str) -> pb::Contract {
    contract_body(&format!("plans/{plan}"), "2026-01-01T00:00:00Z", None)
}

pub(crate) fn p1_terms(first_response: i64, thresholds: Vec<f64>) -> pb::PriorityTerms {
    pb::PriorityTerms {
        priority: pb::Priority::P1 as i32,
        coverage: pb::Coverage::Coverage24x7 as i32,
        first_response_target: Some(secs(first_response)),
        update_cadence: Some(secs(12 * HOUR)),
        at_risk_thresholds: thresholds,
    }
}

pub(crate) async fn create_plan(
    server: &TestServer,
    id: &str,
    plan: pb::Plan,
) -> Result<pb::Plan, tonic::Status> {
    server
        .catalog()
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: id.into(),
            plan: Some(plan),
        })
        .await
        .map(|r| r.into_inner().plan.expect("plan"))
}

/// UpdatePlan with `paths` as the mask (None: no mask).
pub(crate) async fn update_plan(
    server: &TestServer,
    plan: pb::Plan,
    paths: Option<&[&str]>,
) -> Result<pb::Plan, tonic::Status> {
    server
        .catalog()
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(plan),
            update_mask: paths.and_then(mask),
        })
        .await
        .map(|r| r.into_inner().plan.expect("plan"))
}
