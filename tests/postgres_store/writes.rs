//! One server's writes under contention: the five-contact limit holds under 50
//! concurrent adds, and a write blocked by another session's lock times out UNAVAILABLE
//! with RetryInfo, writes nothing and leaves the write services SERVING.

use std::time::Duration;

use entitlements::store::postgres::{PostgresSettings, PostgresStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::common::fixtures::{account_body, create_account};
use crate::common::{TestServer, details};
use crate::helpers::{contact_request, health, seed_premium};

#[sqlx::test(migrations = false)]
async fn fifty_concurrent_adds_on_a_five_contact_contract(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let store = PostgresStore::connect_with(options.clone(), PostgresSettings::new(true))
        .await
        .unwrap();
    let server = TestServer::start_with(store).await;
    seed_premium(&server).await;
    let calls: Vec<_> = (0..50)
        .map(|i| {
            let mut client = server.contracts();
            tokio::spawn(async move { client.add_designated_contact(contact_request(i)).await })
        })
        .collect();
    let (mut ok, mut quota) = (0, 0);
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
                assert!(details(&e).quota_failure().is_some(), "{e:?}");
                quota += 1;
            }
        }
    }
    assert_eq!((ok, quota), (5, 45));
    // The database holds exactly five.
    let pool = PgPoolOptions::new().connect_with(options).await.unwrap();
    let held: i64 = sqlx::query_scalar("select count(*) from designated_contacts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(held, 5);
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_write_blocked_by_a_lock_times_out_and_writes_nothing(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let settings = PostgresSettings {
        migrate: true,
        write_timeout: Duration::from_millis(300),
    };
    let store = PostgresStore::connect_with(options.clone(), settings)
        .await
        .unwrap();
    let server = TestServer::start_with(store).await;
    // Another client holds a lock on the accounts table, as a long migration or an
    // operator's session might.
    let pool = PgPoolOptions::new().connect_with(options).await.unwrap();
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("lock table accounts in access exclusive mode")
        .execute(&mut *holder)
        .await
        .unwrap();

    // The write waits for the lock only as long as the write timeout, then fails
    // UNAVAILABLE with RetryInfo. (The outer timeout only stops a hang from hanging the
    // suite.)
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        create_account(&server, "blocked", account_body("blocked", "Europe/Berlin")),
    )
    .await
    .expect("the blocked write returns")
    .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(err.message().contains("write timeout"), "{err:?}");
    let d = details(&err);
    assert!(d.retry_info().is_some(), "{err:?}");
    assert_eq!(d.error_info().expect("ErrorInfo").reason, "STORE_BUSY");
    // Postgres cancelled the statement: nothing of ours is still waiting for a lock.
    let waiting: i64 = sqlx::query_scalar(
        "select count(*) from pg_stat_activity \
         where datname = current_database() and wait_event_type = 'Lock'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(waiting, 0);
    // Postgres is reachable: the write services stay SERVING.
    assert_eq!(
        health(&server, "entitlements.v1.AccountService").await,
        ServingStatus::Serving
    );
    holder.rollback().await.unwrap();

    // Nothing was written: the same account can be created once the lock is gone.
    let held: i64 = sqlx::query_scalar("select count(*) from accounts where id = 'blocked'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(held, 0);
    create_account(&server, "blocked", account_body("blocked", "Europe/Berlin"))
        .await
        .unwrap();
    server.stop().await;
}
