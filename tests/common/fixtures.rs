//! Small request builders, calls and assertions shared by the end-to-end test files, so
//! that each file keeps only the fixtures particular to what it tests. Builders return
//! the protobuf message; `create_*` calls return the raw result for tests of the error
//! contract; `new_*` calls panic on failure for tests that only need the resource.

use entitlements::grpc::pb;
use prost_types::{FieldMask, Timestamp};
use tonic::Code;

use super::{TestServer, details, ts};

// ---- values ----

/// An optional protobuf timestamp from RFC 3339 text.
pub fn ots(rfc3339: &str) -> Option<Timestamp> {
    Some(ts(rfc3339))
}

/// An explicit update mask.
pub fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

// ---- errors ----

/// Asserts the status code and the ErrorInfo every error of this service carries: the
/// `entitlements` domain and an UPPER_SNAKE_CASE reason.
pub fn assert_status(status: &tonic::Status, code: Code) {
    assert_eq!(status.code(), code, "{status:?}");
    let d = details(status);
    let info = d
        .error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.domain, "entitlements", "{status:?}");
    assert!(
        !info.reason.is_empty()
            && info
                .reason
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
        "reason must be UPPER_SNAKE_CASE: {:?}",
        info.reason
    );
}

/// Asserts INVALID_ARGUMENT (with the ErrorInfo of [`assert_status`]) and a BadRequest
/// field violation for which `matches` holds; `expected` names it in the failure message.
fn assert_violation(status: &tonic::Status, expected: &str, matches: impl Fn(&str) -> bool) {
    assert_status(status, Code::InvalidArgument);
    let d = details(status);
    let br = d
        .bad_request()
        .unwrap_or_else(|| panic!("no BadRequest in {status:?}"));
    assert!(
        br.field_violations.iter().any(|v| matches(&v.field)),
        "expected a violation under {expected}, got {:?}",
        br.field_violations
    );
}

/// Asserts INVALID_ARGUMENT with a field violation whose path starts with the text
/// `prefix`, for the cases where the proto names the field but not the exact sub-path
/// (`calendar.weekly_hours` matches `calendar.weekly_hours[0].intervals`).
pub fn assert_invalid_field_under(status: &tonic::Status, prefix: &str) {
    assert_violation(status, prefix, |field| field.starts_with(prefix));
}

/// Asserts INVALID_ARGUMENT with a field violation on `field` itself or on one of its
/// sub-fields (`case` matches `case.open_time` but not `case_id`).
pub fn assert_invalid_under(status: &tonic::Status, field: &str) {
    let sub = format!("{field}.");
    assert_violation(status, field, |f| f == field || f.starts_with(&sub));
}

// ---- calendars ----

/// One open interval of local wall-clock times.
pub fn interval(open: &str, close: &str) -> pb::OpenInterval {
    pb::OpenInterval {
        open_time: open.into(),
        close_time: close.into(),
    }
}

/// The weekly hours of one day, from (open, close) pairs.
pub fn day(d: pb::DayOfWeek, intervals: &[(&str, &str)]) -> pb::WeeklyHours {
    pb::WeeklyHours {
        day_of_week: d.into(),
        intervals: intervals.iter().map(|(o, c)| interval(o, c)).collect(),
    }
}

// ---- accounts ----

/// An account named "Account {id}" in `time_zone`, without a calendar (so open Mon-Fri
/// 09:00-17:00 there).
pub fn account_body(id: &str, time_zone: &str) -> pb::Account {
    pb::Account {
        display_name: format!("Account {id}"),
        time_zone: time_zone.into(),
        ..Default::default()
    }
}

/// The request creating [`account_body`] under `id`, for tests that send it themselves.
pub fn account_request(id: &str, time_zone: &str) -> pb::CreateAccountRequest {
    pb::CreateAccountRequest {
        request_id: String::new(),
        account_id: id.into(),
        account: Some(account_body(id, time_zone)),
    }
}

pub async fn create_account(
    server: &TestServer,
    id: &str,
    account: pb::Account,
) -> Result<pb::Account, tonic::Status> {
    server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            request_id: String::new(),
            account_id: id.into(),
            account: Some(account),
        })
        .await
        .map(|r| r.into_inner().account.expect("account"))
}

/// Creates [`account_body`] in `time_zone`.
pub async fn new_account_in(server: &TestServer, id: &str, time_zone: &str) -> pb::Account {
    create_account(server, id, account_body(id, time_zone))
        .await
        .unwrap_or_else(|s| panic!("create account {id}: {s:?}"))
}

/// Creates an account in Europe/Berlin on the default office hours.
pub async fn new_account(server: &TestServer, id: &str) -> pb::Account {
    new_account_in(server, id, "Europe/Berlin").await
}

// ---- contracts ----

/// A contract on `plan` (a resource name, `plans/premium`) for a period.
pub fn contract_body(plan: &str, start: &str, end: Option<&str>) -> pb::Contract {
    pb::Contract {
        plan: plan.into(),
        start_time: Some(ts(start)),
        end_time: end.map(ts),
        ..Default::default()
    }
}

