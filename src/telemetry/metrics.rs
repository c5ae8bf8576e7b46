//! Every metric instrument, created once from the global meter provider (a no-op one when
//! nothing is exported). Metrics are recorded directly, never derived from spans, so they
//! count every RPC and every outcome whatever the trace sampling.
//!
//! | metric | kind | unit | attributes |
//! |---|---|---|---|
//! | `rpc.server.call.duration` | histogram | s | `rpc.system.name`, `rpc.method` (fully qualified), `rpc.response.status_code`, `error.type` |
//! | `rpc.server.duration` | histogram | ms | `rpc.system`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code` |
//! | `entitlements.sla.outcomes` | counter | {outcome} | `sla.source`, `sla.plan`, `sla.priority`, `sla.milestone`, `sla.outcome` |
//! | `entitlements.entitlement.decisions` | counter | {decision} | `entitlement.benefit`, `entitlement.decision`, `entitlement.reason` |
//! | `entitlements.store.errors` | counter | {error} | `error.type` |
//! | `entitlements.store.snapshot.age` | gauge | s | `store.kind` |

use std::sync::{Arc, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter, ObservableGauge};

use crate::store::{Store, StoreError};

/// The instruments, built on first use.
#[derive(Debug)]
pub(crate) struct Instruments {
    /// `rpc.server.call.duration`, seconds (the current RPC conventions).
    pub(crate) rpc_call_duration: Histogram<f64>,
    /// `rpc.server.duration`, milliseconds (the older RPC conventions).
    pub(crate) rpc_duration_ms: Histogram<f64>,
    /// `entitlements.sla.outcomes`.
    pub(crate) sla_outcomes: Counter<u64>,
    /// `entitlements.entitlement.decisions`.
    pub(crate) decisions: Counter<u64>,
    /// `entitlements.store.errors`.
    pub(crate) store_errors: Counter<u64>,
}

fn meter() -> Meter {
    opentelemetry::global::meter_with_scope(
        opentelemetry::InstrumentationScope::builder(super::SCOPE)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    )
}

/// The instruments. The first call binds them to the global meter provider, so telemetry
/// must be initialised before the first RPC (it is: `main` does it before serving).
pub(crate) fn instruments() -> &'static Instruments {
    static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
    INSTRUMENTS.get_or_init(|| {
        let meter = meter();
        Instruments {
            rpc_call_duration: meter
                .f64_histogram("rpc.server.call.duration")
                .with_unit("s")
                .with_description("Duration of incoming RPCs, until the last response byte")
                .with_boundaries(vec![
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .build(),
            rpc_duration_ms: meter
                .f64_histogram("rpc.server.duration")
                .with_unit("ms")
                .with_description("Duration of incoming RPCs (older RPC conventions)")
                .with_boundaries(vec![
                    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0,
                    2500.0, 5000.0, 10000.0,
                ])
                .build(),
            sla_outcomes: meter
                .u64_counter("entitlements.sla.outcomes")
                .with_unit("{outcome}")
                .with_description("SLA milestones and deadlines answered, by outcome")
                .build(),
            decisions: meter
                .u64_counter("entitlements.entitlement.decisions")
                .with_unit("{decision}")
                .with_description("Entitlement checks answered, by benefit and decision")
                .build(),
            store_errors: meter
                .u64_counter("entitlements.store.errors")
                .with_unit("{error}")
                .with_description("Store errors returned to callers, by kind")
                .build(),
        }
    })
}

/// A stable name for a store error, the `error.type` of `entitlements.store.errors`.
pub fn store_error_type(e: &StoreError) -> &'static str {
    match e {
        StoreError::NotFound(_) => "not_found",
        StoreError::AlreadyExists(_) => "already_exists",
        StoreError::EtagMismatch { .. } => "etag_mismatch",
        StoreError::FailedPrecondition { .. } => "failed_precondition",
        StoreError::InvalidOverrides(_) => "invalid_field",
        StoreError::QuotaExceeded { .. } => "quota_exceeded",
        StoreError::Domain(_) => "domain",
        StoreError::Unavailable(_) => "unavailable",
        StoreError::WriteTimedOut { .. } => "write_timed_out",
        StoreError::Replayed => "replayed",
        StoreError::Internal(_) => "internal",
    }
}

/// Counts a store error on its way to the caller.
pub fn store_error(e: &StoreError) {
    instruments()
        .store_errors
        .add(1, &[KeyValue::new("error.type", store_error_type(e))]);
}

/// Registers `entitlements.store.snapshot.age` for `store`: how old the in-memory snapshot
/// the hot path reads is (see [`Store::snapshot_age`]). Observed at each export for as long
/// as the returned gauge is kept.
pub fn observe_snapshot_age(store: Arc<dyn Store>) -> ObservableGauge<f64> {
    meter()
        .f64_observable_gauge("entitlements.store.snapshot.age")
        .with_unit("s")
        .with_description("Age of the in-memory snapshot every read is answered from")
        .with_callback(move |observer| {
            observer.observe(
                store.snapshot_age().as_secs_f64(),
                &[KeyValue::new("store.kind", store.kind())],
            )
        })
        .build()
}
