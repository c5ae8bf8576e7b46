//! Escalation: at-risk thresholds on both clocks, custom thresholds on plans and overrides.

use crate::helpers::*;
use pb::Priority::{P1, P2, P3};

// ---------------------------------------------------------------------------------------
// at-risk thresholds, continuous clock
// ---------------------------------------------------------------------------------------
//
// acme premium P1: 30min around the clock. Opened 10:00Z: 50% = 15min -> 10:15, 75% =
// 22m30s -> 10:22:30, 90% = 27min -> 10:27. Due 10:30.

/// The first-response deadline of acme's P1 case opened 2026-06-01 10:00Z, assessed at
/// `evaluate`.
async fn acme_p1_at(server: &TestServer, evaluate: &str) -> pb::ComputeDeadlineResponse {
    deadline(
        server,
        first_response_at("acme", P1, "2026-06-01T10:00:00Z", evaluate),
    )
    .await
}

#[tokio::test]
async fn thresholds_crossed_so_far_and_the_next_one_on_the_continuous_clock() {
    // Evaluated 10:20Z: 20 of 30 min used, 50% crossed, 75% next.
    let server = TestServer::start_demo().await;
    let d = acme_p1_at(&server, "2026-06-01T10:20:00Z").await;
    assert_eq!(d.due_time, ots("2026-06-01T10:30:00Z"));
    assert_eq!(d.evaluate_time, ots("2026-06-01T10:20:00Z"));
    assert_at_risk(
        &d.at_risk,
        20 * MIN,
        30 * MIN,
        Some(0.5),
        vec![
            crossing(0.5, true, Some("2026-06-01T10:15:00Z")),
            crossing(0.75, false, Some("2026-06-01T10:22:30Z")),
            crossing(0.9, false, Some("2026-06-01T10:27:00Z")),
        ],
        Some("2026-06-01T10:22:30Z"),
    );
    server.stop().await;
}

#[tokio::test]
async fn premium_escalates_to_the_tam_then_the_senior_team_managed() {
    let server = TestServer::start_demo().await;
    let d = acme_p1_at(&server, "2026-06-01T10:20:00Z").await;
    assert_path(
        &d.escalation,
        &[TechnicalAccountManager, SeniorSupportTeam],
        true,
        TESS,
    );
    server.stop().await;
}

#[tokio::test]
async fn before_the_case_opens_nothing_is_used_yet() {
    let server = TestServer::start_demo().await;
    let d = acme_p1_at(&server, "2026-06-01T09:00:00Z").await;
    assert_at_risk(
        &d.at_risk,
        0,
        30 * MIN,
        None,
        vec![
            crossing(0.5, false, Some("2026-06-01T10:15:00Z")),
            crossing(0.75, false, Some("2026-06-01T10:22:30Z")),
            crossing(0.9, false, Some("2026-06-01T10:27:00Z")),
        ],
        Some("2026-06-01T10:15:00Z"),
    );
    server.stop().await;
}

#[tokio::test]
async fn at_the_due_instant_every_threshold_is_crossed() {
    // Exactly at the due instant the milestone is still open.
    let server = TestServer::start_demo().await;
    let d = acme_p1_at(&server, "2026-06-01T10:30:00Z").await;
    assert_at_risk(
        &d.at_risk,
        30 * MIN,
        30 * MIN,
        Some(0.9),
        vec![
            crossing(0.5, true, Some("2026-06-01T10:15:00Z")),
            crossing(0.75, true, Some("2026-06-01T10:22:30Z")),
            crossing(0.9, true, Some("2026-06-01T10:27:00Z")),
        ],
        None,
    );
    server.stop().await;
}

#[tokio::test]
async fn a_passed_deadline_has_no_assessment_but_names_the_path() {
    // One second after the due instant.
    let server = TestServer::start_demo().await;
    let d = acme_p1_at(&server, "2026-06-01T10:30:01Z").await;
    assert_eq!(d.at_risk, None);
    assert!(d.escalation.is_some());
    server.stop().await;
}

