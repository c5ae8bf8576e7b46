//! EntitlementService.CheckSupportAvailability.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// EntitlementService.CheckSupportAvailability
// ---------------------------------------------------------------------------------------

use pb::AvailabilityReason as A;
use pb::Channel::{Online, Phone};
use pb::Priority::{P1, P2, P3};

#[tokio::test]
async fn premium_p1_is_covered_around_the_clock() {
    // Premium phone P1 on Sunday 2026-06-07 03:00 Berlin.
    let server = TestServer::start_demo().await;
    let r = availability(&server, "acme", Phone, P1, "2026-06-07T03:00:00+02:00").await;
    assert!(r.available);
    assert_eq!(r.reason, A::Covered24x7 as i32);
    assert_eq!(r.coverage, pb::Coverage::Coverage24x7 as i32);
    assert_eq!(r.next_available_time, None);
    assert_eq!(r.contract, acme_2026());
    assert_eq!(r.check_time, ots("2026-06-07T01:00:00Z"));
    server.stop().await;
}

#[tokio::test]
async fn a_priority_without_terms_waits_for_business_hours() {
    // P3 has no terms: business hours, so the phone line opens Monday 09:00.
    let server = TestServer::start_demo().await;
    let r = availability(&server, "acme", Phone, P3, "2026-06-07T03:00:00+02:00").await;
    assert!(!r.available);
    assert_eq!(r.reason, A::OutsideBusinessHours as i32);
    assert_eq!(r.coverage, pb::Coverage::BusinessHours as i32);
    assert_eq!(r.next_available_time, ots("2026-06-08T09:00:00+02:00"));
    server.stop().await;
}

