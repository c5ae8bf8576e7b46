//! Group commit: many writes in flight on one server share transactions, and each keeps
//! the outcome it would have alone: a duplicate create inside a group is refused on its
//! own, a stale move is decided again, nothing acknowledged is lost, and the snapshot
//! the server answers from agrees with a fresh load from Postgres.

use entitlements::grpc::pb;
use entitlements::store::Store;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tonic::Code;

use crate::common::{TestServer, ts};
use crate::helpers::seed_premium;

/// How many distinct cases the test creates, each sent twice at once.
const CASES: usize = 150;

fn create(i: usize) -> pb::CreateCaseRequest {
    pb::CreateCaseRequest {
        parent: "accounts/acme".into(),
        case_id: format!("g{i:03}"),
        case: Some(pb::Case {
            external_reference: format!("REF-{i}"),
            timeline: Some(pb::CaseTimeline {
                open_time: Some(ts("2026-03-02T10:00:00Z")),
                priority: pb::Priority::P2 as i32,
                first_response_time: Some(ts("2026-03-02T10:30:00Z")),
                ..Default::default()
            }),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

#[sqlx::test(migrations = false)]
async fn writes_in_flight_together_keep_their_own_outcomes(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let store = entitlements::store::postgres::PostgresStore::connect_with(
        options.clone(),
        entitlements::store::postgres::PostgresSettings::new(true),
    )
    .await
    .unwrap();
    let server = TestServer::start_with(store.clone()).await;
    seed_premium(&server).await;
    // Every id twice, all at once: exactly one of each pair is created.
    let calls = (0..2 * CASES).map(|n| {
        let mut client = server.cases();
        async move { (n % CASES, client.create_case(create(n % CASES)).await) }
    });
    let mut created = vec![0; CASES];
    for (i, outcome) in futures_util::future::join_all(calls).await {
        match outcome {
            Ok(_) => created[i] += 1,
            Err(s) => assert_eq!(s.code(), Code::AlreadyExists, "case {i}: {s:?}"),
        }
    }
    assert!(created.iter().all(|&n| n == 1), "{created:?}");
    // Two updates of each case at once (the second decided on a stale revision in its
    // group): both recorded.
    let updates = (0..2 * CASES).map(|n| {
        let mut client = server.cases();
        async move {
            client
                .record_update(pb::RecordUpdateRequest {
                    name: format!("accounts/acme/cases/g{:03}", n % CASES),
                    update_time: Some(ts(if n < CASES {
                        "2026-03-02T11:00:00Z"
                    } else {
                        "2026-03-02T12:00:00Z"
                    })),
                    request_id: String::new(),
                })
                .await
        }
    });
    for done in futures_util::future::join_all(updates).await {
        done.expect("record update");
    }
    // The snapshot answering now holds what a fresh load from Postgres holds.
    let fresh = entitlements::store::postgres::PostgresStore::connect_with(
        options,
        entitlements::store::postgres::PostgresSettings::new(false),
    )
    .await
    .unwrap();
    for i in 0..CASES {
        let id = format!("g{i:03}");
        let served = store.snapshot().read().case("acme", &id).cloned().unwrap();
        let loaded = fresh.snapshot().read().case("acme", &id).cloned().unwrap();
        assert_eq!(served.external_reference(), format!("REF-{i}"));
        assert_eq!(served.case_timeline().updates.len(), 2, "{id}");
        assert_eq!(served.case_timeline(), loaded.case_timeline(), "{id}");
        assert_eq!(served.meta.revision, loaded.meta.revision, "{id}");
        assert_eq!(
            served.outlook.map(|o| o.next_due),
            loaded.outlook.map(|o| o.next_due)
        );
    }
}
