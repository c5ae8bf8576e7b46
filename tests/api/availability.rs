//! EntitlementService.CheckSupportAvailability.

use crate::helpers::*;

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
    use pb::{Channel::Phone, Priority::P1};
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
    use pb::{Channel::Phone, Priority::P1};
    let r = availability(&server, "acme", Phone, P1, "2026-11-30T00:00:00Z").await;
    assert!(!r.available);
    assert_eq!(r.next_available_time, None);
    server.stop().await;
}