/// The request creating `contract` as `accounts/{account}/contracts/{id}`.
pub fn contract_request(
    account: &str,
    id: &str,
    contract: pb::Contract,
) -> pb::CreateContractRequest {
    pb::CreateContractRequest {
        request_id: String::new(),
        parent: format!("accounts/{account}"),
        contract_id: id.into(),
        contract: Some(contract),
    }
}

pub async fn create_contract(
    server: &TestServer,
    account: &str,
    id: &str,
    contract: pb::Contract,
) -> Result<pb::Contract, tonic::Status> {
    server
        .contracts()
        .create_contract(contract_request(account, id, contract))
        .await
        .map(|r| r.into_inner().contract.expect("contract"))
}

/// Creates [`contract_body`] as `accounts/{account}/contracts/{id}`.
pub async fn new_contract(
    server: &TestServer,
    account: &str,
    id: &str,
    plan: &str,
    start: &str,
    end: Option<&str>,
) -> pb::Contract {
    create_contract(server, account, id, contract_body(plan, start, end))
        .await
        .unwrap_or_else(|s| panic!("create contract {account}/{id}: {s:?}"))
}

pub async fn update_contract(
    server: &TestServer,
    contract: pb::Contract,
    paths: &[&str],
) -> Result<pb::Contract, tonic::Status> {
    server
        .contracts()
        .update_contract(pb::UpdateContractRequest {
            request_id: String::new(),
            contract: Some(contract),
            update_mask: mask(paths),
        })
        .await
        .map(|r| r.into_inner().contract.expect("contract"))
}

/// Adds a designated contact named "Contact {email}" to `contract` (a resource name).
pub async fn add_contact(
    server: &TestServer,
    contract: &str,
    email: &str,
) -> Result<pb::Contract, tonic::Status> {
    server
        .contracts()
        .add_designated_contact(pb::AddDesignatedContactRequest {
            request_id: String::new(),
            contract: contract.into(),
            contact: Some(pb::DesignatedContact {
                email: email.into(),
                display_name: format!("Contact {email}"),
                add_time: None,
            }),
        })
        .await
        .map(|r| r.into_inner().contract.expect("contract"))
}

// ---- entitlements ----

/// A CheckEntitlement request; without `at` the server uses its own "now".
pub fn check_req(
    account: &str,
    benefit: &str,
    at: Option<&str>,
    contact: Option<&str>,
) -> pb::CheckEntitlementRequest {
    pb::CheckEntitlementRequest {
        account: format!("accounts/{account}"),
        benefit: benefit.into(),
        check_time: at.map(ts),
        contact: contact.map(str::to_owned),
        ..Default::default()
    }
}

/// Sends a CheckEntitlement request that must succeed.
pub async fn send_check(
    server: &TestServer,
    r: pb::CheckEntitlementRequest,
) -> pb::CheckEntitlementResponse {
    server
        .entitlements()
        .check_entitlement(r.clone())
        .await
        .unwrap_or_else(|s| panic!("check {r:?}: {s:?}"))
        .into_inner()
}

/// Checks `benefit` for `account` at `at`, optionally for a contact.
pub async fn check(
    server: &TestServer,
    account: &str,
    benefit: &str,
    at: &str,
    contact: Option<&str>,
) -> pb::CheckEntitlementResponse {
    send_check(server, check_req(account, benefit, Some(at), contact)).await
}

pub async fn entitlements_at(
    server: &TestServer,
    account: &str,
    at: &str,
) -> pb::GetEntitlementsResponse {
    server
        .entitlements()
        .get_entitlements(pb::GetEntitlementsRequest {
            account: format!("accounts/{account}"),
            check_time: ots(at),
        })
        .await
        .unwrap_or_else(|s| panic!("entitlements {account} at {at}: {s:?}"))
        .into_inner()
}

// ---- SLA ----

/// A first-response deadline request for a case opened at `open`.
pub fn first_response(
    account: &str,
    priority: pb::Priority,
    open: &str,
) -> pb::ComputeDeadlineRequest {
    pb::ComputeDeadlineRequest {
        account: format!("accounts/{account}"),
        priority: priority as i32,
        open_time: ots(open),
        milestone: pb::Milestone::FirstResponse as i32,
        last_response_time: None,
        pauses: Vec::new(),
        evaluate_time: None,
    }
}

/// A pause of a case; open-ended without `end`.
pub fn pause(start: &str, end: Option<&str>) -> pb::Interval {
    pb::Interval {
        start_time: ots(start),
        end_time: end.map(ts),
    }
}

pub async fn deadline(
    server: &TestServer,
    r: pb::ComputeDeadlineRequest,
) -> pb::ComputeDeadlineResponse {
    server
        .sla()
        .compute_deadline(r.clone())
        .await
        .unwrap_or_else(|s| panic!("deadline {r:?}: {s:?}"))
        .into_inner()
}

/// Evaluates `case` at `at`; without it the server uses its own "now".
pub async fn evaluate(
    server: &TestServer,
    account: &str,
    case: pb::CaseTimeline,
    at: Option<&str>,
) -> pb::EvaluateCaseResponse {
    server
        .sla()
        .evaluate_case(pb::EvaluateCaseRequest {
            account: format!("accounts/{account}"),
            case: Some(case.clone()),
            evaluate_time: at.map(ts),
        })
        .await
        .unwrap_or_else(|s| panic!("evaluate {case:?}: {s:?}"))
        .into_inner()
}
