//! Criterion benchmarks of the engine's hot path: `add()` for 30 min, 8 h, 72 h and
//! 10,000 h on a Monday-Friday 09:00-17:00 calendar in Europe/Berlin (a DST zone) with 12
//! holidays a year for 2026-2040, plus a full deadline computation the way the server does
//! it (snapshot read, account and contract lookup, terms, calendar, add).
//!
//! Run: `cargo bench --bench business_time`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use criterion::{Criterion, criterion_group, criterion_main};
use entitlements::domain::entitlement::InForce;
use entitlements::domain::{
    BusinessClock, Calendar, ClosedDate, Contract, ContractOverrides, ContractState, DateException,
    Milestone, OpenInterval, Pauses, Priority, deadline,
};
use entitlements::store::records::Change;
use entitlements::store::{State, Store};

fn office_calendar() -> Calendar {
    let nine_to_five = OpenInterval {
        open: "09:00".parse().unwrap(),
        close: "17:00".parse().unwrap(),
    };
    let weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    // 12 holidays a year: the 1st of every month that is not a weekend, else the 2nd/3rd.
    let mut holidays = Vec::new();
    for year in 2026..=2040 {
        for month in 1..=12 {
            let mut d = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
            while matches!(chrono::Datelike::weekday(&d), Weekday::Sat | Weekday::Sun) {
                d = d.succ_opt().unwrap();
            }
            holidays.push(DateException::Closed(ClosedDate {
                date: d,
                reason: "holiday".into(),
            }));
        }
    }
    Calendar::new(
        "Europe/Berlin",
        weekdays
            .into_iter()
            .map(|d| (d, vec![nine_to_five]))
            .collect(),
        holidays,
    )
    .unwrap()
}

fn add(c: &mut Criterion) {
    let calendar = office_calendar();
    let clock = BusinessClock::Calendar(&calendar);
    // A Friday afternoon two days before the spring-forward weekend.
    let start: DateTime<Utc> = "2026-03-27T15:30:00Z".parse().unwrap();
    let mut group = c.benchmark_group("add");
    for (name, secs) in [
        ("30min", 30 * 60),
        ("8h", 8 * 3600),
        ("72h", 72 * 3600),
        ("10000h", 10_000 * 3600),
    ] {
        let d = Duration::from_secs(secs);
        group.bench_function(name, |b| {
            b.iter(|| clock.add(black_box(start), black_box(d)).unwrap())
        });
    }
    group.finish();
}

fn full_deadline(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = entitlements::store::memory::MemoryStore::new();
    rt.block_on(async {
        entitlements::app::apply(
            &store,
            Change::CreateCalendar {
                id: "berlin".into(),
                display_name: String::new(),
                calendar: Arc::new(office_calendar()),
            },
            "bench",
        )
        .await
        .unwrap();
        for i in 0..10_000 {
            let id = format!("acct-{i:05}");
            entitlements::app::apply(
                &store,
                Change::CreateAccount {
                    id: id.clone(),
                    display_name: String::new(),
                    time_zone: "Europe/Berlin".into(),
                    calendar_id: Some("berlin".into()),
                },
                "bench",
            )
            .await
            .unwrap();
            let plan = ["standard", "extended", "premium"][i % 3];
            entitlements::app::apply(
                &store,
                Change::CreateContract(Contract {
                    id: "main".into(),
                    account_id: id,
                    plan_id: plan.into(),
                    start: "2026-01-01T00:00:00Z".parse().unwrap(),
                    end: None,
                    state: ContractState::Active,
                    terminated_at: None,
                    overrides: ContractOverrides::default(),
                    contacts: Vec::new(),
                    technical_account_manager: None,
                    version: 1,
                }),
                "bench",
            )
            .await
            .unwrap();
        }
    });
    let opened: DateTime<Utc> = "2026-03-27T15:30:00Z".parse().unwrap();
    let compute = |state: &State, account: &str| {
        let (acct, in_force) = state.in_force(account, opened).unwrap();
        let InForce::Effective { terms, .. } = in_force else {
            panic!("no contract")
        };
        let calendar = state.account_calendar(acct);
        deadline(
            terms.for_priority(Priority::P1),
            Milestone::FirstResponse,
            calendar,
            opened,
            &Pauses::none(),
        )
        .unwrap()
        .due
    };
    c.bench_function("deadline/standard_p1_full", |b| {
        b.iter(|| {
            let state = store.snapshot().read();
            compute(&state, black_box("acct-00000"))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = add, full_deadline
}
criterion_main!(benches);
