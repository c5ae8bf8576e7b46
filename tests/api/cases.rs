//! SlaService.EvaluateCase.

use crate::helpers::*;
use pb::Clock::{BusinessHours, Continuous, Unspecified};
use pb::Milestone::{FirstResponse, NextUpdate};

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
async fn a_raised_case_is_measured_on_p1_targets_from_its_opening() {
    let server = TestServer::start_demo().await;
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
    assert_eq!(
        milestones(&r),
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

fn milestones(r: &pb::EvaluateCaseResponse) -> Vec<M> {
    r.milestones.iter().map(strip).collect()
}

/// A case on acme opened at 08:00Z on 2026-06-01 with `priority`.
fn case_at_eight(priority: pb::Priority) -> pb::CaseTimeline {
    pb::CaseTimeline {
        open_time: ots("2026-06-01T08:00:00Z"),
        priority: priority as i32,
        ..Default::default()
    }
}

/// Opened as P3 (no target) at 08:00Z, raised to P1 at 09:00Z with no response yet.
fn raised_to_p1_at_nine() -> pb::CaseTimeline {
    pb::CaseTimeline {
        priority_changes: vec![pb::PriorityChange {
            change_time: ots("2026-06-01T09:00:00Z"),
            priority: pb::Priority::P1 as i32,
        }],
        ..case_at_eight(pb::Priority::P3)
    }
}

#[tokio::test]
async fn a_raise_after_the_new_first_response_was_due_breaches_it() {
    // The P1 first response was due 08:30, already past at the change: BREACHED. At
    // 09:30 it is 1h late (30min target - 90min elapsed).
    use pb::MilestoneStatus::Breached;
    let server = TestServer::start_demo().await;
    let r = evaluate(
        &server,
        "acme",
        raised_to_p1_at_nine(),
        Some("2026-06-01T09:30:00Z"),
    )
    .await;
    assert_eq!(r.priority, pb::Priority::P1 as i32);
    assert_eq!(
        milestones(&r),
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
    server.stop().await;
}

#[tokio::test]
async fn before_a_priority_change_the_old_priority_applies() {
    // Before the change it was still P3: no target.
    use pb::MilestoneStatus::NoTarget;
    let server = TestServer::start_demo().await;
    let r = evaluate(
        &server,
        "acme",
        raised_to_p1_at_nine(),
        Some("2026-06-01T08:45:00Z"),
    )
    .await;
    assert_eq!(r.priority, pb::Priority::P3 as i32);
    assert_eq!(
        milestones(&r),
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
    server.stop().await;
}

#[tokio::test]
async fn milestones_not_due_at_the_resolution_are_cancelled_with_the_margin_left() {
    // Resolved before the milestones fell due: CANCELLED, margin from resolve_time to
    // due. P2: first response at 08:30 (due 10:00, 1h30 early); resolved at 09:00 with
    // update 1 due 08:30 + 24h = next day 08:30 (23h30 left). The update at 10:00 comes
    // after the resolution and is ignored.
    use pb::MilestoneStatus::{Cancelled, Met};
    let server = TestServer::start_demo().await;
    let resolved = pb::CaseTimeline {
        first_response_time: ots("2026-06-01T08:30:00Z"),
        update_times: vec![ts("2026-06-01T10:00:00Z")],
        resolve_time: ots("2026-06-01T09:00:00Z"),
        ..case_at_eight(pb::Priority::P2)
    };
    let r = evaluate(&server, "acme", resolved, Some("2026-06-03T00:00:00Z")).await;
    assert_eq!(r.evaluate_time, ots("2026-06-03T00:00:00Z"));
    assert_eq!(
        milestones(&r),
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
    server.stop().await;
}

#[tokio::test]
async fn resolved_after_the_due_time_without_a_response_is_breached_until_the_resolution() {
    use pb::MilestoneStatus::Breached;
    let server = TestServer::start_demo().await;
    let late = pb::CaseTimeline {
        resolve_time: ots("2026-06-01T09:00:00Z"),
        ..case_at_eight(pb::Priority::P1)
    };
    let r = evaluate(&server, "acme", late, Some("2026-06-03T00:00:00Z")).await;
    assert_eq!(
        milestones(&r),
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
    server.stop().await;
}

#[tokio::test]
async fn a_milestone_paused_at_the_evaluation_instant_is_paused_without_a_due_time() {
    // PAUSED, no due time, margin = target minus time counted so far (2h - 30min). A
    // pause ending after evaluate_time is still running.
    use pb::MilestoneStatus::Paused;
    let server = TestServer::start_demo().await;
    for end in [None, Some("2026-06-01T13:00:00Z")] {
        let paused = pb::CaseTimeline {
            pauses: vec![pause("2026-06-01T08:30:00Z", end)],
            ..case_at_eight(pb::Priority::P2)
        };
        let r = evaluate(&server, "acme", paused, Some("2026-06-01T12:00:00Z")).await;
        assert_eq!(
            milestones(&r),
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
    server.stop().await;
}

#[tokio::test]
async fn a_business_hours_milestone_counts_only_open_time() {
    // initech, standard P1 8h: opened Monday 2026-06-08 10:00 Seoul, due Tuesday 10:00;
    // at Tuesday 09:30, 7h30 of business time have been used (10-12, 13-18, 09-09:30):
    // 30min left.
    use pb::MilestoneStatus::Pending;
    let server = TestServer::start_demo().await;
    let bh = pb::CaseTimeline {
        open_time: ots("2026-06-08T10:00:00+09:00"),
        priority: pb::Priority::P1 as i32,
        ..Default::default()
    };
    let r = evaluate(&server, "initech", bh, Some("2026-06-09T09:30:00+09:00")).await;
    assert_eq!(r.contract, initech());
    assert_eq!(
        milestones(&r),
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
    server.stop().await;
}

#[tokio::test]
async fn a_case_opened_outside_any_contract_has_no_targets() {
    // Before initech/main starts: every milestone NO_TARGET, no ContractRef; a single
    // update milestone with sequence 1.
    use pb::MilestoneStatus::NoTarget;
    let server = TestServer::start_demo().await;
    let none = pb::CaseTimeline {
        open_time: ots("2026-02-16T10:00:00+09:00"),
        priority: pb::Priority::P1 as i32,
        first_response_time: ots("2026-02-16T11:00:00+09:00"),
        ..Default::default()
    };
    let r = evaluate(&server, "initech", none, Some("2026-02-17T10:00:00+09:00")).await;
    assert_eq!(r.contract, None);
    assert_eq!(
        milestones(&r),
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

/// A P1 case on acme opened at 08:00Z and answered at 08:30Z.
fn answered_p1() -> pb::CaseTimeline {
    pb::CaseTimeline {
        first_response_time: ots("2026-06-01T08:30:00Z"),
        ..case_at_eight(pb::Priority::P1)
    }
}

fn evaluate_request(case: pb::CaseTimeline, at: Option<&str>) -> pb::EvaluateCaseRequest {
    pb::EvaluateCaseRequest {
        account: "accounts/acme".into(),
        case: Some(case),
        evaluate_time: at.map(ts),
    }
}

#[tokio::test]
async fn evaluate_time_defaults_to_now_and_is_echoed() {
    let server = TestServer::start_demo().await;
    let before = now_secs();
    let r = server
        .sla()
        .evaluate_case(evaluate_request(answered_p1(), None))
        .await
        .unwrap()
        .into_inner();
    assert_close_to_now(&r.evaluate_time, before, now_secs());
    server.stop().await;
}

#[tokio::test]
async fn bad_case_timelines_are_refused_naming_the_field() {
    let server = TestServer::start_demo().await;
    let base = answered_p1;
    let next_day = Some("2026-06-02T00:00:00Z");
    let table = [
        // An update before the first response.
        (
            evaluate_request(
                pb::CaseTimeline {
                    update_times: vec![ts("2026-06-01T08:10:00Z")],
                    ..base()
                },
                next_day,
            ),
            "case.update_times[0]",
        ),
        // Updates without a first response.
        (
            evaluate_request(
                pb::CaseTimeline {
                    first_response_time: None,
                    update_times: vec![ts("2026-06-01T09:00:00Z")],
                    ..base()
                },
                next_day,
            ),
            "case.update_times[0]",
        ),
        // A first response before the opening.
        (
            evaluate_request(
                pb::CaseTimeline {
                    first_response_time: ots("2026-06-01T07:00:00Z"),
                    ..base()
                },
                next_day,
            ),
            "case.first_response_time",
        ),
        // The second pause begins before the opening; the first is fine.
        (
            evaluate_request(
                pb::CaseTimeline {
                    pauses: vec![
                        pause("2026-06-01T08:30:00Z", Some("2026-06-01T08:40:00Z")),
                        pause("2026-06-01T07:30:00Z", Some("2026-06-01T08:40:00Z")),
                    ],
                    ..base()
                },
                next_day,
            ),
            "case.pauses[1].start_time",
        ),
        // Missing case, unspecified priorities, no opening.
        (
            pb::EvaluateCaseRequest {
                account: "accounts/acme".into(),
                case: None,
                evaluate_time: None,
            },
            "case",
        ),
        (
            evaluate_request(
                pb::CaseTimeline {
                    priority: pb::Priority::Unspecified as i32,
                    ..base()
                },
                None,
            ),
            "case.priority",
        ),
        (
            evaluate_request(
                pb::CaseTimeline {
                    priority_changes: vec![pb::PriorityChange {
                        change_time: ots("2026-06-01T09:00:00Z"),
                        priority: pb::Priority::Unspecified as i32,
                    }],
                    ..base()
                },
                None,
            ),
            "case.priority_changes[0].priority",
        ),
        (
            evaluate_request(
                pb::CaseTimeline {
                    open_time: None,
                    ..base()
                },
                None,
            ),
            "case.open_time",
        ),
        // evaluate_time before open_time.
        (
            evaluate_request(base(), Some("2026-06-01T07:59:59Z")),
            "evaluate_time",
        ),
    ];
    for (request, field) in table {
        let e = server.sla().evaluate_case(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn evaluating_a_case_of_an_unknown_account_is_not_found() {
    let server = TestServer::start_demo().await;
    let e = server
        .sla()
        .evaluate_case(pb::EvaluateCaseRequest {
            account: "accounts/nope".into(),
            ..evaluate_request(answered_p1(), None)
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn an_empty_pause_is_allowed_and_pauses_nothing() {
    let server = TestServer::start_demo().await;
    let open = "2026-06-01T08:00:00Z";
    let case = |pauses| pb::CaseTimeline {
        open_time: ots(open),
        priority: pb::Priority::P1 as i32,
        pauses,
        ..Default::default()
    };
    let at = Some("2026-06-01T08:10:00Z");
    let without = evaluate(&server, "acme", case(vec![]), at).await;
    let empty = pause("2026-06-01T08:05:00Z", Some("2026-06-01T08:05:00Z"));
    let with = evaluate(&server, "acme", case(vec![empty]), at).await;
    assert_eq!(with.milestones, without.milestones);
    // ComputeDeadline takes it too.
    let mut r = first_response("acme", pb::Priority::P1, open);
    let plain = deadline(&server, r.clone()).await;
    r.pauses = vec![empty];
    assert_eq!(deadline(&server, r).await.due_time, plain.due_time);
    server.stop().await;
}

#[tokio::test]
async fn a_next_update_without_a_target_reports_the_update_that_happened() {
    let server = TestServer::start().await;
    // No contract: every milestone has no target.
    new_account_in(&server, "acme", "UTC").await;
    let case = pb::CaseTimeline {
        open_time: ots("2026-06-01T08:00:00Z"),
        priority: pb::Priority::P2 as i32,
        first_response_time: ots("2026-06-01T09:00:00Z"),
        update_times: vec![ts("2026-06-01T12:00:00Z"), ts("2026-06-01T11:00:00Z")],
        ..Default::default()
    };
    let r = evaluate(&server, "acme", case, Some("2026-06-02T00:00:00Z")).await;
    let update = &r.milestones[1];
    assert_eq!(update.milestone, pb::Milestone::NextUpdate as i32);
    assert_eq!(update.sequence, 1);
    assert_eq!(update.status, pb::MilestoneStatus::NoTarget as i32);
    assert_eq!(update.event_time, ots("2026-06-01T11:00:00Z"));
    // Before the update happened, there is none.
    let case = pb::CaseTimeline {
        open_time: ots("2026-06-01T08:00:00Z"),
        priority: pb::Priority::P2 as i32,
        first_response_time: ots("2026-06-01T09:00:00Z"),
        update_times: vec![ts("2026-06-01T11:00:00Z")],
        ..Default::default()
    };
    let r = evaluate(&server, "acme", case, Some("2026-06-01T10:00:00Z")).await;
    assert_eq!(r.milestones[1].event_time, None);
    server.stop().await;
}

#[tokio::test]
async fn a_pause_ending_before_it_starts_is_refused_naming_its_end() {
    let server = TestServer::start_demo().await;
    let mut r = first_response("acme", pb::Priority::P1, "2026-06-01T08:00:00Z");
    r.pauses = vec![pause("2026-06-01T09:00:00Z", Some("2026-06-01T08:59:59Z"))];
    let e = server.sla().compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "pauses[0].end_time");
    server.stop().await;
}
