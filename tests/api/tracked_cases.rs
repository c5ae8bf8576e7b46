//! CaseService against its references, over random timelines on the demo seed's
//! accounts (premium, extended and standard, three zones and calendars):
//! - a tracked case's GetCase evaluation is exactly EvaluateCase's for the same
//!   timeline and instant, and CreateCase refuses exactly the timelines EvaluateCase
//!   refuses, naming the same field, plus those recording an instant after the
//!   service's clock (a tracked case records what happened);
//! - ListCases with a status filter returns exactly the cases whose GetCase status at
//!   the listing's instant is that status (the reference evaluates every case; the
//!   listing reads the due index).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use crate::helpers::*;

const ACCOUNTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];

fn pb_time(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// A random timeline opened at `open` plus events up to a few days later; `early`
/// events (before the opening) make some of them invalid.
fn timeline(open: DateTime<Utc>) -> impl Strategy<Value = pb::CaseTimeline> {
    let minutes = || -120i64..6000;
    (
        1..=4i32,
        proptest::option::weighted(0.7, minutes()),
        proptest::collection::vec(minutes(), 0..3),
        proptest::collection::vec((minutes(), proptest::option::of(0i64..600)), 0..3),
        proptest::collection::vec((minutes(), 1..=4i32), 0..2),
        proptest::option::weighted(0.3, minutes()),
    )
        .prop_map(move |(p, first, updates, pauses, changes, resolve)| {
            let at = |m: i64| pb_time(open + Duration::minutes(m));
            // Mostly valid: events before the opening only when the minute is negative.
            let first = first.map(|m| m.max(-10));
            pb::CaseTimeline {
                open_time: Some(pb_time(open)),
                priority: p,
                priority_changes: changes
                    .into_iter()
                    .map(|(m, p)| pb::PriorityChange {
                        change_time: Some(at(m.max(-5))),
                        priority: p,
                    })
                    .collect(),
                pauses: pauses
                    .into_iter()
                    .map(|(m, len)| pb::Interval {
                        start_time: Some(at(m.max(0))),
                        end_time: len.map(|l| at(m.max(0) + l)),
                    })
                    .collect(),
                first_response_time: first.map(at),
                update_times: first
                    .map(|f| updates.iter().map(|u| at(f + u.abs())).collect())
                    .unwrap_or_default(),
                resolve_time: resolve.map(|m| at(m.max(0))),
            }
        })
}

/// Cases opened in 2026 (every demo contract) or in the last days before now.
fn cases() -> impl Strategy<Value = Vec<(usize, pb::CaseTimeline, i64)>> {
    let now = Utc::now();
    let opened = prop_oneof![
        (0i64..300 * 24 * 60).prop_map(|m| {
            DateTime::parse_from_rfc3339("2026-01-02T00:00:00Z")
                .unwrap()
                .to_utc()
                + Duration::minutes(m)
        }),
        (0i64..4 * 24 * 60).prop_map(move |m| now - Duration::minutes(m)),
    ];
    proptest::collection::vec(
        (0..ACCOUNTS.len(), opened, 0i64..8000)
            .prop_flat_map(|(a, open, eval)| (Just(a), timeline(open), Just(eval))),
        1..10,
    )
}

/// The latest instant a timeline records, in seconds.
fn latest_instant(t: &pb::CaseTimeline) -> i64 {
    let mut all: Vec<&Timestamp> = t.open_time.iter().collect();
    all.extend(
        t.priority_changes
            .iter()
            .filter_map(|c| c.change_time.as_ref()),
    );
    for p in &t.pauses {
        all.extend(p.start_time.iter().chain(p.end_time.iter()));
    }
    all.extend(t.first_response_time.iter());
    all.extend(t.update_times.iter());
    all.extend(t.resolve_time.iter());
    all.iter().map(|x| x.seconds).max().unwrap_or(0)
}

fn field_of(status: &tonic::Status) -> Option<String> {
    details(status)
        .bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
}

async fn check_against_evaluate_case(cases: Vec<(usize, pb::CaseTimeline, i64)>) {
    let server = TestServer::start_demo().await;
    let mut created = Vec::new();
    for (i, (a, t, eval)) in cases.into_iter().enumerate() {
        let account = format!("accounts/{}", ACCOUNTS[a]);
        let open = t.open_time.unwrap();
        let at = Timestamp {
            seconds: open.seconds + eval * 60,
            nanos: 0,
        };
        let direct = server
            .sla()
            .evaluate_case(pb::EvaluateCaseRequest {
                account: account.clone(),
                case: Some(t.clone()),
                evaluate_time: Some(at),
            })
            .await;
        let made = server
            .cases()
            .create_case(pb::CreateCaseRequest {
                parent: account.clone(),
                case_id: format!("c{i}"),
                case: Some(pb::Case {
                    timeline: Some(t.clone()),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await;
        // A tracked case records what happened: an instant past the service's clock
        // (beyond its 5 minutes of skew) is refused, naming it. Instants within 10 s of
        // that bound are not judged (the two clocks are read at different moments).
        let bound = Utc::now().timestamp() + 300;
        let latest = latest_instant(&t);
        if latest > bound - 10 && latest < bound + 10 {
            continue;
        }
        if latest >= bound + 10 {
            let refused = made.expect_err("a case with instants after the clock");
            assert_eq!(refused.code(), Code::InvalidArgument, "{t:?}");
            let field = field_of(&refused).unwrap_or_default();
            assert!(field.starts_with("case.timeline."), "{field} for {t:?}");
            continue;
        }
        let direct = match (direct, made) {
            (Ok(d), Ok(_)) => d.into_inner(),
            (Err(e), Err(c)) => {
                assert_eq!(e.code(), c.code(), "{t:?}");
                let (e, c) = (field_of(&e), field_of(&c));
                assert_eq!(
                    e.map(|f| f.replacen("case", "case.timeline", 1)),
                    c,
                    "same field named for {t:?}"
                );
                continue;
            }
            (d, m) => panic!("EvaluateCase {d:?} but CreateCase {m:?} for {t:?}"),
        };
        let got = server
            .cases()
            .get_case(pb::GetCaseRequest {
                name: format!("{account}/cases/c{i}"),
                evaluate_time: Some(at),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.evaluation, Some(direct), "{t:?} at {at:?}");
        created.push(format!("{account}/cases/c{i}"));
    }
    // Every status filter agrees with every case's own status at the listing's instant.
    let all: BTreeSet<String> = created.iter().cloned().collect();
    for (filter, status) in [
        ("status = BREACHED", pb::CaseStatus::Breached),
        ("status = PENDING", pb::CaseStatus::Pending),
        ("status = AT_RISK", pb::CaseStatus::AtRisk),
        ("status = COMPLIANT", pb::CaseStatus::Compliant),
    ] {
        let page = server
            .cases()
            .list_cases(pb::ListCasesRequest {
                parent: "accounts/-".into(),
                page_size: 1000,
                filter: filter.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.next_page_token.is_empty());
        let listed: BTreeSet<String> = page.cases.iter().map(|c| c.name.clone()).collect();
        let Some(when) = page.cases.first().and_then(|c| c.status_time) else {
            // Nothing listed: no case may have the status now (checked at a later
            // instant, which only breaches more, so only for non-breached statuses
            // it could differ; BREACHED is monotone and checked exactly below).
            continue;
        };
        let mut expected = BTreeSet::new();
        let mut seen = Vec::new();
        for name in &all {
            let c = server
                .cases()
                .get_case(pb::GetCaseRequest {
                    name: name.clone(),
                    evaluate_time: Some(when),
                })
                .await
                .unwrap()
                .into_inner()
                .case
                .unwrap();
            if c.status == status as i32 {
                expected.insert(name.clone());
            }
            seen.push(c);
        }
        assert_eq!(listed, expected, "{filter} at {when:?}: {seen:#?}");
    }
    server.stop().await;
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn tracked_cases_answer_what_evaluate_case_answers(cases in cases()) {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(check_against_evaluate_case(cases));
    }
}

/// A tracked case holds at most 10,000 events: the opening, the first response and
/// 9,998 updates fit; one more update is refused on `case.timeline`, on create and on
/// a move.
#[tokio::test]
async fn a_timeline_holds_at_most_ten_thousand_events() {
    let server = TestServer::start_demo().await;
    let open = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let with_updates = |n: i64| pb::CaseTimeline {
        open_time: Some(pb_time(open)),
        priority: pb::Priority::P2 as i32,
        first_response_time: Some(pb_time(open)),
        update_times: (0..n)
            .map(|i| pb_time(open + Duration::seconds(i)))
            .collect(),
        ..Default::default()
    };
    let create = |id: &str, t: pb::CaseTimeline| pb::CreateCaseRequest {
        parent: "accounts/acme".into(),
        case_id: id.into(),
        case: Some(pb::Case {
            timeline: Some(t),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let err = server
        .cases()
        .create_case(create("big", with_updates(9_999)))
        .await
        .unwrap_err();
    assert_invalid_field(&err, "case.timeline");
    assert!(err.message().contains("10000"), "{}", err.message());
    server
        .cases()
        .create_case(create("full", with_updates(9_998)))
        .await
        .unwrap();
    let err = server
        .cases()
        .record_update(pb::RecordUpdateRequest {
            name: "accounts/acme/cases/full".into(),
            update_time: Some(pb_time(open + Duration::hours(5))),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&err, "update_time");
    server.stop().await;
}
