//! Graceful shutdown of the real binary on SIGTERM, with calls in flight: writes held in
//! Postgres behind a table lock this test takes. On SIGTERM health turns NOT_SERVING
//! (a Watch sees it), new connections are refused, and every call in flight completes
//! once the lock is released; the process then exits 0. With a short grace period the
//! process exits while a call is still held, and that call's write never commits.

mod binary;
mod hardening;

use std::io::ErrorKind;
use std::time::Duration;

use entitlements::grpc::pb;
use hardening::Binary;
use sqlx::PgPool;
use tokio::net::TcpStream;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A URL of the test's database for the binary (DATABASE_URL with its database
/// replaced).
async fn url_of(pool: &PgPool) -> String {
    let db: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let base = base.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    format!("{server}/{db}")
}

/// Waits until `n` backends of the test's database wait on a lock.
async fn until_waiting_on_lock(pool: &PgPool, n: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "{n} backends never waited on the lock"
        );
        let waiting: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity \
             where datname = current_database() and wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert!(waiting <= n, "{waiting} backends wait, expected {n}");
        if waiting == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the server's port refuses connections.
async fn until_refused(addr: std::net::SocketAddr) {
    loop {
        match TcpStream::connect(addr).await {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return,
            // Accepted just before the listener closed (then reset), or not yet closed.
            Err(_) | Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn create_account(
    channel: &Channel,
    id: String,
) -> tokio::task::JoinHandle<Result<tonic::Response<pb::CreateAccountResponse>, tonic::Status>> {
    let mut accounts = pb::account_service_client::AccountServiceClient::new(channel.clone());
    tokio::spawn(async move {
        accounts
            .create_account(pb::CreateAccountRequest {
                request_id: String::new(),
                account_id: id,
                account: Some(pb::Account {
                    time_zone: "Europe/Berlin".into(),
                    ..Default::default()
                }),
            })
            .await
    })
}

async fn connect(addr: std::net::SocketAddr) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
}

async fn accounts_named(pool: &PgPool, prefix: &'static str) -> i64 {
    sqlx::query_scalar("select count(*) from accounts where id like $1 || '%'")
        .bind(prefix)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn sigterm_with_calls_in_flight_fails_none_of_them(pool: PgPool) {
    let url = url_of(&pool).await;
    let mut served = Binary::serve(
        &["--listen", "127.0.0.1:0", "--shutdown-grace", "5m"],
        &[("DATABASE_URL", &url)],
    )
    .expect("serves");
    let channels = [
        connect(served.addr).await.unwrap(),
        connect(served.addr).await.unwrap(),
    ];
    let mut watch = HealthClient::new(channels[0].clone())
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);

    // Writes in flight on two connections, held by our lock on the accounts table: the
    // store's group commit writes them in one transaction, or the first in one that
    // waits on the lock and the others queued behind it; either way one backend waits.
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("lock table accounts in exclusive mode")
        .execute(&mut *lock)
        .await
        .unwrap();
    let calls: Vec<_> = (0..4)
        .map(|i| create_account(&channels[i % 2], format!("inflight-{i}")))
        .collect();
    until_waiting_on_lock(&pool, 1).await;
    // The four were sent together; give the last of them time to reach the server.
    tokio::time::sleep(Duration::from_millis(300)).await;

    served.sigterm();
    // Health turns NOT_SERVING ...
    let next = watch.message().await.unwrap().unwrap();
    assert_eq!(next.status, ServingStatus::NotServing as i32);
    drop(watch);
    // ... new connections are refused, so new calls fail UNAVAILABLE ...
    until_refused(served.addr).await;
    assert!(connect(served.addr).await.is_err());
    // ... and the process is still there, finishing the calls in flight.
    assert!(
        served.child.try_wait().unwrap().is_none(),
        "exited with calls in flight"
    );
    assert!(calls.iter().all(|c| !c.is_finished()));
    lock.rollback().await.unwrap();
    for call in calls {
        let account = call
            .await
            .unwrap()
            .expect("a call in flight at SIGTERM completes");
        assert!(
            account
                .into_inner()
                .account
                .unwrap()
                .name
                .starts_with("accounts/inflight-")
        );
    }
    drop(channels);
    let status = tokio::task::spawn_blocking(move || {
        let status = served.wait();
        (status, served.log_text())
    })
    .await
    .unwrap();
    assert!(
        status.0.success(),
        "exit after SIGTERM: {:?}\n{}",
        status.0,
        status.1
    );
    assert!(status.1.contains("shutting down"), "{}", status.1);
    assert_eq!(accounts_named(&pool, "inflight-").await, 4);
}

#[sqlx::test(migrations = false)]
async fn the_grace_period_bounds_the_wait_for_calls_in_flight(pool: PgPool) {
    let url = url_of(&pool).await;
    let mut served = Binary::serve(
        &["--listen", "127.0.0.1:0"],
        &[
            ("DATABASE_URL", &url),
            ("ENTITLEMENTS_SHUTDOWN_GRACE", "1s"),
        ],
    )
    .expect("serves");
    let channel = connect(served.addr).await.unwrap();
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("lock table accounts in exclusive mode")
        .execute(&mut *lock)
        .await
        .unwrap();
    let call = create_account(&channel, "stuck".into());
    until_waiting_on_lock(&pool, 1).await;

    served.sigterm();
    // The process exits while the call is still held by our lock.
    let (status, logs) = tokio::task::spawn_blocking(move || {
        let status = served.wait();
        (status, served.log_text())
    })
    .await
    .unwrap();
    assert!(
        status.success(),
        "exit after the grace period: {status:?}\n{logs}"
    );
    assert!(logs.contains("grace period over"), "{logs}");
    let err = call.await.unwrap().expect_err("the held call is cut off");
    assert!(
        matches!(
            err.code(),
            tonic::Code::Unavailable
                | tonic::Code::Unknown
                | tonic::Code::Internal
                | tonic::Code::Cancelled
        ),
        "{err:?}"
    );
    lock.rollback().await.unwrap();
    // Its transaction never committed.
    assert_eq!(accounts_named(&pool, "stuck").await, 0);
}
