//! Entitlements: which contract applies at an instant and why not, benefit checks, contract
//! overrides and availability by channel, priority and instant.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// 5. Entitlements
// ---------------------------------------------------------------------------------------

fn denied_reason(at: ContractAt<'_>) -> (DecisionReason, Option<String>) {
    match at {
        ContractAt::Effective(c) => panic!("expected a denial, got effective {}", c.id),
        ContractAt::Denied(r, c) => (r, c.map(|c| c.id.clone())),
    }
}

fn effective_id(at: ContractAt<'_>) -> String {
    match at {
        ContractAt::Effective(c) => c.id.clone(),
        ContractAt::Denied(r, _) => panic!("expected an effective contract, got {r}"),
    }
}

#[test]
fn contract_at_names_the_reason() {
    let at = t("2026-06-01T00:00:00Z");
    // No contract at all.
    assert_eq!(
        denied_reason(contract_at([].iter(), at)),
        (DecisionReason::NoActiveContract, None)
    );
    // Not yet started: starts 2027-01-01; in force from exactly its start.
    let future = [contract("c-2027", "standard", "2027-01-01T00:00:00Z", None)];
    assert_eq!(
        denied_reason(contract_at(future.iter(), at)),
        (DecisionReason::ContractNotStarted, Some("c-2027".into()))
    );
    assert_eq!(
        effective_id(contract_at(future.iter(), t("2027-01-01T00:00:00Z"))),
        "c-2027"
    );
    // Expired: [2025-01-01, 2026-01-01), end exclusive.
    let past = [contract(
        "c-2025",
        "standard",
        "2025-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )];
    assert_eq!(
        denied_reason(contract_at(past.iter(), t("2026-01-01T00:00:00Z"))),
        (DecisionReason::ContractExpired, Some("c-2025".into()))
    );
    assert_eq!(
        effective_id(contract_at(past.iter(), t("2025-12-31T23:59:59Z"))),
        "c-2025"
    );
    // Suspended.
    let mut suspended = contract("c-s", "premium", "2026-01-01T00:00:00Z", None);
    suspended.state = ContractState::Suspended;
    assert_eq!(
        denied_reason(contract_at(std::iter::once(&suspended), at)),
        (DecisionReason::ContractSuspended, Some("c-s".into()))
    );
    // Terminated on 2026-05-01: effective before, terminated after.
    let mut terminated = contract(
        "c-t",
        "premium",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    );
    terminated.terminate(t("2026-05-01T00:00:00Z")).unwrap();
    let terminated = [terminated];
    assert_eq!(
        denied_reason(contract_at(terminated.iter(), at)),
        (DecisionReason::ContractTerminated, Some("c-t".into()))
    );
    assert_eq!(
        effective_id(contract_at(terminated.iter(), t("2026-04-30T23:59:59Z"))),
        "c-t"
    );
    // Still terminated after the end it never reached: its period ended by termination,
    // and the explanation names the termination, not the end.
    let after_end = t("2027-03-01T00:00:00Z");
    assert_eq!(
        denied_reason(contract_at(terminated.iter(), after_end)),
        (DecisionReason::ContractTerminated, Some("c-t".into()))
    );
    assert_eq!(
        explain_denial(
            DecisionReason::ContractTerminated,
            terminated.first(),
            after_end
        ),
        "contract c-t (version 1) was terminated at 2026-05-01 00:00:00 UTC"
    );
    // Terminated at its end or later: it expired.
    let mut late = contract(
        "c-late",
        "premium",
        "2025-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    );
    late.terminate(t("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!(
        denied_reason(contract_at(std::iter::once(&late), at)),
        (DecisionReason::ContractExpired, Some("c-late".into()))
    );
    // Of two ended contracts, the one whose period ended last decides: c-a ran until its
    // termination on 2026-03-01 (its end date, 2027-01-01, is later), c-b until its end
    // on 2026-09-01. c-b decides.
    let mut a = contract(
        "c-a",
        "premium",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    );
    a.terminate(t("2026-03-01T00:00:00Z")).unwrap();
    let b = contract(
        "c-b",
        "standard",
        "2026-03-01T00:00:00Z",
        Some("2026-09-01T00:00:00Z"),
    );
    assert_eq!(
        denied_reason(contract_at([a, b].iter(), after_end)),
        (DecisionReason::ContractExpired, Some("c-b".into()))
    );
    // An upcoming contract cancelled before its start is terminated, not "not started".
    let mut cancelled = contract("c-x", "standard", "2027-01-01T00:00:00Z", None);
    cancelled.terminate(t("2026-03-01T00:00:00Z")).unwrap();
    assert_eq!(
        denied_reason(contract_at(std::iter::once(&cancelled), at)),
        (DecisionReason::ContractTerminated, Some("c-x".into()))
    );
    // Effective among an expired and an upcoming one.
    let all = [
        past[0].clone(),
        contract(
            "c-2026",
            "extended",
            "2026-01-01T00:00:00Z",
            Some("2027-01-01T00:00:00Z"),
        ),
        future[0].clone(),
    ];
    assert_eq!(effective_id(contract_at(all.iter(), at)), "c-2026");
}

#[test]
fn benefit_checks_follow_plan_and_contacts() {
    // A premium-only benefit on standard.
    let std_contract = contract("c-std", "standard", "2026-01-01T00:00:00Z", None);
    let std_terms = std_contract.terms(&plan("standard"));
    let (ok, reason, _) = check_benefit(
        &std_contract,
        &std_terms,
        Benefit::TechnicalAccountManager,
        None,
        &CaseContext::default(),
    );
    assert!(!ok);
    assert_eq!(reason, DecisionReason::BenefitNotInPlan);

    // Premium with one designated contact.
    let mut prem = contract("c-prem", "premium", "2026-01-01T00:00:00Z", None);
    let prem_terms = prem.terms(&plan("premium"));
    prem.add_contact(
        DesignatedContact {
            email: "ops@acme.example".into(),
            display_name: "Ops".into(),
            added_at: t("2026-01-02T00:00:00Z"),
        },
        &prem_terms,
    )
    .unwrap();
    let tam = Benefit::TechnicalAccountManager;
    let (ok, reason, text) = check_benefit(
        &prem,
        &prem_terms,
        tam,
        Some("OPS@acme.example"),
        &CaseContext::default(),
    );
    assert!(ok, "{text}");
    assert_eq!(reason, DecisionReason::Granted);
    assert!(
        text.contains("c-prem") && text.contains("version 1"),
        "{text}"
    );
    let (ok, reason, _) = check_benefit(
        &prem,
        &prem_terms,
        tam,
        Some("intern@acme.example"),
        &CaseContext::default(),
    );
    assert!(!ok);
    assert_eq!(reason, DecisionReason::ContactNotDesignated);
}

#[test]
fn overrides_add_remove_retarget_and_raise_the_contact_limit() {
    let mut c = contract("c-std", "standard", "2026-01-01T00:00:00Z", None);
    c.overrides.added_benefits.insert(Benefit::UpgradeSupport);
    c.overrides.removed_benefits.insert(Benefit::OnlineSupport);
    // Custom P1 terms: 4h first response around the clock, updates every 6h.
    c.overrides.priority_terms = vec![PriorityTerms {
        priority: Priority::P1,
        coverage: Coverage::AroundTheClock,
        first_response: Some(Duration::from_secs(4 * HOUR)),
        update_cadence: Some(Duration::from_secs(6 * HOUR)),
        at_risk: AtRiskThresholds::default(),
    }];
    c.overrides.extra_designated_contacts = 2;
    c.check().unwrap();
    let terms = c.terms(&plan("standard"));

    // Added benefit granted, removed benefit refused, and online is no longer a channel.
    let (ok, reason, _) = check_benefit(
        &c,
        &terms,
        Benefit::UpgradeSupport,
        None,
        &CaseContext::default(),
    );
    assert!(ok);
    assert_eq!(reason, DecisionReason::Granted);
    let (ok, reason, _) = check_benefit(
        &c,
        &terms,
        Benefit::OnlineSupport,
        None,
        &CaseContext::default(),
    );
    assert!(!ok);
    assert_eq!(reason, DecisionReason::BenefitNotInPlan);
    assert!(terms.channels().is_empty());

    // Custom P1: Sat 2026-06-06 10:00 CEST + 4h continuous = 14:00; P2 is still the
    // plan's 24h business (Sat counts from Mon 09:00: Mon 8h, Tue 8h, Wed 8h -> Wed 17:00).
    let cal = berlin();
    let sat = t("2026-06-06T10:00:00+02:00");
    let p1 = deadline(
        terms.for_priority(Priority::P1),
        Milestone::FirstResponse,
        &cal,
        sat,
        &Pauses::none(),
    )
    .unwrap();
    assert_eq!(p1.clock, ClockKind::Continuous);
    assert_eq!(p1.due, Some(t("2026-06-06T14:00:00+02:00")));
    let p1u = deadline(
        terms.for_priority(Priority::P1),
        Milestone::NextUpdate,
        &cal,
        sat,
        &Pauses::none(),
    )
    .unwrap();
    assert_eq!(p1u.due, Some(t("2026-06-06T16:00:00+02:00")));
    let p2 = deadline(
        terms.for_priority(Priority::P2),
        Milestone::FirstResponse,
        &cal,
        sat,
        &Pauses::none(),
    )
    .unwrap();
    assert_eq!(p2.clock, ClockKind::BusinessHours);
    assert_eq!(p2.due, Some(t("2026-06-10T17:00:00+02:00")));

    // Limit 3 + 2 extra = 5: five adds succeed, the sixth is refused.
    assert_eq!(terms.designated_contact_limit, 5);
    let person = |i: u32| DesignatedContact {
        email: format!("p{i}@acme.example"),
        display_name: format!("Person {i}"),
        added_at: t("2026-01-02T00:00:00Z"),
    };
    for i in 0..5 {
        c.add_contact(person(i), &terms).unwrap();
    }
    assert_eq!(
        c.add_contact(person(5), &terms),
        Err(DomainError::ContactLimitReached { limit: 5 })
    );
    assert_eq!(c.contacts.len(), 5);

    // Without the add-on the plan's 3 is the limit.
    let mut plain = contract("c-plain", "standard", "2026-01-01T00:00:00Z", None);
    let plain_terms = plain.terms(&plan("standard"));
    for i in 0..3 {
        plain.add_contact(person(i), &plain_terms).unwrap();
    }
    assert_eq!(
        plain.add_contact(person(3), &plain_terms),
        Err(DomainError::ContactLimitReached { limit: 3 })
    );
}

#[test]
fn availability_by_channel_priority_and_instant() {
    let cal = berlin();
    // Sunday 2026-06-07 03:00 CEST.
    let sunday_3am = t("2026-06-07T03:00:00+02:00");
    // An open-ended contract, so every opening lies within its period.
    let open_ended = contract("c", "standard", "2026-01-01T00:00:00Z", None);

    // Premium P1 on the phone: covered 24x7.
    let a = availability(
        &open_ended,
        &tier_terms("premium"),
        &cal,
        Channel::Phone,
        Priority::P1,
        sunday_3am,
    )
    .unwrap();
    assert!(a.available);
    assert_eq!(a.reason, AvailabilityReason::Covered24x7);
    assert_eq!(a.next_available, None);
    assert_eq!(a.coverage, Coverage::AroundTheClock);

    // Standard P1 online: business hours only; next opening Mon 2026-06-08 09:00 CEST.
    let standard = tier_terms("standard");
    let a = availability(
        &open_ended,
        &standard,
        &cal,
        Channel::Online,
        Priority::P1,
        sunday_3am,
    )
    .unwrap();
    assert!(!a.available);
    assert_eq!(a.reason, AvailabilityReason::OutsideBusinessHours);
    assert_eq!(a.next_available, Some(t("2026-06-08T09:00:00+02:00")));
    assert_eq!(a.coverage, Coverage::BusinessHours);

    // Standard P1 online on Monday 10:00: inside business hours.
    let a = availability(
        &open_ended,
        &standard,
        &cal,
        Channel::Online,
        Priority::P1,
        t("2026-06-08T10:00:00+02:00"),
    )
    .unwrap();
    assert!(a.available);
    assert_eq!(a.reason, AvailabilityReason::WithinBusinessHours);

    // Christmas Eve 12:30 CET (closed at 12:00), Christmas Day closed, weekend:
    // next opening Mon 2026-12-28 09:00 CET.
    let a = availability(
        &open_ended,
        &standard,
        &cal,
        Channel::Online,
        Priority::P1,
        t("2026-12-24T12:30:00+01:00"),
    )
    .unwrap();
    assert!(!a.available);
    assert_eq!(a.next_available, Some(t("2026-12-28T09:00:00+01:00")));

    // Standard has no phone line.
    let a = availability(
        &open_ended,
        &standard,
        &cal,
        Channel::Phone,
        Priority::P1,
        sunday_3am,
    )
    .unwrap();
    assert!(!a.available);
    assert_eq!(a.reason, AvailabilityReason::ChannelNotInPlan);
    assert_eq!(a.next_available, None);
}
