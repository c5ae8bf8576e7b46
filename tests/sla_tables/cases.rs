//! Case evaluation on case timelines: first response, update cadence, pauses, priority
//! changes, events after `now`, resolution, a case without a contract, and an update
//! before the first response refused.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// 4. Case evaluation
// ---------------------------------------------------------------------------------------

fn case(opened_at: &str, priority: Priority) -> CaseTimeline {
    CaseTimeline {
        opened_at: t(opened_at),
        priority,
        priority_changes: vec![],
        pauses: vec![],
        first_response_at: None,
        updates: vec![],
        resolved_at: None,
    }
}

/// (milestone, sequence, start, due, status, event, margin in seconds) of an evaluation.
type Summary = (
    Milestone,
    u32,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    MilestoneStatus,
    Option<DateTime<Utc>>,
    Option<i64>,
);

fn summary(m: &MilestoneEvaluation) -> Summary {
    (
        m.milestone,
        m.sequence,
        m.start,
        m.due,
        m.status,
        m.event_at,
        secs(m.margin),
    )
}

fn evaluate(tier: &str, c: &CaseTimeline, now: &str) -> Vec<MilestoneEvaluation> {
    evaluate_case(Some(&tier_terms(tier)), &berlin(), c, t(now))
        .unwrap()
        .milestones
}

// Standard P1 opened Mon 2026-06-08 09:00 CEST: 8h business, due Mon 17:00 CEST.
const MON_9: &str = "2026-06-08T09:00:00+02:00";

