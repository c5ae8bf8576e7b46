//! Tracked cases at scale, in process, through the same code the server runs:
//!
//! - `--memory`: resident memory added by 1,000,000 open cases over 100,000 accounts
//!   (the memory store's snapshot, which the Postgres store's is too), and how long
//!   creating them through the use case takes;
//! - `--list`: the cost of ListCases(`status = BREACHED`, page_size 100) across every
//!   account at 10,000 and at 1,000,000 open cases: the page is read from the due
//!   index, so it must not grow with the number of cases;
//! - `--calls N`: N GetCase and N EvaluateCase of the same timelines through the gRPC
//!   handlers (no network), for `valgrind --tool=callgrind` to count instructions per
//!   call (docs/performance.md);
//! - `--bulk`: 100,000 CreateCase calls with 64 in flight against the real server on
//!   Postgres (DATABASE_URL), the rate sustained.
//!
//! ```sh
//! cargo bench --bench cases -- --memory --list
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/entitlements_bulk cargo bench --bench cases -- --bulk
//! ```

#[path = "common/case_mix.rs"]
mod case_mix;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entitlements::app::case_list::{self, CaseFilter};
use entitlements::domain::{CaseStatus, Contract, ContractOverrides, ContractState};
use entitlements::grpc::case::CaseApi;
use entitlements::grpc::pb;
use entitlements::grpc::pb::case_service_server::CaseService;
use entitlements::grpc::pb::sla_service_server::SlaService;
use entitlements::grpc::sla::SlaApi;
use entitlements::names::AccountParent;
use entitlements::store::memory::MemoryStore;
use entitlements::store::{Change, Store};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ZONES: [&str; 4] = ["Europe/Berlin", "America/New_York", "Asia/Seoul", "UTC"];

fn has(flag: &str) -> bool {
    std::env::args().any(|a| a == flag)
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Resident memory of this process, in MiB.
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// A memory store with `accounts` accounts, each with a contract on a built-in plan.
async fn with_accounts(accounts: usize) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let start: DateTime<Utc> = "2025-01-01T00:00:00Z".parse().unwrap();
    for i in 0..accounts {
        let id = format!("acct-{i:06}");
        let apply = |change| entitlements::app::apply(store.as_ref(), change, "bench");
        apply(Change::CreateAccount {
            id: id.clone(),
            display_name: id.clone(),
            time_zone: ZONES[i % ZONES.len()].into(),
            calendar_id: None,
        })
        .await
        .expect("account");
        apply(Change::CreateContract(Contract {
            id: "main".into(),
            account_id: id.clone(),
            plan_id: ["standard", "extended", "premium"][i % 3].into(),
            start,
            end: None,
            state: ContractState::Active,
            terminated_at: None,
            overrides: ContractOverrides::default(),
            contacts: Vec::new(),
            technical_account_manager: None,
            version: 1,
        }))
        .await
        .expect("contract");
    }
    store
}

/// Creates `cases` open cases over the store's `accounts` accounts, through the use case.
async fn add_cases(store: &MemoryStore, accounts: usize, from: usize, cases: usize) {
    let now = Utc::now();
    for i in from..from + cases {
        entitlements::app::apply(
            store,
            Change::CreateCase {
                account_id: format!("acct-{:06}", i % accounts),
                id: format!("case-{i:07}"),
                external_reference: format!("TICKET-{i}"),
                timeline: case_mix::timeline(i, now),
            },
            "bench",
        )
        .await
        .expect("case");
    }
}

async fn memory() {
    let (accounts, cases) = (100_000, 1_000_000);
    let store = with_accounts(accounts).await;
    let before = rss_mib();
    let started = Instant::now();
    add_cases(&store, accounts, 0, cases).await;
    let took = started.elapsed();
    let after = rss_mib();
    let open = store.snapshot().read().cases().open_len();
    println!(
        "memory: {open} open cases over {accounts} accounts: +{:.0} MiB resident \
         ({:.0} bytes per case; {before:.0} MiB before, {after:.0} MiB after); created in \
         {took:.1?} ({:.0} creates/s through the use case)",
        after - before,
        (after - before) * 1024.0 * 1024.0 / cases as f64,
        cases as f64 / took.as_secs_f64()
    );
}

/// The mean time of ListCases(status = BREACHED, page_size 100) across every account.
async fn list_cost(store: &MemoryStore) -> (Duration, usize) {
    let filter = CaseFilter {
        status: Some(CaseStatus::Breached),
        ..CaseFilter::default()
    };
    let now = Utc::now();
    let rounds = 200;
    let mut listed = 0;
    let started = Instant::now();
    for _ in 0..rounds {
        let page = case_list::list(store, AccountParent::Every, &filter, None, 100, now)
            .await
            .expect("list");
        listed = page.cases.len();
    }
    (started.elapsed() / rounds, listed)
}

