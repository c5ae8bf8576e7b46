//! Proptest-driven fuzzing on stable Rust: arbitrary, mostly malformed requests go
//! through the real request conversion, validation and engine (the service handlers
//! called in-process on a store loaded with the demo seed), and arbitrary calendars and
//! instants through calendar construction and business-time arithmetic. Nothing may
//! panic, and no answer may be INTERNAL or UNKNOWN: bad input always gets a clear error.
//!
//! The suite runs a short pass (`FUZZ_CASES`, default 300 per target). The long run
//! reported in the README:
//!
//! ```sh
//! FUZZ_CASES=200000 cargo test --release --test fuzz
//! ```

mod common;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc, Weekday};
use entitlements::domain::{BusinessClock, Calendar, OpenInterval, TimeOfDay};
use entitlements::grpc::account::AccountApi;
use entitlements::grpc::contract::ContractApi;
use entitlements::grpc::entitlement::EntitlementApi;
use entitlements::grpc::pb;
use entitlements::grpc::pb::account_service_server::AccountService;
use entitlements::grpc::pb::contract_service_server::ContractService;
use entitlements::grpc::pb::entitlement_service_server::EntitlementService;
use entitlements::grpc::pb::sla_service_server::SlaService;
use entitlements::grpc::sla::SlaApi;
use entitlements::store::Store;
use entitlements::store::memory::MemoryStore;
use proptest::prelude::*;
use prost_types::{Duration as PbDuration, FieldMask, Timestamp};
use tonic::{Code, Request};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

struct Fixture {
    rt: tokio::runtime::Runtime,
    store: Arc<dyn Store>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        rt.block_on(common::demo_seed().load_into(store.as_ref()))
            .unwrap();
        Fixture { rt, store }
    })
}

/// An answer is fine when it succeeded or failed with a client-facing code.
fn acceptable<T>(r: &Result<T, tonic::Status>) -> bool {
    match r {
        Ok(_) => true,
        Err(s) => !matches!(s.code(), Code::Internal | Code::Unknown),
    }
}

fn timestamp() -> impl Strategy<Value = Option<Timestamp>> {
    prop_oneof![
        Just(None),
        (1_577_836_800i64..1_924_992_000, 0i32..1_000_000_000).prop_map(|(s, n)| Some(Timestamp {
            seconds: s,
            nanos: n
        })),
        (any::<i64>(), any::<i32>()).prop_map(|(s, n)| Some(Timestamp {
            seconds: s,
            nanos: n
        })),
        (-5_000_000_000i64..10_000_000_000, 0i32..10).prop_map(|(s, n)| Some(Timestamp {
            seconds: s,
            nanos: n
        })),
    ]
}

fn duration() -> impl Strategy<Value = Option<PbDuration>> {
    prop_oneof![
        Just(None),
        (0i64..40_000_000, 0i32..1_000_000_000).prop_map(|(s, n)| Some(PbDuration {
            seconds: s,
            nanos: n
        })),
        (any::<i64>(), any::<i32>()).prop_map(|(s, n)| Some(PbDuration {
            seconds: s,
            nanos: n
        })),
    ]
}

fn name(prefix: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!("{prefix}/acme")),
        Just(format!("{prefix}/initech")),
        Just(format!("{prefix}/globex")),
        "[a-z/0-9-]{0,24}",
        ".{0,16}",
        Just(String::new()),
    ]
}

fn contract_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("accounts/acme/contracts/2026".to_owned()),
        Just("accounts/globex/contracts/main".to_owned()),
        "accounts/[a-z]{0,6}/contracts/[a-z0-9]{0,6}",
        ".{0,20}",
    ]
}

fn small_enum() -> impl Strategy<Value = i32> {
    prop_oneof![0i32..6, any::<i32>()]
}

fn time_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..25, prop::sample::select(vec![0u32, 15, 30, 45]))
            .prop_map(|(h, m)| format!("{h:02}:{m:02}")),
        "[0-9:]{0,9}",
        ".{0,6}",
    ]
}

fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (1960i32..2300, 1u32..13, 1u32..32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        "[0-9-]{0,12}",
    ]
}

fn intervals() -> impl Strategy<Value = Vec<pb::OpenInterval>> {
    prop::collection::vec(
        (time_text(), time_text()).prop_map(|(o, c)| pb::OpenInterval {
            open_time: o,
            close_time: c,
        }),
        0..4,
    )
}