#[tokio::test]
async fn outside_business_hours_the_next_opening_is_named() {
    // Standard online P1 on Saturday 2026-06-06 12:00 Seoul: business hours only, next
    // opening is Monday 2026-06-08 09:00 Seoul (= 00:00Z).
    let server = TestServer::start_demo().await;
    let r = availability(&server, "initech", Online, P1, "2026-06-06T12:00:00+09:00").await;
    assert!(!r.available);
    assert_eq!(r.reason, A::OutsideBusinessHours as i32);
    assert_eq!(r.coverage, pb::Coverage::BusinessHours as i32);
    assert_eq!(r.next_available_time, ots("2026-06-08T09:00:00+09:00"));
    assert_eq!(r.contract, initech());
    assert!(!r.explanation.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn within_business_hours_support_is_available() {
    // Monday 10:00 Seoul: open.
    let server = TestServer::start_demo().await;
    let r = availability(&server, "initech", Online, P1, "2026-06-08T10:00:00+09:00").await;
    assert!(r.available);
    assert_eq!(r.reason, A::WithinBusinessHours as i32);
    assert_eq!(r.next_available_time, None);
    server.stop().await;
}

#[tokio::test]
async fn in_the_lunch_break_the_next_opening_is_after_lunch() {
    // Monday 12:30 Seoul: next opening 13:00 the same day.
    let server = TestServer::start_demo().await;
    let r = availability(&server, "initech", Online, P2, "2026-06-08T12:30:00+09:00").await;
    assert!(!r.available);
    assert_eq!(r.reason, A::OutsideBusinessHours as i32);
    assert_eq!(r.next_available_time, ots("2026-06-08T13:00:00+09:00"));
    server.stop().await;
}

#[tokio::test]
async fn a_channel_outside_the_plan_is_not_available() {
    // Standard has no phone channel.
    let server = TestServer::start_demo().await;
    let r = availability(&server, "initech", Phone, P1, "2026-06-08T10:00:00+09:00").await;
    assert!(!r.available);
    assert_eq!(r.reason, A::ChannelNotInPlan as i32);
    assert_eq!(r.next_available_time, None);
    assert_eq!(r.coverage, pb::Coverage::BusinessHours as i32);
    assert_eq!(r.contract, initech());
    server.stop().await;
}

// Extended on Thanksgiving 2026-11-26 (closed date of `americas`) 10:00 New York.
const THANKSGIVING: &str = "2026-11-26T10:00:00-05:00";

#[tokio::test]
async fn extended_p1_is_covered_on_a_closed_date() {
    let server = TestServer::start_demo().await;
    let r = availability(&server, "globex", Online, P1, THANKSGIVING).await;
    assert_eq!(
        (r.available, r.reason, r.coverage),
        (
            true,
            A::Covered24x7 as i32,
            pb::Coverage::Coverage24x7 as i32
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn extended_p2_waits_for_the_day_after_a_closed_date() {
    // Friday 2026-11-27 08:00 (EST, -05:00).
    let server = TestServer::start_demo().await;
    let r = availability(&server, "globex", Online, P2, THANKSGIVING).await;
    assert!(!r.available);
    assert_eq!(r.reason, A::OutsideBusinessHours as i32);
    assert_eq!(r.next_available_time, ots("2026-11-27T08:00:00-05:00"));
    assert_eq!(r.contract, globex());
    server.stop().await;
}

#[tokio::test]
async fn an_expired_contract_has_no_availability_next_time_or_coverage() {
    let server = TestServer::start_demo().await;
    let r = availability(&server, "umbrella", Online, P1, "2026-06-01T10:00:00Z").await;
    assert!(!r.available);
    assert_eq!(r.reason, A::ContractExpired as i32);
    assert_eq!(r.next_available_time, None);
    assert_eq!(r.coverage, pb::Coverage::Unspecified as i32);
    assert_eq!(r.contract, umbrella());
    server.stop().await;
}

#[tokio::test]
async fn an_account_without_contracts_has_no_active_contract() {
    let server = TestServer::start_demo().await;
    new_account_in(&server, "newco", "UTC").await;
    let r = availability(&server, "newco", Online, P1, "2026-06-01T10:00:00Z").await;
    assert_eq!(
        (r.available, r.reason, r.contract, r.next_available_time),
        (false, A::NoActiveContract as i32, None, None)
    );
    server.stop().await;
}

#[tokio::test]
async fn availability_next_time_under_a_contract_not_yet_started() {
    let server = TestServer::start_demo().await;

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

fn acme_online_p2(check_time: Option<Timestamp>) -> pb::CheckSupportAvailabilityRequest {
    pb::CheckSupportAvailabilityRequest {
        account: "accounts/acme".into(),
        channel: Online as i32,
        priority: P2 as i32,
        check_time,
    }
}

#[tokio::test]
async fn availability_check_time_defaults_to_now() {
    let server = TestServer::start_demo().await;
    let before = now_secs();
    let r = server
        .entitlements()
        .check_support_availability(acme_online_p2(None))
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.check_time, before, now_secs());
    server.stop().await;
}

#[tokio::test]
async fn bad_availability_requests_are_refused_naming_the_field() {
    let server = TestServer::start_demo().await;
    let ok = || acme_online_p2(ots("2026-06-01T10:00:00Z"));
    for (request, field) in [
        (
            pb::CheckSupportAvailabilityRequest {
                channel: pb::Channel::Unspecified as i32,
                ..ok()
            },
            "channel",
        ),
        (
            pb::CheckSupportAvailabilityRequest {
                priority: pb::Priority::Unspecified as i32,
                ..ok()
            },
            "priority",
        ),
    ] {
        let e = server
            .entitlements()
            .check_support_availability(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn availability_for_an_unknown_account_is_not_found() {
    let server = TestServer::start_demo().await;
    let e = server
        .entitlements()
        .check_support_availability(pb::CheckSupportAvailabilityRequest {
            account: "accounts/nope".into(),
            ..acme_online_p2(ots("2026-06-01T10:00:00Z"))
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn a_contract_not_started_with_a_scheduled_termination_names_its_first_available_time() {
    let server = TestServer::start().await;
    new_account_in(&server, "acme", "UTC").await;
    let c = new_contract(
        &server,
        "acme",
        "c",
        "plans/premium",
        "2027-01-01T00:00:00Z",
        None,
    )
    .await;
    terminate(&server, &c.name, Some("2027-02-01T00:00:00Z"), &c.etag)
        .await
        .unwrap();
    let before = availability(&server, "acme", Phone, P1, "2026-12-31T00:00:00Z").await;
    assert_eq!(
        before.reason,
        pb::AvailabilityReason::ContractNotStarted as i32
    );
    assert_eq!(before.next_available_time, ots("2027-01-01T00:00:00Z"));
    // The answer at that instant agrees: available under the same contract.
    let at_start = availability(&server, "acme", Phone, P1, "2027-01-01T00:00:00Z").await;
    assert!(at_start.available);
    assert_eq!(at_start.contract, before.contract);
    server.stop().await;
}

#[tokio::test]
async fn a_contract_cancelled_before_its_start_has_no_available_time() {
    let server = TestServer::start().await;
    new_account_in(&server, "acme", "UTC").await;
    let c = new_contract(
        &server,
        "acme",
        "c",
        "plans/premium",
        "2027-01-01T00:00:00Z",
        None,
    )
    .await;
    terminate(&server, &c.name, Some("2026-12-01T00:00:00Z"), &c.etag)
        .await
        .unwrap();
    let r = availability(&server, "acme", Phone, P1, "2026-11-30T00:00:00Z").await;
    assert!(!r.available);
    assert_eq!(r.next_available_time, None);
    server.stop().await;
}
