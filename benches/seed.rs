//! Loads a large data set into Postgres and measures what a server does with it: cold
//! start to SERVING and resident memory. The data: 100,000 accounts (configurable) in 10
//! time zones, 12 business-hours calendars with holidays, and one contract per account on
//! the three built-in plans with two designated contacts each.
//!
//! Run (release build of the server first, so the figures are the shipped binary's):
//!
//! ```sh
//! cargo build --release
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/entitlements_scale \
//!   cargo bench --bench seed -- --accounts 100000
//! ```
//!
//! The database is created if missing and emptied first. With `--no-measure` it only
//! loads (the load generator uses the same data set). With `--cases N` it also loads N
//! open tracked cases spread evenly over the accounts (CaseService), opened over the
//! last 30 days with every priority, a third with a first response and some updates,
//! a tenth paused: the figures then include loading and indexing them.

#[path = "common/case_mix.rs"]
mod case_mix;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use entitlements::domain::{
    Calendar, ClosedDate, Contract, ContractOverrides, ContractState, DateException, OpenInterval,
};
use entitlements::store::postgres::PostgresStore;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor};

const ZONES: [&str; 10] = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
];

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn calendar(zone: &str) -> Calendar {
    let nine_to_five = OpenInterval {
        open: "09:00".parse().unwrap(),
        close: "17:00".parse().unwrap(),
    };
    let days = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    let holidays = (2026..=2028)
        .flat_map(|y| {
            [(1, 1), (5, 1), (12, 25), (12, 26)].map(|(m, d)| {
                DateException::Closed(ClosedDate {
                    date: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
                    reason: "holiday".into(),
                })
            })
        })
        .collect();
    Calendar::new(
        zone,
        days.into_iter().map(|d| (d, vec![nine_to_five])).collect(),
        holidays,
    )
    .unwrap()
}

#[tokio::main]
async fn main() {
    // `cargo bench` or `cargo test --all-targets` without arguments: nothing to load.
    let Some(accounts) = arg("--accounts") else {
        println!("seed: pass `-- --accounts N` (and DATABASE_URL) to load a data set");
        return;
    };
    let accounts: usize = accounts.parse().expect("--accounts N");
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let options: PgConnectOptions = url.parse().expect("DATABASE_URL");
    let db = options.get_database().unwrap_or("postgres").to_owned();
    let admin = options.clone().database("postgres");
    let mut conn = admin.connect().await.expect("connect");
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&db)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    if !exists {
        conn.execute(sqlx::AssertSqlSafe(format!("create database \"{db}\"")))
            .await
            .unwrap();
    }
    PostgresStore::migrate(&url).await.expect("migrate");
    let pool = PgPoolOptions::new().connect_with(options).await.unwrap();
    pool.execute(
        "truncate change_log, contract_revisions, obligation_completions, designated_contacts, \
         cases, contracts, accounts, calendars restart identity",
    )
    .await
    .unwrap();

    let started = Instant::now();
    for (i, zone) in ZONES.iter().enumerate() {
        let c = calendar(zone);
        let weekly = serde_json::to_value(c.weekly().to_vec()).unwrap();
        let closed: Vec<ClosedDate> = c
            .exceptions()
            .filter_map(|e| match e {
                DateException::Closed(d) => Some(d.clone()),
                DateException::Special(_) => None,
            })
            .collect();
        sqlx::query(
            "insert into calendars (id, display_name, time_zone, weekly_hours, closed_dates, special_dates) \
             values ($1, $2, $3, $4, $5, '[]')",
        )
        .bind(format!("cal-{i}"))
        .bind(format!("Office hours {zone}"))
        .bind(zone)
        .bind(weekly)
        .bind(serde_json::to_value(closed).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    }
    let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    for chunk in (0..accounts).collect::<Vec<_>>().chunks(10_000) {
        let ids: Vec<String> = chunk.iter().map(|i| format!("acct-{i:06}")).collect();
        let zones: Vec<String> = chunk
            .iter()
            .map(|i| ZONES[i % ZONES.len()].to_owned())
            .collect();
        let calendars: Vec<Option<String>> = chunk
            .iter()
            .map(|i| (i % 4 != 0).then(|| format!("cal-{}", i % ZONES.len())))
            .collect();
        sqlx::query(
            "insert into accounts (id, display_name, time_zone, calendar_id) \
             select id, id, tz, cal from unnest($1::text[], $2::text[], $3::text[]) as t(id, tz, cal)",
        )
        .bind(&ids)
        .bind(&zones)
        .bind(&calendars)
        .execute(&pool)
        .await
        .unwrap();
        let plans: Vec<String> = chunk
            .iter()
            .map(|i| ["standard", "extended", "premium"][i % 3].to_owned())
            .collect();
        let docs: Vec<serde_json::Value> = chunk
            .iter()
            .zip(&ids)
            .zip(&plans)
            .map(|((_, id), plan)| {
                serde_json::to_value(Contract {
                    id: "main".into(),
                    account_id: id.clone(),
                    plan_id: plan.clone(),
                    start,
                    end: None,
                    state: ContractState::Active,
                    terminated_at: None,
                    overrides: ContractOverrides::default(),
                    contacts: Vec::new(),
                    version: 1,
                    technical_account_manager: None,
                })
                .unwrap()
            })
            .collect();
        sqlx::query(
            "insert into contracts (account_id, id, plan_id, start_at, state, doc, version) \
             select a, 'main', p, $3, 'active', d, 1 from unnest($1::text[], $2::text[], $4::jsonb[]) as t(a, p, d)",
        )
        .bind(&ids)
        .bind(&plans)
        .bind(start)
        .bind(&docs)
        .execute(&pool)
        .await
        .unwrap();
        for n in 0..2 {
            let emails: Vec<String> = ids
                .iter()
                .map(|id| format!("contact{n}@{id}.example"))
                .collect();
            sqlx::query(
                "insert into designated_contacts (account_id, contract_id, email, display_name, position, added_at) \
                 select a, 'main', e, e, $3, $4 from unnest($1::text[], $2::text[]) as t(a, e)",
            )
            .bind(&ids)
            .bind(&emails)
            .bind(n)
            .bind(start)
            .execute(&pool)
            .await
            .unwrap();
        }
    }
    println!(
        "seed: loaded {accounts} accounts with contracts in {:.1?}",
        started.elapsed()
    );
    let cases: usize = arg("--cases").map_or(0, |n| n.parse().expect("--cases N"));
    if cases > 0 {
        let started = Instant::now();
        load_cases(&pool, accounts, cases).await;
        println!(
            "seed: loaded {cases} open cases in {:.1?}",
            started.elapsed()
        );
    }
    if std::env::args().any(|a| a == "--no-measure") {
        return;
    }
    measure(&url).await;
}