#[tokio::test]
async fn a_priority_without_a_target_has_no_assessment_but_names_the_path() {
    // P3 has no target: no assessment, but the contract's path is named.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        first_response_at("acme", P3, "2026-06-01T10:00:00Z", "2026-06-01T10:20:00Z"),
    )
    .await;
    assert!(!d.has_target);
    assert_eq!(d.at_risk, None);
    assert_path(
        &d.escalation,
        &[TechnicalAccountManager, SeniorSupportTeam],
        true,
        TESS,
    );
    server.stop().await;
}

#[tokio::test]
async fn without_a_contract_in_force_there_is_neither_assessment_nor_path() {
    // umbrella's contract has ended.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        first_response_at(
            "umbrella",
            P1,
            "2026-06-01T10:00:00Z",
            "2026-06-01T10:20:00Z",
        ),
    )
    .await;
    assert_eq!((d.at_risk, d.escalation), (None, None));
    assert_eq!(d.evaluate_time, ots("2026-06-01T10:20:00Z"));
    server.stop().await;
}

#[tokio::test]
async fn pauses_do_not_count_towards_thresholds() {
    // acme premium P2: 2h around the clock, opened 10:00Z, paused 10:30-11:30 and (in
    // the future of the evaluation) 12:10-12:20; evaluated 12:00Z.
    // Counted by 12:00: 10:00-10:30 + 11:30-12:00 = 1h = 50%, reached exactly at 12:00.
    // 75% = 90min: 30 + 40 (11:30-12:10) + 20 after 12:20 -> 12:40.
    // 90% = 108min: 30 + 40 + 38 -> 12:58. Due (120min): 30 + 40 + 50 -> 13:10.
    let server = TestServer::start_demo().await;
    let mut r = first_response_at("acme", P2, "2026-06-01T10:00:00Z", "2026-06-01T12:00:00Z");
    r.pauses = vec![
        pause("2026-06-01T12:10:00Z", Some("2026-06-01T12:20:00Z")),
        pause("2026-06-01T10:30:00Z", Some("2026-06-01T11:30:00Z")),
    ];
    let d = deadline(&server, r).await;
    assert_eq!(d.due_time, ots("2026-06-01T13:10:00Z"));
    assert_at_risk(
        &d.at_risk,
        HOUR,
        2 * HOUR,
        Some(0.5),
        vec![
            crossing(0.5, true, Some("2026-06-01T12:00:00Z")),
            crossing(0.75, false, Some("2026-06-01T12:40:00Z")),
            crossing(0.9, false, Some("2026-06-01T12:58:00Z")),
        ],
        Some("2026-06-01T12:40:00Z"),
    );
    server.stop().await;
}

#[tokio::test]
async fn a_paused_milestone_has_no_next_crossing_while_its_clock_is_stopped() {
    // EvaluateCase of acme's P2 case opened 10:00Z, paused from 11:15 without end, at
    // 12:00: PAUSED, 75min counted (62.5%); 50% was crossed at 11:00; the later
    // thresholds have no instant while the clock is stopped.
    let server = TestServer::start_demo().await;
    let case = pb::CaseTimeline {
        open_time: ots("2026-06-01T10:00:00Z"),
        priority: P2 as i32,
        pauses: vec![pause("2026-06-01T11:15:00Z", None)],
        ..Default::default()
    };
    let e = evaluate(&server, "acme", case, Some("2026-06-01T12:00:00Z")).await;
    let m = &e.milestones[0];
    assert_eq!(m.status, pb::MilestoneStatus::Paused as i32);
    assert_at_risk(
        &m.at_risk,
        75 * MIN,
        2 * HOUR,
        Some(0.5),
        vec![
            crossing(0.5, true, Some("2026-06-01T11:00:00Z")),
            crossing(0.75, false, None),
            crossing(0.9, false, None),
        ],
        None,
    );
    server.stop().await;
}

