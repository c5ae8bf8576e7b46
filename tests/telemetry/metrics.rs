//! The metric assertions: a metric's data points (cumulative, so the last export holds
//! the totals), the one point with given attributes, and the counts every run of
//! [`make_calls`] must show.
//!
//! [`make_calls`]: crate::server::make_calls

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point;

use crate::receiver::{Received, attributes};
use crate::server::Answers;

/// A metric's data points as (attributes, value): sums and gauges by value, histograms by
/// count.
fn points(received: &Received, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    let metrics: Vec<_> = received
        .metrics
        .iter()
        .flat_map(|r| &r.resource_metrics)
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .filter(|m| m.name == name)
        .collect();
    let number = |v: &Option<number_data_point::Value>| match v {
        Some(number_data_point::Value::AsInt(i)) => *i as f64,
        Some(number_data_point::Value::AsDouble(d)) => *d,
        None => f64::NAN,
    };
    // Cumulative temporality: the last export holds the totals.
    let Some(last) = metrics.last() else {
        return Vec::new();
    };
    match last.data.as_ref().expect("data") {
        Data::Sum(s) => s
            .data_points
            .iter()
            .map(|p| (attributes(&p.attributes), number(&p.value)))
            .collect(),
        Data::Gauge(g) => g
            .data_points
            .iter()
            .map(|p| (attributes(&p.attributes), number(&p.value)))
            .collect(),
        Data::Histogram(h) => h
            .data_points
            .iter()
            .map(|p| (attributes(&p.attributes), p.count as f64))
            .collect(),
        other => panic!("unexpected data for {name}: {other:?}"),
    }
}

/// The value of the data point of `name` whose attributes include `with`.
fn point(received: &Received, name: &str, with: &[(&str, &str)]) -> f64 {
    let all = points(received, name);
    let matching: Vec<f64> = all
        .iter()
        .filter(|(a, _)| {
            with.iter()
                .all(|(k, v)| a.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "one {name} point with {with:?} expected, got {all:?}"
    );
    matching[0]
}

/// The metrics every run must show for the calls of [`make_calls`].
pub(crate) fn assert_metrics(received: &Received, answers: &Answers) {
    let check_rpc = "entitlements.v1.EntitlementService/CheckEntitlement";
    assert_eq!(
        point(
            received,
            "rpc.server.call.duration",
            &[
                ("rpc.system.name", "grpc"),
                ("rpc.method", check_rpc),
                ("rpc.response.status_code", "OK")
            ]
        ),
        2.0
    );
    assert_eq!(
        point(
            received,
            "rpc.server.call.duration",
            &[
                ("rpc.method", check_rpc),
                ("rpc.response.status_code", "NOT_FOUND"),
                ("error.type", "NOT_FOUND")
            ]
        ),
        1.0
    );
    assert_eq!(
        point(
            received,
            "rpc.server.duration",
            &[
                ("rpc.system", "grpc"),
                ("rpc.service", "entitlements.v1.SlaService"),
                ("rpc.method", "EvaluateCase"),
                ("rpc.grpc.status_code", "0")
            ]
        ),
        3.0
    );
    let outcome = |source, plan, milestone, outcome| {
        point(
            received,
            "entitlements.sla.outcomes",
            &[
                ("sla.source", source),
                ("sla.plan", plan),
                ("sla.priority", "P1"),
                ("sla.milestone", milestone),
                ("sla.outcome", outcome),
            ],
        )
    };
    assert_eq!(
        outcome("evaluation", "premium", "first_response", "breached"),
        1.0
    );
    assert_eq!(
        outcome("evaluation", "premium", "first_response", "met"),
        1.0
    );
    assert_eq!(
        outcome("evaluation", "premium", "next_update", "pending"),
        2.0
    );
    // The at-risk case: pending, and counted at risk as well.
    assert_eq!(
        outcome("evaluation", "premium", "first_response", "pending"),
        1.0
    );
    assert_eq!(
        outcome("evaluation", "premium", "first_response", "at_risk"),
        1.0
    );
    assert_eq!(
        outcome("deadline", "premium", "first_response", "breached"),
        1.0
    );
    assert_eq!(
        outcome("deadline", "premium", "first_response", "pending"),
        1.0
    );
    assert_eq!(
        outcome("deadline", "none", "first_response", "no_target"),
        1.0
    );
    let decision = |d, r: &str| {
        point(
            received,
            "entitlements.entitlement.decisions",
            &[
                ("entitlement.benefit", "technical_account_manager"),
                ("entitlement.decision", d),
                ("entitlement.reason", r),
            ],
        )
    };
    assert_eq!(decision("allowed", "granted"), 1.0);
    assert_eq!(decision("denied", &answers.not_started_reason), 1.0);
    assert_eq!(
        point(
            received,
            "entitlements.store.errors",
            &[("error.type", "not_found")]
        ),
        1.0
    );
    assert_eq!(
        point(
            received,
            "entitlements.store.snapshot.age",
            &[("store.kind", "memory")]
        ),
        0.0
    );
}