/// Loads `cases` open cases, spread evenly over `accounts` accounts.
async fn load_cases(pool: &sqlx::PgPool, accounts: usize, cases: usize) {
    let now = Utc::now();
    for chunk in (0..cases).collect::<Vec<_>>().chunks(10_000) {
        let account_ids: Vec<String> = chunk
            .iter()
            .map(|i| format!("acct-{:06}", i % accounts))
            .collect();
        let ids: Vec<String> = chunk.iter().map(|i| format!("case-{i:07}")).collect();
        let timelines: Vec<serde_json::Value> = chunk
            .iter()
            .map(|&i| serde_json::to_value(case_mix::timeline(i, now)).unwrap())
            .collect();
        sqlx::query(
            "insert into cases (account_id, id, external_reference, timeline) \
             select a, c, c, t from unnest($1::text[], $2::text[], $3::jsonb[]) as u(a, c, t)",
        )
        .bind(&account_ids)
        .bind(&ids)
        .bind(&timelines)
        .execute(pool)
        .await
        .unwrap();
    }
}

/// Starts the release binary on the data set and reports cold start to SERVING and RSS.
async fn measure(url: &str) {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/entitlements");
    assert!(
        bin.exists(),
        "build the release binary first: cargo build --release"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let mut child = Command::new(&bin)
        .args(["serve", "--no-migrate", "--log-format", "json"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .stdout(Stdio::null())
        .spawn()
        .expect("start the server");
    let health = |bin: &std::path::Path| {
        Command::new(bin)
            .args([
                "health",
                "--addr",
                &format!("http://127.0.0.1:{port}"),
                "--timeout",
                "1",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    while !health(&bin) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "never SERVING"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let cold_start = started.elapsed();
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: ?")
        .to_owned();
    println!(
        "seed: cold start to SERVING: {cold_start:.2?}; resident memory {}",
        rss.trim_start_matches("VmRSS:").trim()
    );
    let _ = child.kill();
    let _ = child.wait();
}