fn calendar_spec() -> impl Strategy<Value = pb::Calendar> {
    (
        prop_oneof![
            Just("Europe/Berlin".to_owned()),
            Just("America/New_York".to_owned()),
            Just("Australia/Lord_Howe".to_owned()),
            Just("UTC".to_owned()),
            ".{0,12}",
        ],
        prop::collection::vec(
            (small_enum(), intervals()).prop_map(|(d, iv)| pb::WeeklyHours {
                day_of_week: d,
                intervals: iv,
            }),
            0..8,
        ),
        prop::collection::vec(
            (date_text(), ".{0,8}").prop_map(|(d, r)| pb::ClosedDate { date: d, reason: r }),
            0..4,
        ),
        prop::collection::vec(
            (date_text(), intervals(), ".{0,8}").prop_map(|(d, iv, r)| pb::SpecialDate {
                date: d,
                intervals: iv,
                reason: r,
            }),
            0..3,
        ),
    )
        .prop_map(|(tz, weekly, closed, special)| pb::Calendar {
            time_zone: tz,
            weekly_hours: weekly,
            closed_dates: closed,
            special_dates: special,
            ..Default::default()
        })
}

fn pauses() -> impl Strategy<Value = Vec<pb::Interval>> {
    prop::collection::vec(
        (timestamp(), timestamp()).prop_map(|(s, e)| pb::Interval {
            start_time: s,
            end_time: e,
        }),
        0..4,
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn business_time_requests(spec in calendar_spec(), stored in any::<bool>(),
                              start in timestamp(), end in timestamp(), d in duration()) {
        let f = fixture();
        let api = SlaApi::new(f.store.clone());
        let source = if stored {
            pb::add_business_time_request::CalendarSource::Calendar("calendars/emea".into())
        } else {
            pb::add_business_time_request::CalendarSource::CalendarSpec(spec.clone())
        };
        let r = f.rt.block_on(api.add_business_time(Request::new(pb::AddBusinessTimeRequest {
            calendar_source: Some(source),
            start_time: start,
            duration: d,
        })));
        prop_assert!(acceptable(&r), "{r:?}");
        let r = f.rt.block_on(api.business_time_between(Request::new(pb::BusinessTimeBetweenRequest {
            calendar_source: Some(pb::business_time_between_request::CalendarSource::CalendarSpec(spec)),
            start_time: start,
            end_time: end,
        })));
        prop_assert!(acceptable(&r), "{r:?}");
    }

    #[test]
    fn deadline_and_case_requests(account in name("accounts"), priority in small_enum(),
                                  milestone in small_enum(), open in timestamp(), last in timestamp(),
                                  pauses in pauses(), first in timestamp(),
                                  updates in prop::collection::vec(timestamp(), 0..4),
                                  changes in prop::collection::vec((timestamp(), small_enum()), 0..3),
                                  resolve in timestamp(), now in timestamp()) {
        let f = fixture();
        let api = SlaApi::new(f.store.clone());
        let r = f.rt.block_on(api.compute_deadline(Request::new(pb::ComputeDeadlineRequest {
            account: account.clone(),
            priority,
            open_time: open,
            milestone,
            last_response_time: last,
            pauses: pauses.clone(),
            ..Default::default()
        })));
        prop_assert!(acceptable(&r), "{r:?}");
        let case = pb::CaseTimeline {
            open_time: open,
            priority,
            priority_changes: changes
                .into_iter()
                .map(|(t, p)| pb::PriorityChange { change_time: t, priority: p })
                .collect(),
            pauses,
            first_response_time: first,
            update_times: updates.into_iter().flatten().collect(),
            resolve_time: resolve,
        };
        let r = f.rt.block_on(api.evaluate_case(Request::new(pb::EvaluateCaseRequest {
            account,
            case: Some(case),
            evaluate_time: now,
        })));
        prop_assert!(acceptable(&r), "{r:?}");
    }

    #[test]
    fn entitlement_requests(account in name("accounts"), benefit in prop_oneof![
                                Just("technical_account_manager".to_owned()),
                                Just("onsite_escalation_management".to_owned()),
                                ".{0,30}"],
                            at in timestamp(), contact in proptest::option::of(".{0,30}"),
                            channel in small_enum(), priority in small_enum(),
                            remote in any::<bool>()) {
        let f = fixture();
        let api = EntitlementApi::new(f.store.clone());
        let r = f.rt.block_on(api.check_entitlement(Request::new(pb::CheckEntitlementRequest {
            account: account.clone(),
            benefit,
            check_time: at,
            contact,
            case_priority: priority,
            not_solvable_remotely: remote,
        })));
        prop_assert!(acceptable(&r), "{r:?}");
        let r = f.rt.block_on(api.check_support_availability(Request::new(
            pb::CheckSupportAvailabilityRequest { account: account.clone(), channel, priority, check_time: at },
        )));
        prop_assert!(acceptable(&r), "{r:?}");
        let r = f.rt.block_on(api.get_entitlements(Request::new(pb::GetEntitlementsRequest {
            account,
            check_time: at,
        })));
        prop_assert!(acceptable(&r), "{r:?}");
    }

    #[test]
    fn write_requests(id in "[a-z0-9-]{0,8}|.{0,8}", spec in calendar_spec(),
                      contract in contract_name(), plan in name("plans"),
                      start in timestamp(), end in timestamp(), state in small_enum(),
                      benefits in prop::collection::vec(".{0,20}", 0..3),
                      paths in prop::collection::vec(prop_oneof![
                          Just("plan".to_owned()), Just("end_time".to_owned()),
                          Just("overrides.added_benefits".to_owned()), Just("*".to_owned()),
                          ".{0,12}"], 0..3),
                      email in ".{0,24}") {
        let f = fixture();
        let accounts = AccountApi::new(f.store.clone());
        let r = f.rt.block_on(accounts.create_calendar(Request::new(pb::CreateCalendarRequest {
            request_id: String::new(),
            calendar_id: id.clone(),
            calendar: Some(spec),
        })));
        prop_assert!(acceptable(&r), "{r:?}");
        let contracts = ContractApi::new(f.store.clone());
        let body = pb::Contract {
            name: contract.clone(),
            plan,
            start_time: start,
            end_time: end,
            state,
            overrides: Some(pb::ContractOverrides {
                added_benefits: benefits,
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = f.rt.block_on(contracts.create_contract(Request::new(pb::CreateContractRequest {
            request_id: String::new(),
            parent: "accounts/umbrella".into(),
            contract_id: id,
            contract: Some(body.clone()),
        })));
        prop_assert!(acceptable(&r), "{r:?}");
        let r = f.rt.block_on(contracts.update_contract(Request::new(pb::UpdateContractRequest {
            request_id: String::new(),
            contract: Some(body),
            update_mask: Some(FieldMask { paths }),
        })));
        prop_assert!(acceptable(&r), "{r:?}");
        let r = f.rt.block_on(contracts.add_designated_contact(Request::new(
            pb::AddDesignatedContactRequest {
                request_id: String::new(),
                contract,
                contact: Some(pb::DesignatedContact { email, ..Default::default() }),
            },
        )));
        prop_assert!(acceptable(&r), "{r:?}");
    }

    #[test]
    fn calendars_and_arithmetic(zone in prop::sample::select(vec![
                                    "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                                    "Asia/Kathmandu", "America/Santiago", "UTC"]),
                                week in prop::collection::vec(
                                    (0usize..7, prop::collection::vec((0u32..97, 0u32..97), 0..3)), 0..8),
                                t in -200_000_000i64..8_000_000_000, secs in 0u64..u64::MAX,
                                small in 0u64..50_000_000, t2 in any::<i64>()) {
        let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri,
                    Weekday::Sat, Weekday::Sun];
        let weekly: Vec<(Weekday, Vec<OpenInterval>)> = week
            .into_iter()
            .map(|(d, ivs)| {
                let ivs = ivs
                    .into_iter()
                    .filter_map(|(a, b)| {
                        Some(OpenInterval {
                            open: TimeOfDay::hm(a / 4, (a % 4) * 15)?,
                            close: TimeOfDay::hm(b / 4, (b % 4) * 15)?,
                        })
                    })
                    .collect();
                (days[d], ivs)
            })
            .collect();
        let Ok(cal) = Calendar::new(zone, weekly, Vec::new()) else { return Ok(()) };
        let clock = BusinessClock::Calendar(&cal);
        let Some(start) = DateTime::<Utc>::from_timestamp(t, 0) else { return Ok(()) };
        let _ = clock.is_open(start);
        let _ = clock.next_open(start);
        let _ = clock.add(start, Duration::from_secs(secs));
        if let Ok(end) = clock.add(start, Duration::from_secs(small)) {
            prop_assert_eq!(clock.between(start, end).unwrap().num_seconds(), small as i64);
        }
        if let Some(other) = DateTime::<Utc>::from_timestamp(t2 % 10_000_000_000, 0) {
            let _ = clock.between(start, other);
        }
    }
}