async fn list() {
    let accounts = 100_000;
    let store = with_accounts(accounts).await;
    add_cases(&store, accounts, 0, 10_000).await;
    let (small, n_small) = list_cost(&store).await;
    add_cases(&store, accounts, 10_000, 990_000).await;
    let (large, n_large) = list_cost(&store).await;
    println!(
        "list: ListCases(status = BREACHED, page_size 100), every account: {small:.1?} per page \
         at 10,000 open cases ({n_small} listed), {large:.1?} at 1,000,000 ({n_large} listed): \
         {:.2}x",
        large.as_secs_f64() / small.as_secs_f64()
    );
}

/// GetCase and EvaluateCase of the same timelines through the handlers, `n` each.
async fn calls(n: usize) {
    let accounts = 1_000;
    let store = with_accounts(accounts).await;
    add_cases(&store, accounts, 0, 1_000).await;
    let cases = CaseApi::new(store.clone());
    let sla = SlaApi::new(store.clone());
    let at = Utc::now();
    let stamp = prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    };
    let mut timelines = Vec::new();
    for i in 0..1_000 {
        let name = format!("accounts/acct-{:06}/cases/case-{i:07}", i % accounts);
        let got = cases
            .get_case(tonic::Request::new(pb::GetCaseRequest {
                name: name.clone(),
                evaluate_time: Some(stamp),
            }))
            .await
            .expect("get")
            .into_inner();
        timelines.push((name, got.case.unwrap().timeline));
    }
    for k in 0..n {
        let (name, timeline) = &timelines[k % timelines.len()];
        let get = cases
            .get_case(tonic::Request::new(pb::GetCaseRequest {
                name: name.clone(),
                evaluate_time: Some(stamp),
            }))
            .await
            .expect("get");
        let account = name.split("/cases/").next().unwrap().to_owned();
        let eval = sla
            .evaluate_case(tonic::Request::new(pb::EvaluateCaseRequest {
                account,
                case: timeline.clone(),
                evaluate_time: Some(stamp),
            }))
            .await
            .expect("evaluate");
        assert_eq!(get.into_inner().evaluation, Some(eval.into_inner()));
    }
    println!("calls: {n} GetCase and {n} EvaluateCase, answers equal");
}

async fn bulk() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL for --bulk");
    let store = entitlements::store::postgres::PostgresStore::connect(
        &url,
        entitlements::store::postgres::PostgresSettings::new(true),
    )
    .await
    .expect("connect");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_store: Arc<dyn Store> = store.clone();
    tokio::spawn(async move {
        entitlements::server::serve(listener, server_store, std::future::pending::<()>())
            .await
            .expect("serve")
    });
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let client = pb::case_service_client::CaseServiceClient::new(channel.clone());
    let run = format!("{}", Utc::now().timestamp());
    let account = format!("bulk-{run}");
    entitlements::app::apply(
        store.as_ref(),
        Change::CreateAccount {
            id: account.clone(),
            display_name: account.clone(),
            time_zone: "UTC".into(),
            calendar_id: None,
        },
        "bench",
    )
    .await
    .expect("account");
    let total: usize = arg("--cases").map_or(100_000, |n| n.parse().unwrap());
    let in_flight = 64;
    let now = Utc::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (mut client, next, account) = (client.clone(), next.clone(), account.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= total {
                        return;
                    }
                    let t = case_mix::timeline(i, now);
                    client
                        .create_case(pb::CreateCaseRequest {
                            parent: format!("accounts/{account}"),
                            case_id: format!("case-{i:07}"),
                            case: Some(pb::Case {
                                timeline: Some(entitlements::grpc::convert::pb_timeline(&t)),
                                ..Default::default()
                            }),
                            request_id: String::new(),
                        })
                        .await
                        .expect("create");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let took = started.elapsed();
    println!(
        "bulk: {total} CreateCase with {in_flight} in flight on Postgres in {took:.1?}: {:.0} creates/s",
        total as f64 / took.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    if has("--memory") {
        memory().await;
    }
    if has("--list") {
        list().await;
    }
    if let Some(n) = arg("--calls") {
        calls(n.parse().expect("--calls N")).await;
    }
    if has("--bulk") {
        bulk().await;
    }
    if !["--memory", "--list", "--calls", "--bulk"]
        .iter()
        .any(|f| std::env::args().any(|a| a == *f))
    {
        println!("cases: pass --memory, --list, --calls N or --bulk (see the file's header)");
    }
}
