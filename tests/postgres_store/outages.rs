//! Outages of a throwaway cluster of the test's own (initdb on a free port, stopped and
//! started with pg_ctl) while calls are running: reads go on from the snapshot, writes
//! fail UNAVAILABLE with RetryInfo, the write services turn NOT_SERVING and recover by
//! themselves, and nothing acknowledged is lost, once and under twenty kills.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use entitlements::grpc::pb;
use entitlements::store::postgres::{PostgresSettings, PostgresStore};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::common::fixtures::{account_body, check_req};
use crate::common::{TestServer, details, ts};
use crate::helpers::{contact_request, health, seed_premium};

/// A Postgres cluster of the test's own, on a free port, in a temporary directory.
struct Cluster {
    bin: PathBuf,
    data: tempfile::TempDir,
    port: u16,
}

fn pg_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("ENTITLEMENTS_PG_BIN") {
        return p.into();
    }
    let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql (run .ci/postgres)")
        .map(|e| e.unwrap().path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    bins.sort();
    bins.pop().expect("an initdb")
}

fn as_postgres(cmd: &Path) -> Command {
    // initdb and postgres refuse to run as root.
    if nix_is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(cmd);
        c
    } else {
        Command::new(cmd)
    }
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Cluster {
    fn create() -> Cluster {
        let bin = pg_bin();
        let data = tempfile::tempdir().unwrap();
        if nix_is_root() {
            Command::new("chown")
                .args(["-R", "postgres"])
                .arg(data.path())
                .status()
                .unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(data.path().join("db"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Cluster { bin, data, port };
        cluster.start();
        cluster
    }

    fn pg_ctl(&self, args: &[&str]) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data.path().join("db"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        let opts = format!("-p {} -k /tmp -c listen_addresses=127.0.0.1", self.port);
        let log = self.data.path().join("db/server.log");
        self.pg_ctl(&["-w", "-o", &opts, "-l", log.to_str().unwrap(), "start"]);
    }

    fn stop(&self) {
        self.pg_ctl(&["-w", "-m", "immediate", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data.path().join("db"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

async fn wait_health(server: &TestServer, service: &str, want: ServingStatus) {
    let start = Instant::now();
    while health(server, service).await != want {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{service} never became {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn outage_of_postgres_while_calls_are_running() {
    let cluster = Cluster::create();
    let store = PostgresStore::connect(&cluster.url(), PostgresSettings::new(true))
        .await
        .unwrap();
    let server = TestServer::start_with(store).await;
    seed_premium(&server).await;
    let mut acknowledged = Vec::new();
    for i in 0..3 {
        server
            .contracts()
            .add_designated_contact(contact_request(i))
            .await
            .unwrap();
        acknowledged.push(i);
    }

    // Checks keep running through the whole outage.
    let checker = {
        let mut client = server.entitlements();
        tokio::spawn(async move {
            let mut answered = 0;
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                let resp = client
                    .check_entitlement(pb::CheckEntitlementRequest {
                        account: "accounts/acme".into(),
                        benefit: "technical_account_manager".into(),
                        check_time: Some(ts("2026-06-01T00:00:00Z")),
                        ..Default::default()
                    })
                    .await
                    .expect("checks never fail during the outage");
                assert!(resp.get_ref().allowed);
                answered += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            answered
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    cluster.stop();

    // Write services turn NOT_SERVING; the read services stay SERVING.
    wait_health(
        &server,
        "entitlements.v1.ContractService",
        ServingStatus::NotServing,
    )
    .await;
    assert_eq!(
        health(&server, "entitlements.v1.EntitlementService").await,
        ServingStatus::Serving
    );
    // Writes fail UNAVAILABLE with RetryInfo.
    let err = server
        .contracts()
        .add_designated_contact(contact_request(3))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(details(&err).retry_info().is_some());
    // Deadlines answer from the snapshot and say how stale it is.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let resp = server
        .sla()
        .compute_deadline(pb::ComputeDeadlineRequest {
            account: "accounts/acme".into(),
            priority: pb::Priority::P1 as i32,
            open_time: Some(ts("2026-06-01T10:00:00Z")),
            milestone: pb::Milestone::FirstResponse as i32,
            ..Default::default()
        })
        .await
        .unwrap();
    let age: u64 = resp
        .metadata()
        .get("x-snapshot-age-ms")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(age >= 1000, "the snapshot age says it is stale: {age} ms");
    assert_eq!(resp.into_inner().due_time, Some(ts("2026-06-01T10:30:00Z")));
    let answered = checker.await.unwrap();
    assert!(
        answered > 10,
        "checks answered during the outage: {answered}"
    );

    // Postgres returns: health recovers by itself and writes succeed again.
    cluster.start();
    wait_health(
        &server,
        "entitlements.v1.ContractService",
        ServingStatus::Serving,
    )
    .await;
    server
        .contracts()
        .add_designated_contact(contact_request(3))
        .await
        .unwrap();
    acknowledged.push(3);
    server.stop().await;

    // Nothing acknowledged was lost.
    let reloaded = PostgresStore::connect(&cluster.url(), PostgresSettings::new(false))
        .await
        .unwrap();
    let state = entitlements::store::Store::snapshot(reloaded.as_ref()).read();
    let emails: Vec<String> = state
        .contract("acme", "main")
        .unwrap()
        .contract
        .contacts
        .iter()
        .map(|c| c.email.clone())
        .collect();
    let want: Vec<String> = acknowledged
        .iter()
        .map(|i| format!("person{i}@acme.example"))
        .collect();
    assert_eq!(emails, want);
}

/// Kills of Postgres under load in [`twenty_kills_under_load`]; `OUTAGE_KILLS` overrides.
fn kills() -> usize {
    std::env::var("OUTAGE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

#[tokio::test]
async fn twenty_kills_under_load() {
    let write_timeout = Duration::from_secs(2);
    let cluster = Cluster::create();
    let settings = PostgresSettings {
        write_timeout,
        ..PostgresSettings::new(true)
    };
    let store = PostgresStore::connect(&cluster.url(), settings)
        .await
        .unwrap();
    let server = TestServer::start_with(store).await;
    seed_premium(&server).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = |stop: &std::sync::Arc<std::sync::atomic::AtomicBool>| {
        !stop.load(std::sync::atomic::Ordering::SeqCst)
    };

    // Two writers creating accounts: each records what was acknowledged and how long
    // every write took, answered or refused.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let mut accounts = server.accounts();
            let stop = stop.clone();
            tokio::spawn(async move {
                let (mut acknowledged, mut slowest) = (Vec::new(), Duration::ZERO);
                let mut n = 0;
                while running(&stop) {
                    // Until acknowledged, the same account with the same request id: a
                    // retry after UNAVAILABLE gets the first answer if that attempt
                    // committed, never ALREADY_EXISTS.
                    let id = format!("w{w}-{n}");
                    let request_id = format!("00000000-0000-4000-800{w}-{n:012x}");
                    let began = Instant::now();
                    let answer = accounts
                        .create_account(pb::CreateAccountRequest {
                            request_id,
                            account_id: id.clone(),
                            account: Some(account_body(&id, "UTC")),
                        })
                        .await;
                    slowest = slowest.max(began.elapsed());
                    match answer {
                        Ok(_) => {
                            acknowledged.push(id);
                            n += 1;
                        }
                        Err(e) => {
                            assert_eq!(e.code(), Code::Unavailable, "{e:?}");
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
                (acknowledged, slowest)
            })
        })
        .collect();
    // A reader whose checks must never fail.
    let reader = {
        let mut client = server.entitlements();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut answered = 0u64;
            while running(&stop) {
                let resp = client
                    .check_entitlement(check_req(
                        "acme",
                        "technical_account_manager",
                        Some("2026-06-01T00:00:00Z"),
                        None,
                    ))
                    .await
                    .expect("checks never fail during an outage");
                assert!(resp.get_ref().allowed);
                answered += 1;
            }
            answered
        })
    };

    let mut detections = Vec::new();
    for _ in 0..kills() {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let killed = Instant::now();
        cluster.stop();
        while health(&server, "entitlements.v1.ContractService").await != ServingStatus::NotServing
        {
            assert!(
                killed.elapsed() < Duration::from_secs(10),
                "never NOT_SERVING"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        detections.push(killed.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
        cluster.start();
        wait_health(
            &server,
            "entitlements.v1.ContractService",
            ServingStatus::Serving,
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    let mut slowest = Duration::ZERO;
    for w in writers {
        let (acked, slow) = w.await.unwrap();
        acknowledged.extend(acked);
        slowest = slowest.max(slow);
    }
    let answered = reader.await.unwrap();
    server.stop().await;

    let late: Vec<_> = detections
        .iter()
        .filter(|d| **d > Duration::from_millis(500))
        .collect();
    assert!(
        late.is_empty(),
        "NOT_SERVING within 0.5 s in every kill: {detections:?}"
    );
    // The server bounds every write at the write timeout; the margin is the call's own
    // round trip and scheduling on a loaded 2-core machine (the test's client and the
    // server share it).
    assert!(
        slowest < write_timeout + Duration::from_millis(500),
        "no write waited longer than the write timeout ({write_timeout:?}): {slowest:?}"
    );
    assert!(answered > 100, "reads answered throughout: {answered}");
    assert!(acknowledged.len() > 20, "writes went through between kills");
    // Nothing acknowledged was lost.
    let reloaded = PostgresStore::connect(&cluster.url(), PostgresSettings::new(false))
        .await
        .unwrap();
    let state = entitlements::store::Store::snapshot(reloaded.as_ref()).read();
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| state.account(id).is_none())
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    eprintln!(
        "{} kills: detection {:?} max; slowest write {slowest:?}; {} writes acknowledged; {answered} reads",
        detections.len(),
        detections.iter().max().unwrap(),
        acknowledged.len()
    );
}