#[test]
fn first_response_met_early_and_breached_late() {
    // Early: response Mon 12:00, consumed 09-12 = 3h, margin 8h - 3h = 5h = 18000s.
    let mut c = case(MON_9, Priority::P1);
    c.first_response_at = Some(t("2026-06-08T12:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-08T12:30:00+02:00");
    assert_eq!(
        summary(&ms[0]),
        (
            Milestone::FirstResponse,
            0,
            t(MON_9),
            Some(t("2026-06-08T17:00:00+02:00")),
            MilestoneStatus::Met,
            Some(t("2026-06-08T12:00:00+02:00")),
            Some(18_000),
        )
    );
    assert_eq!(ms[0].clock, ClockKind::BusinessHours);
    assert_eq!(ms[0].target, Some(Duration::from_secs(8 * HOUR)));

    // Late: response Tue 10:30, consumed Mon 8h + Tue 09:00-10:30 1.5h = 9.5h,
    // margin 8h - 9.5h = -1.5h = -5400s.
    c.first_response_at = Some(t("2026-06-09T10:30:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-09T11:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Breached);
    assert_eq!(ms[0].due, Some(t("2026-06-08T17:00:00+02:00")));
    assert_eq!(ms[0].event_at, Some(t("2026-06-09T10:30:00+02:00")));
    assert_eq!(secs(ms[0].margin), Some(-5_400));

    // Exactly at the due instant is met with margin 0.
    c.first_response_at = Some(t("2026-06-08T17:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-08T18:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(0));
}

#[test]
fn pending_first_response_reports_time_left_at_now() {
    let c = case(MON_9, Priority::P1);
    // now Mon 15:00: consumed 6h, 2h = 7200s left; no update milestone yet.
    let ms = evaluate("standard", &c, "2026-06-08T15:00:00+02:00");
    assert_eq!(ms.len(), 1);
    assert_eq!(
        summary(&ms[0]),
        (
            Milestone::FirstResponse,
            0,
            t(MON_9),
            Some(t("2026-06-08T17:00:00+02:00")),
            MilestoneStatus::Pending,
            None,
            Some(7_200),
        )
    );
    // now Mon 22:00 (closed): 8h consumed, due passed -> breached, margin 0 (no open
    // time has elapsed since the due instant).
    let ms = evaluate("standard", &c, "2026-06-08T22:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Breached);
    assert_eq!(secs(ms[0].margin), Some(0));
    // now Tue 10:00: 8h + 1h consumed -> margin -1h = -3600s.
    let ms = evaluate("standard", &c, "2026-06-09T10:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Breached);
    assert_eq!(secs(ms[0].margin), Some(-3_600));
}

#[test]
fn update_cadence_resets_on_each_update() {
    // Premium P1: first response 30min, updates every 12h, both continuous.
    // Opened Mon 2026-06-08 09:00 CEST; R = 09:20, U1 = 20:00, U2 = Tue 09:00,
    // now = Tue 12:00.
    let mut c = case(MON_9, Priority::P1);
    let r = "2026-06-08T09:20:00+02:00";
    let u1 = "2026-06-08T20:00:00+02:00";
    let u2 = "2026-06-09T09:00:00+02:00";
    c.first_response_at = Some(t(r));
    c.updates = vec![t(u2), t(u1)]; // order does not matter
    let ms = evaluate("premium", &c, "2026-06-09T12:00:00+02:00");
    let got: Vec<Summary> = ms.iter().map(summary).collect();
    use Milestone::*;
    use MilestoneStatus::*;
    assert_eq!(
        got,
        vec![
            // FR due 09:00 + 30m = 09:30; met at 09:20 with 10m = 600s to spare.
            (
                FirstResponse,
                0,
                t(MON_9),
                Some(t("2026-06-08T09:30:00+02:00")),
                Met,
                Some(t(r)),
                Some(600),
            ),
            // #1 due R + 12h = 21:20; U1 at 20:00 used 10h40m, margin 1h20m = 4800s.
            (
                NextUpdate,
                1,
                t(r),
                Some(t("2026-06-08T21:20:00+02:00")),
                Met,
                Some(t(u1)),
                Some(4_800),
            ),
            // #2 due U1 + 12h = Tue 08:00; U2 at 09:00 used 13h, margin -1h = -3600s.
            (
                NextUpdate,
                2,
                t(u1),
                Some(t("2026-06-09T08:00:00+02:00")),
                Breached,
                Some(t(u2)),
                Some(-3_600),
            ),
            // #3 due U2 + 12h = Tue 21:00; at now 12:00 3h used, 9h = 32400s left.
            (
                NextUpdate,
                3,
                t(u2),
                Some(t("2026-06-09T21:00:00+02:00")),
                Pending,
                None,
                Some(32_400),
            ),
        ]
    );
    assert!(ms.iter().all(|m| m.clock == ClockKind::Continuous));
}

#[test]
fn business_hours_update_cadence_counts_open_time_only() {
    // Standard P1 update every 24h business. R = Mon 2026-06-08 16:00 CEST:
    // Mon 16-17 = 1h, Tue 8h (9h), Wed 8h (17h), Thu 09:00 + 7h = Thu 16:00.
    // U1 at Thu 16:30 is late by 0.5h of open time: margin -1800s.
    let mut c = case(MON_9, Priority::P1);
    c.first_response_at = Some(t("2026-06-08T16:00:00+02:00"));
    c.updates = vec![t("2026-06-11T16:30:00+02:00")];
    let ms = evaluate("standard", &c, "2026-06-11T17:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(3_600)); // 09:00-16:00 = 7h used of 8h
    assert_eq!(ms[1].due, Some(t("2026-06-11T16:00:00+02:00")));
    assert_eq!(ms[1].status, MilestoneStatus::Breached);
    assert_eq!(secs(ms[1].margin), Some(-1_800));
    // #2 from U1 Thu 16:30: Thu 0.5h, Fri 8h (8.5h), Mon 15 8h (16.5h), Tue 16 09:00 +
    // 7.5h = 16:30. At now Thu 17:00, 0.5h used: 23.5h = 84600s left.
    assert_eq!(ms[2].sequence, 2);
    assert_eq!(ms[2].due, Some(t("2026-06-16T16:30:00+02:00")));
    assert_eq!(ms[2].status, MilestoneStatus::Pending);
    assert_eq!(secs(ms[2].margin), Some(84_600));
}

#[test]
fn a_pause_pushes_the_deadline_by_its_business_time() {
    let cal = berlin();
    let terms = tier_terms("standard");
    let p1 = terms.for_priority(Priority::P1);
    let clock = BusinessClock::Calendar(&cal);
    let fr =
        |pauses: &Pauses| deadline(p1, Milestone::FirstResponse, &cal, t(MON_9), pauses).unwrap();
    let unpaused = fr(&Pauses::none()).due.unwrap();
    assert_eq!(unpaused, t("2026-06-08T17:00:00+02:00"));

    // Paused Mon 10:00-12:00 (2 business hours): due = Mon 17:00 + 2h business =
    // Tue 11:00.
    let inside = Pauses::new(vec![Pause {
        start: t("2026-06-08T10:00:00+02:00"),
        end: Some(t("2026-06-08T12:00:00+02:00")),
    }])
    .unwrap();
    let d = fr(&inside);
    assert_eq!(d.due, Some(t("2026-06-09T11:00:00+02:00")));
    assert_eq!(
        clock.between(unpaused, d.due.unwrap()).unwrap(),
        TimeDelta::hours(2)
    );
    let explanation = d.explanation(&cal, &inside).unwrap();
    assert!(explanation.contains("2h paused"), "{explanation}");

    // Paused Mon 16:00 -> Tue 10:00: 18h real but 1h + 1h = 2 business hours, so the
    // same due instant Tue 11:00.
    let overnight = Pauses::new(vec![Pause {
        start: t("2026-06-08T16:00:00+02:00"),
        end: Some(t("2026-06-09T10:00:00+02:00")),
    }])
    .unwrap();
    assert_eq!(fr(&overnight).due, Some(t("2026-06-09T11:00:00+02:00")));

    // In evaluate_case with the 10-12 pause: now Mon 16:00, consumed 7h - 2h = 5h,
    // margin 3h = 10800s.
    let mut c = case(MON_9, Priority::P1);
    c.pauses = inside.as_slice().to_vec();
    let ms = evaluate("standard", &c, "2026-06-08T16:00:00+02:00");
    assert_eq!(ms[0].due, Some(t("2026-06-09T11:00:00+02:00")));
    assert_eq!(ms[0].status, MilestoneStatus::Pending);
    assert_eq!(secs(ms[0].margin), Some(10_800));
    // A response Tue 10:30: consumed 8h + 1.5h - 2h = 7.5h, met with 0.5h = 1800s.
    c.first_response_at = Some(t("2026-06-09T10:30:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-09T12:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(1_800));
}

#[test]
fn an_open_ended_pause_stops_the_clock() {
    let cal = berlin();
    let terms = tier_terms("standard");
    // Paused from Mon 12:00 with no end: 3h used before it, no instant is due.
    let open = Pauses::new(vec![Pause {
        start: t("2026-06-08T12:00:00+02:00"),
        end: None,
    }])
    .unwrap();
    let d = deadline(
        terms.for_priority(Priority::P1),
        Milestone::FirstResponse,
        &cal,
        t(MON_9),
        &open,
    )
    .unwrap();
    assert_eq!(d.due, None);
    assert_eq!(d.target, Some(Duration::from_secs(8 * HOUR)));
    let explanation = d.explanation(&cal, &open).unwrap();
    assert!(explanation.contains("paused"), "{explanation}");

    // evaluate_case at Mon 15:00: Paused, no due; consumed 6h - 3h paused = 3h, so
    // margin 5h = 18000s.
    let mut c = case(MON_9, Priority::P1);
    c.pauses = open.as_slice().to_vec();
    let ms = evaluate("standard", &c, "2026-06-08T15:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Paused);
    assert_eq!(ms[0].due, None);
    assert_eq!(secs(ms[0].margin), Some(18_000));

    // A pause that ends after now (16:00) is still running at now = 15:00.
    c.pauses[0].end = Some(t("2026-06-08T16:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-08T15:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Paused);
    assert_eq!(ms[0].due, None);

    // Once it has ended (now 17:00): 3h before the pause, 5h left from Mon 16:00:
    // Mon 16-17 = 1h, Tue 09:00 + 4h = Tue 13:00. Consumed 8h - 4h = 4h -> margin 4h.
    let ms = evaluate("standard", &c, "2026-06-08T17:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Pending);
    assert_eq!(ms[0].due, Some(t("2026-06-09T13:00:00+02:00")));
    assert_eq!(secs(ms[0].margin), Some(14_400));
}

#[test]
fn priority_change_applies_new_targets_from_the_opening() {
    // Premium case opened Mon 2026-06-08 09:00 CEST as P3 (no target), raised to P1 at
    // 10:00. P1's 30min from the opening was due 09:30, already past at the change.
    let mut c = case(MON_9, Priority::P3);
    c.priority_changes = vec![(t("2026-06-08T10:00:00+02:00"), Priority::P1)];

    // At the change, no response yet: breached by 30m, margin -1800s.
    let ev = evaluate_case(
        Some(&tier_terms("premium")),
        &berlin(),
        &c,
        t("2026-06-08T10:00:00+02:00"),
    )
    .unwrap();
    assert_eq!(ev.priority, Priority::P1);
    assert_eq!(ev.milestones[0].due, Some(t("2026-06-08T09:30:00+02:00")));
    assert_eq!(ev.milestones[0].status, MilestoneStatus::Breached);
    assert_eq!(secs(ev.milestones[0].margin), Some(-1_800));

    // Response at 10:05: breached, 65m used, margin 30m - 65m = -35m = -2100s.
    c.first_response_at = Some(t("2026-06-08T10:05:00+02:00"));
    let ms = evaluate("premium", &c, "2026-06-08T11:00:00+02:00");
    let fr = &ms[0];
    assert_eq!(fr.clock, ClockKind::Continuous);
    assert_eq!(fr.start, t(MON_9));
    assert_eq!(fr.due, Some(t("2026-06-08T09:30:00+02:00")));
    assert_eq!(fr.status, MilestoneStatus::Breached);
    assert_eq!(secs(fr.margin), Some(-2_100));
    assert!(
        fr.explanation.contains("priority changed to P1"),
        "{}",
        fr.explanation
    );
    assert!(
        fr.explanation
            .contains("this deadline had already passed at the change"),
        "{}",
        fr.explanation
    );
    // P1's 12h cadence from the response: due 22:05; at 11:00 55m used, 11h05m = 39900s.
    assert_eq!(ms[1].due, Some(t("2026-06-08T22:05:00+02:00")));
    assert_eq!(secs(ms[1].margin), Some(39_900));

    // Raised at 09:10 instead: due 09:30 still ahead at the change; response 09:25 is met
    // with 5m = 300s to spare, and the explanation does not say "already passed".
    c.priority_changes = vec![(t("2026-06-08T09:10:00+02:00"), Priority::P1)];
    c.first_response_at = Some(t("2026-06-08T09:25:00+02:00"));
    let ms = evaluate("premium", &c, "2026-06-08T11:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(300));
    assert!(ms[0].explanation.contains("priority changed to P1"));
    assert!(!ms[0].explanation.contains("already passed"));
}

#[test]
fn events_after_now_are_ignored() {
    // Standard P1 opened Mon 09:00; everything else happens after now = Mon 10:00.
    let mut c = case(MON_9, Priority::P1);
    c.priority_changes = vec![(t("2026-06-08T11:30:00+02:00"), Priority::P2)];
    c.pauses = vec![Pause {
        start: t("2026-06-08T10:30:00+02:00"),
        end: Some(t("2026-06-08T11:00:00+02:00")),
    }];
    c.first_response_at = Some(t("2026-06-08T12:00:00+02:00"));
    c.updates = vec![t("2026-06-09T10:00:00+02:00")];
    c.resolved_at = Some(t("2026-06-10T10:00:00+02:00"));
    let ev = evaluate_case(
        Some(&tier_terms("standard")),
        &berlin(),
        &c,
        t("2026-06-08T10:00:00+02:00"),
    )
    .unwrap();
    assert_eq!(ev.priority, Priority::P1);
    assert_eq!(ev.milestones.len(), 1);
    // Still P1, unpaused: due Mon 17:00, 1h used, 7h = 25200s left.
    assert_eq!(
        summary(&ev.milestones[0]),
        (
            Milestone::FirstResponse,
            0,
            t(MON_9),
            Some(t("2026-06-08T17:00:00+02:00")),
            MilestoneStatus::Pending,
            None,
            Some(25_200),
        )
    );
}

#[test]
fn resolution_stops_the_clocks() {
    // The brief asked for "a resolution without a first response counts as the
    // response"; the engine now follows SPEC's "each milestone is met by its own event"
    // instead: resolution stops every clock, and a milestone without its event is
    // cancelled if the case was resolved before its due instant, breached otherwise.

    // Standard P1 opened Mon 09:00 (due Mon 17:00), resolved Mon 14:00 with no response,
    // evaluated Tue 12:00: evaluation instant = resolution; cancelled, 5h used, so the
    // margin is 8h - 5h = 3h = 10800s; no update period.
    let mut c = case(MON_9, Priority::P1);
    c.resolved_at = Some(t("2026-06-08T14:00:00+02:00"));
    let ev = evaluate_case(
        Some(&tier_terms("standard")),
        &berlin(),
        &c,
        t("2026-06-09T12:00:00+02:00"),
    )
    .unwrap();
    assert_eq!(ev.evaluated_at, t("2026-06-08T14:00:00+02:00"));
    let ms = ev.milestones;
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].status, MilestoneStatus::Cancelled);
    assert_eq!(ms[0].event_at, None);
    assert_eq!(secs(ms[0].margin), Some(10_800));

    // Resolved Tue 10:00 instead: past the due instant, so breached; Mon 8h + Tue 1h =
    // 9h used, margin -1h = -3600s.
    c.resolved_at = Some(t("2026-06-09T10:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-09T12:00:00+02:00");
    assert_eq!(ms[0].status, MilestoneStatus::Breached);
    assert_eq!(secs(ms[0].margin), Some(-3_600));

    // Responded Mon 10:00, resolved Tue 10:00 with no update: update #1 was due
    // Mon 10:00 + 24h business = Mon 7h, Tue 8h (15h), Wed 8h (23h), Thu 09:00 + 1h =
    // Thu 10:00; resolved first, so cancelled; 7h + 1h = 8h used, margin 16h = 57600s.
    c.first_response_at = Some(t("2026-06-08T10:00:00+02:00"));
    let ms = evaluate("standard", &c, "2026-06-12T12:00:00+02:00");
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0].status, MilestoneStatus::Met);
    assert_eq!(secs(ms[0].margin), Some(7 * 3_600));
    assert_eq!(ms[1].due, Some(t("2026-06-11T10:00:00+02:00")));
    assert_eq!(ms[1].status, MilestoneStatus::Cancelled);
    assert_eq!(secs(ms[1].margin), Some(57_600));
}

#[test]
fn a_case_opened_without_a_contract_has_no_target() {
    let c = case(MON_9, Priority::P1);
    let ev = evaluate_case(None, &berlin(), &c, t("2026-06-09T12:00:00+02:00")).unwrap();
    assert_eq!(ev.milestones.len(), 1);
    let fr = &ev.milestones[0];
    assert_eq!(fr.status, MilestoneStatus::NoTarget);
    assert_eq!((fr.due, fr.target, fr.margin), (None, None, None));
}

#[test]
fn an_update_before_the_first_response_is_refused() {
    let mut c = case(MON_9, Priority::P1);
    c.first_response_at = Some(t("2026-06-08T12:00:00+02:00"));
    c.updates = vec![t("2026-06-08T11:00:00+02:00")];
    let now = t("2026-06-08T15:00:00+02:00");
    let refused_at_the_update = |c: &CaseTimeline| {
        let err = evaluate_case(Some(&tier_terms("standard")), &berlin(), c, now).unwrap_err();
        let event = match &err {
            DomainError::CaseEventOutOfOrder { event, .. } => Some(*event),
            _ => None,
        };
        assert_eq!(event, Some(CaseEvent::Update(0)), "{err:?}");
    };
    refused_at_the_update(&c);
    // An update with no first response at all is refused the same way.
    c.first_response_at = None;
    refused_at_the_update(&c);
}