/// EvaluateCase at 20:00Z of acme's P1 case opened 10:00Z and answered at 10:20Z (met
/// within 30min).
async fn acme_p1_answered_at_twenty_past_ten(server: &TestServer) -> pb::EvaluateCaseResponse {
    let case = pb::CaseTimeline {
        open_time: ots("2026-06-01T10:00:00Z"),
        priority: P1 as i32,
        first_response_time: ots("2026-06-01T10:20:00Z"),
        ..Default::default()
    };
    evaluate(server, "acme", case, Some("2026-06-01T20:00:00Z")).await
}

#[tokio::test]
async fn a_met_milestone_is_not_at_risk() {
    let server = TestServer::start_demo().await;
    let e = acme_p1_answered_at_twenty_past_ten(&server).await;
    assert_eq!(e.milestones.len(), 2);
    assert_eq!(e.milestones[0].status, pb::MilestoneStatus::Met as i32);
    assert_eq!(
        e.milestones[0].at_risk, None,
        "a met milestone is not at risk"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_next_update_is_assessed_on_its_own_clock() {
    // The next update runs on its own 12h continuous clock from 10:20Z; at 20:00Z 9h40m
    // = 34,800s of 43,200s are used: 50% (6h) at 16:20Z and 75% (9h) at 19:20Z are
    // crossed, 90% (10h48m) comes at 21:08Z. Due 22:20Z.
    let server = TestServer::start_demo().await;
    let e = acme_p1_answered_at_twenty_past_ten(&server).await;
    let update = &e.milestones[1];
    assert_eq!(update.status, pb::MilestoneStatus::Pending as i32);
    assert_eq!(update.due_time, ots("2026-06-01T22:20:00Z"));
    assert_at_risk(
        &update.at_risk,
        34_800,
        12 * HOUR,
        Some(0.75),
        vec![
            crossing(0.5, true, Some("2026-06-01T16:20:00Z")),
            crossing(0.75, true, Some("2026-06-01T19:20:00Z")),
            crossing(0.9, false, Some("2026-06-01T21:08:00Z")),
        ],
        Some("2026-06-01T21:08:00Z"),
    );
    assert_path(
        &e.escalation,
        &[TechnicalAccountManager, SeniorSupportTeam],
        true,
        TESS,
    );
    server.stop().await;
}

#[tokio::test]
async fn a_breached_milestone_is_not_at_risk() {
    // At 10:31Z the first response is overdue (no event yet).
    let server = TestServer::start_demo().await;
    let case = pb::CaseTimeline {
        open_time: ots("2026-06-01T10:00:00Z"),
        priority: P1 as i32,
        ..Default::default()
    };
    let e = evaluate(&server, "acme", case, Some("2026-06-01T10:31:00Z")).await;
    assert_eq!(e.milestones[0].status, pb::MilestoneStatus::Breached as i32);
    assert_eq!(e.milestones[0].at_risk, None);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// at-risk thresholds, business-hours clock
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_threshold_in_closed_time_moves_to_the_next_opening() {
    // initech standard P1: 8h of business hours (Seoul, Mon-Fri 09-12 and 13-18, closed
    // Fri 2026-12-25). Opened Thu 2026-12-24 14:00 KST (05:00Z); Thursday counts 4h.
    // 50% (4h) is used up exactly at the Thursday closing, 18:00 KST (09:00Z), which it
    // keeps. 75% (6h) needs 2h more: Christmas Friday and the weekend are closed, so it
    // is crossed on Mon 12-28 at 11:00 KST (02:00Z), not on a closed day. 90% (7h12m):
    // 09-12 (3h) + 12min after lunch -> 13:12 KST (04:12Z). Due (8h) 14:00 KST (05:00Z).
    // Evaluated on Christmas Day at 12:00 KST (03:00Z): 4h counted, 50% crossed.
    // Standard escalates to the standard support queue, unmanaged.
    let server = TestServer::start_demo().await;
    let d = deadline(
        &server,
        first_response_at(
            "initech",
            P1,
            "2026-12-24T05:00:00Z",
            "2026-12-25T03:00:00Z",
        ),
    )
    .await;
    assert_eq!(d.clock, pb::Clock::BusinessHours as i32);
    assert_eq!(d.due_time, ots("2026-12-28T05:00:00Z"));
    assert_at_risk(
        &d.at_risk,
        4 * HOUR,
        8 * HOUR,
        Some(0.5),
        vec![
            crossing(0.5, true, Some("2026-12-24T09:00:00Z")),
            crossing(0.75, false, Some("2026-12-28T02:00:00Z")),
            crossing(0.9, false, Some("2026-12-28T04:12:00Z")),
        ],
        Some("2026-12-28T02:00:00Z"),
    );
    assert_path(&d.escalation, &[StandardSupportQueue], false, None);
    server.stop().await;
}

#[tokio::test]
async fn a_case_on_a_closed_day_is_assessed_in_business_hours() {
    // globex extended P2: 8h of business hours (New York, Mon-Fri 08-18, closed Thu
    // 2026-11-26 Thanksgiving). Opened Wed 11-25 14:00 EST (19:00Z): Wednesday counts 4h,
    // so 50% is crossed at 18:00 EST (23:00Z). 75% (6h) skips Thanksgiving: Fri 11-27
    // 10:00 EST (15:00Z); 90% (7h12m): 11:12 EST (16:12Z); due 12:00 EST (17:00Z).
    // Evaluated on Thanksgiving 10:00 EST (15:00Z): PENDING, 4h left, 50% crossed.
    let server = TestServer::start_demo().await;
    let case = pb::CaseTimeline {
        open_time: ots("2026-11-25T19:00:00Z"),
        priority: P2 as i32,
        ..Default::default()
    };
    let e = evaluate(&server, "globex", case, Some("2026-11-26T15:00:00Z")).await;
    let m = &e.milestones[0];
    assert_eq!(m.status, pb::MilestoneStatus::Pending as i32);
    assert_eq!(m.clock, pb::Clock::BusinessHours as i32);
    assert_eq!(m.due_time, ots("2026-11-27T17:00:00Z"));
    assert_eq!(m.margin, Some(secs(4 * HOUR)));
    assert_at_risk(
        &m.at_risk,
        4 * HOUR,
        8 * HOUR,
        Some(0.5),
        vec![
            crossing(0.5, true, Some("2026-11-25T23:00:00Z")),
            crossing(0.75, false, Some("2026-11-27T15:00:00Z")),
            crossing(0.9, false, Some("2026-11-27T16:12:00Z")),
        ],
        Some("2026-11-27T15:00:00Z"),
    );
    assert_path(&e.escalation, &[StandardSupportQueue], false, None);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// custom thresholds on a plan
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn builtin_plans_list_the_default_thresholds_for_every_priority() {
    let server = TestServer::start_demo().await;
    let premium = get_plan(&server, "plans/premium").await;
    for t in &premium.priority_terms {
        assert_eq!(t.at_risk_thresholds, vec![0.5, 0.75, 0.9], "{t:?}");
    }
    server.stop().await;
}

/// plans/gold: P1 1h around the clock warned at 25%, 50%, 80% and 95%; P2 with no
/// thresholds given.
async fn create_gold(server: &TestServer) -> pb::Plan {
    let gold = pb::Plan {
        benefits: vec!["online_support".into()],
        priority_terms: vec![
            p1_terms(HOUR, vec![0.25, 0.5, 0.8, 0.95]),
            pb::PriorityTerms {
                priority: P2 as i32,
                coverage: pb::Coverage::Coverage24x7 as i32,
                first_response_target: Some(secs(2 * HOUR)),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    create_plan(server, "gold", gold).await.expect("CreatePlan")
}

#[tokio::test]
async fn a_custom_plan_keeps_its_thresholds_and_defaults_the_missing_ones() {
    let server = TestServer::start_demo().await;
    let gold = create_gold(&server).await;
    assert_eq!(
        gold.priority_terms[0].at_risk_thresholds,
        vec![0.25, 0.5, 0.8, 0.95]
    );
    assert_eq!(
        gold.priority_terms[1].at_risk_thresholds,
        vec![0.5, 0.75, 0.9]
    );
    server.stop().await;
}

/// The first-response deadline of hooli's (on plans/gold) P1 case opened 10:00Z,
/// assessed at 10:50Z.
async fn hooli_on_gold(server: &TestServer) -> pb::ComputeDeadlineResponse {
    create_gold(server).await;
    new_account_in(server, "hooli", "UTC").await;
    create_contract(server, "hooli", "main", body("gold"))
        .await
        .unwrap();
    deadline(
        server,
        first_response_at("hooli", P1, "2026-06-01T10:00:00Z", "2026-06-01T10:50:00Z"),
    )
    .await
}

#[tokio::test]
async fn a_custom_plans_thresholds_are_used_for_the_assessment() {
    // 50 of 60 min. 25% -> 10:15, 50% -> 10:30, 80% -> 10:48 (all crossed), 95% (57min)
    // -> 10:57.
    let server = TestServer::start_demo().await;
    let d = hooli_on_gold(&server).await;
    assert_at_risk(
        &d.at_risk,
        50 * MIN,
        HOUR,
        Some(0.8),
        vec![
            crossing(0.25, true, Some("2026-06-01T10:15:00Z")),
            crossing(0.5, true, Some("2026-06-01T10:30:00Z")),
            crossing(0.8, true, Some("2026-06-01T10:48:00Z")),
            crossing(0.95, false, Some("2026-06-01T10:57:00Z")),
        ],
        Some("2026-06-01T10:57:00Z"),
    );
    server.stop().await;
}

#[tokio::test]
async fn a_plan_without_tam_or_senior_team_escalates_to_the_standard_queue() {
    let server = TestServer::start_demo().await;
    let d = hooli_on_gold(&server).await;
    assert_path(&d.escalation, &[StandardSupportQueue], false, None);
    server.stop().await;
}

#[tokio::test]
async fn invalid_plan_thresholds_are_refused_naming_the_field() {
    let server = TestServer::start_demo().await;
    let eleven: Vec<f64> = (1..=11).map(|i| f64::from(i) / 12.0).collect();
    for bad in [
        vec![0.0],
        vec![1.0],
        vec![1.5],
        vec![-0.25],
        vec![0.5, 0.5],
        vec![0.75, 0.5],
        eleven,
    ] {
        let silver = pb::Plan {
            priority_terms: vec![p1_terms(HOUR, bad.clone())],
            ..Default::default()
        };
        let e = create_plan(&server, "silver", silver)
            .await
            .expect_err("invalid thresholds are refused");
        assert_invalid_field(&e, "plan.priority_terms[0].at_risk_thresholds");
    }
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// custom thresholds on a contract override
// ---------------------------------------------------------------------------------------

const INITRODE: &str = "accounts/initrode/contracts/main";

/// initrode's premium contract whose P1 override keeps 30min but warns only at 80%.
async fn initrode_warned_at_80_percent(server: &TestServer) -> pb::Contract {
    new_account_in(server, "initrode", "UTC").await;
    let contract = pb::Contract {
        overrides: Some(pb::ContractOverrides {
            priority_terms: vec![p1_terms(30 * MIN, vec![0.8])],
            ..Default::default()
        }),
        ..body("premium")
    };
    create_contract(server, "initrode", "main", contract)
        .await
        .expect("CreateContract")
}

/// The first-response deadline of initrode's case of `priority` opened 10:00Z,
/// assessed at 10:10Z.
async fn initrode_at_ten_past_ten(
    server: &TestServer,
    priority: pb::Priority,
) -> pb::ComputeDeadlineResponse {
    deadline(
        server,
        first_response_at(
            "initrode",
            priority,
            "2026-06-01T10:00:00Z",
            "2026-06-01T10:10:00Z",
        ),
    )
    .await
}

/// Sets initrode's P1 override thresholds (30min kept).
async fn set_initrode_thresholds(
    server: &TestServer,
    thresholds: Vec<f64>,
) -> Result<pb::Contract, tonic::Status> {
    let change = pb::Contract {
        name: INITRODE.into(),
        overrides: Some(pb::ContractOverrides {
            priority_terms: vec![p1_terms(30 * MIN, thresholds)],
            ..Default::default()
        }),
        ..Default::default()
    };
    update_contract(server, change, &["overrides.priority_terms"]).await
}

#[tokio::test]
async fn override_thresholds_are_stored_on_the_contract() {
    let server = TestServer::start_demo().await;
    let created = initrode_warned_at_80_percent(&server).await;
    assert_eq!(
        created.overrides.as_ref().unwrap().priority_terms[0].at_risk_thresholds,
        vec![0.8]
    );
    server.stop().await;
}

#[tokio::test]
async fn override_thresholds_are_used_for_their_priority() {
    // 10 of 30 min, 80% (24min) at 10:24.
    let server = TestServer::start_demo().await;
    initrode_warned_at_80_percent(&server).await;
    let d = initrode_at_ten_past_ten(&server, P1).await;
    assert_at_risk(
        &d.at_risk,
        10 * MIN,
        30 * MIN,
        None,
        vec![crossing(0.8, false, Some("2026-06-01T10:24:00Z"))],
        Some("2026-06-01T10:24:00Z"),
    );
    server.stop().await;
}

#[tokio::test]
async fn other_priorities_keep_the_plans_terms_and_default_thresholds() {
    // P2: 2h, 50% at 11:00.
    let server = TestServer::start_demo().await;
    initrode_warned_at_80_percent(&server).await;
    let d = initrode_at_ten_past_ten(&server, P2).await;
    assert_eq!(
        d.at_risk.as_ref().unwrap().next_cross_time,
        ots("2026-06-01T11:00:00Z")
    );
    server.stop().await;
}

#[tokio::test]
async fn a_premium_contract_without_a_tam_still_escalates_to_the_tam_role_first() {
    let server = TestServer::start_demo().await;
    initrode_warned_at_80_percent(&server).await;
    let d = initrode_at_ten_past_ten(&server, P2).await;
    assert_path(
        &d.escalation,
        &[TechnicalAccountManager, SeniorSupportTeam],
        true,
        None,
    );
    assert!(
        d.escalation
            .as_ref()
            .unwrap()
            .explanation
            .contains("none assigned"),
        "{:?}",
        d.escalation
    );
    server.stop().await;
}

#[tokio::test]
async fn changed_override_thresholds_apply_at_once() {
    // 20% and 30%: both crossed by 10:10 (6 and 9 min), none left.
    let server = TestServer::start_demo().await;
    initrode_warned_at_80_percent(&server).await;
    let updated = set_initrode_thresholds(&server, vec![0.2, 0.3])
        .await
        .expect("UpdateContract");
    assert_eq!(updated.version, 2);
    let d = initrode_at_ten_past_ten(&server, P1).await;
    assert_at_risk(
        &d.at_risk,
        10 * MIN,
        30 * MIN,
        Some(0.3),
        vec![
            crossing(0.2, true, Some("2026-06-01T10:06:00Z")),
            crossing(0.3, true, Some("2026-06-01T10:09:00Z")),
        ],
        None,
    );
    server.stop().await;
}

#[tokio::test]
async fn decreasing_override_thresholds_are_refused_naming_the_field() {
    let server = TestServer::start_demo().await;
    initrode_warned_at_80_percent(&server).await;
    let e = set_initrode_thresholds(&server, vec![0.3, 0.2])
        .await
        .expect_err("decreasing thresholds are refused");
    assert_invalid_field(
        &e,
        "contract.overrides.priority_terms[0].at_risk_thresholds",
    );
    server.stop().await;
}
