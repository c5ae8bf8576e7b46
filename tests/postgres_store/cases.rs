//! Tracked cases across replicas: created through one, read, moved and listed through
//! the other, a move sent to both recorded once, and a resolved case read through
//! Postgres by both and left out of a fresh snapshot.

use std::time::{Duration, Instant};

use entitlements::grpc::pb;
use entitlements::store::postgres::{PostgresSettings, PostgresStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::common::{TestServer, ts};
use crate::helpers::{TOKEN, seed_premium};

/// Tracked cases across two replicas: a case created through one is read, moved and
/// listed through the other; the same move sent to both at once is recorded once; a
/// resolved case (kept only in Postgres) is read through by both.
#[sqlx::test(migrations = false)]
async fn tracked_cases_across_replicas(_: PgPoolOptions, options: PgConnectOptions) {
    let replica = || async {
        TestServer::start_with(
            PostgresStore::connect_with(options.clone(), PostgresSettings::new(true))
                .await
                .unwrap(),
        )
        .await
    };
    let (a, b) = (replica().await, replica().await);
    seed_premium(&a).await;
    let created = a
        .cases()
        .create_case(pb::CreateCaseRequest {
            parent: "accounts/acme".into(),
            case_id: "k".into(),
            case: Some(pb::Case {
                timeline: Some(pb::CaseTimeline {
                    open_time: Some(ts("2026-03-02T10:00:00Z")),
                    priority: pb::Priority::P1 as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    // With A's consistency token, B answers from a snapshot holding the case.
    let token = created.metadata().get(TOKEN).unwrap().clone();
    let mut get = tonic::Request::new(pb::GetCaseRequest {
        name: "accounts/acme/cases/k".into(),
        evaluate_time: None,
    });
    get.metadata_mut().insert(TOKEN, token);
    let seen = b.cases().get_case(get).await.unwrap().into_inner();
    assert_eq!(seen.case.unwrap().etag, "\"1\"");
    b.cases()
        .record_first_response(pb::RecordFirstResponseRequest {
            name: "accounts/acme/cases/k".into(),
            first_response_time: Some(ts("2026-03-02T10:10:00Z")),
            request_id: String::new(),
        })
        .await
        .unwrap();
    // The same update sent to both replicas at once is recorded once.
    let update = || pb::RecordUpdateRequest {
        name: "accounts/acme/cases/k".into(),
        update_time: Some(ts("2026-03-02T11:00:00Z")),
        request_id: String::new(),
    };
    let (ca, cb) = (a.cases(), b.cases());
    let (mut ca, mut cb) = (ca.clone(), cb.clone());
    let (ra, rb) = tokio::join!(ca.record_update(update()), cb.record_update(update()));
    let (ra, rb) = (ra.unwrap().into_inner(), rb.unwrap().into_inner());
    for r in [&ra, &rb] {
        let t = r.case.as_ref().unwrap().timeline.as_ref().unwrap();
        assert_eq!(t.update_times, [ts("2026-03-02T11:00:00Z")]);
    }
    // Resolved through B: both read it through Postgres, and list it.
    b.cases()
        .resolve_case(pb::ResolveCaseRequest {
            name: "accounts/acme/cases/k".into(),
            resolve_time: Some(ts("2026-03-02T12:00:00Z")),
            request_id: String::new(),
        })
        .await
        .unwrap();
    for server in [&a, &b] {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let got = server
                .cases()
                .get_case(pb::GetCaseRequest {
                    name: "accounts/acme/cases/k".into(),
                    evaluate_time: None,
                })
                .await
                .unwrap()
                .into_inner()
                .case
                .unwrap();
            if got.state == pb::CaseState::Resolved as i32 {
                break;
            }
            assert!(Instant::now() < deadline, "resolution not seen: {got:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let listed = server
            .cases()
            .list_cases(pb::ListCasesRequest {
                parent: "accounts/-".into(),
                filter: "state = RESOLVED".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.cases.len(), 1);
    }
    let fresh = server_store(&options).await;
    let held = entitlements::store::Store::snapshot(fresh.as_ref())
        .read()
        .case("acme", "k")
        .is_some();
    assert!(!held, "a resolved case is not loaded into a snapshot");
    a.stop().await;
    b.stop().await;
}

async fn server_store(options: &PgConnectOptions) -> std::sync::Arc<PostgresStore> {
    PostgresStore::connect_with(options.clone(), PostgresSettings::new(false))
        .await
        .unwrap()
}
