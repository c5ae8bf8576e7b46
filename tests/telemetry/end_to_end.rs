//! The tests: each starts a receiver and the binary, makes the same RPCs (plaintext or
//! TLS, every trace sampled or none), terminates the binary and then checks the resource,
//! the spans, the metrics and the logs it exported.

use crate::hardening::{Ca, tls_channel};
use crate::metrics::assert_metrics;
use crate::receiver::{Receiver, all_spans, attributes, hex, start_receiver};
use crate::server::{
    AT_RISK_CASE, BREACHED_CASE, FUTURE_DEADLINE, GRANTED, MET_CASE, NO_CONTRACT_DEADLINE,
    NOT_STARTED, PAST_DEADLINE, Served, UNKNOWN_ACCOUNT, make_calls, plaintext, seed_file,
};
use crate::spans::{assert_attrs, children, server_span};

#[tokio::test(flavor = "multi_thread")]
async fn rpcs_export_spans_of_the_callers_trace_and_metrics() {
    let received = Receiver::default();
    let endpoint = start_receiver(received.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(
        &seed_file(&dir),
        &endpoint,
        &[
            "--service-name",
            "entitlements-under-test",
            "--traces-sampler",
            "parentbased_always_on",
        ],
    );
    let answers = make_calls(plaintext(&served.addr).await).await;
    let logs = served.terminate();
    let received = received.0.lock().unwrap();

    // The resource: service.name from the flag, attributes from OTEL_RESOURCE_ATTRIBUTES.
    let resource = attributes(
        &received.traces[0].resource_spans[0]
            .resource
            .as_ref()
            .expect("resource")
            .attributes,
    );
    assert_eq!(resource["service.name"], "entitlements-under-test");
    assert_eq!(resource["deployment.environment.name"], "test");
    assert_eq!(resource["team"], "sla ops");

    let spans = all_spans(&received);
    // Only this crate's spans: none of the exporter's own gRPC traffic.
    for s in &spans {
        assert!(
            s.name.starts_with("entitlements.v1.")
                || s.name.starts_with("sla.")
                || s.name.starts_with("entitlement."),
            "unexpected span {}",
            s.name
        );
    }
    let ent = "entitlements.v1.EntitlementService";
    let sla = "entitlements.v1.SlaService";

    // Checks.
    let rpc = server_span(&spans, GRANTED, ent, "CheckEntitlement", 0);
    let check = children(&spans, &rpc, "entitlement.check");
    assert_eq!(check.len(), 1);
    assert_attrs(
        check[0],
        &[
            ("entitlement.account", "accounts/sre"),
            ("entitlement.contract", "accounts/sre/contracts/main"),
            ("entitlement.contract.version", "1"),
            ("entitlement.plan", "premium"),
            ("entitlement.benefit", "technical_account_manager"),
            ("entitlement.decision", "allowed"),
            ("entitlement.reason", "granted"),
        ],
    );
    let rpc = server_span(&spans, NOT_STARTED, ent, "CheckEntitlement", 0);
    let check = children(&spans, &rpc, "entitlement.check");
    assert_eq!(check.len(), 1);
    assert_attrs(
        check[0],
        &[
            ("entitlement.account", "accounts/sre"),
            ("entitlement.benefit", "technical_account_manager"),
            ("entitlement.decision", "denied"),
            ("entitlement.reason", &answers.not_started_reason),
        ],
    );
    // A failed RPC: NOT_FOUND is the caller's error, so the span status stays unset.
    let rpc = server_span(&spans, UNKNOWN_ACCOUNT, ent, "CheckEntitlement", 5);
    assert_ne!(
        rpc.status.as_ref().map(|s| s.code),
        Some(opentelemetry_proto::tonic::trace::v1::status::StatusCode::Error as i32)
    );

    // Deadlines.
    let rpc = server_span(&spans, PAST_DEADLINE, sla, "ComputeDeadline", 0);
    let d = children(&spans, &rpc, "sla.deadline");
    assert_eq!(d.len(), 1);
    let d = d[0];
    assert_attrs(
        d,
        &[
            ("sla.source", "deadline"),
            ("sla.account", "accounts/sre"),
            ("sla.contract", "accounts/sre/contracts/main"),
            ("sla.contract.version", "1"),
            ("sla.plan", "premium"),
            ("sla.priority", "P1"),
            ("sla.milestone", "first_response"),
            ("sla.clock", "continuous"),
            ("sla.target_s", "1800"),
            ("sla.start", "2020-06-01T10:00:00Z"),
            ("sla.due", &answers.past_due),
            ("sla.outcome", "breached"),
        ],
    );
    let margin: i64 = attributes(&d.attributes)["sla.margin_s"].parse().unwrap();
    assert!(
        margin < 0,
        "a past deadline has a negative margin: {margin}"
    );
    assert_eq!(d.events.len(), 1);
    assert_eq!(d.events[0].name, "sla.breach");
    let event = attributes(&d.events[0].attributes);
    assert_eq!(event["sla.milestone"], "first_response");
    assert_eq!(event["sla.due"], answers.past_due);

    let rpc = server_span(&spans, FUTURE_DEADLINE, sla, "ComputeDeadline", 0);
    let d = children(&spans, &rpc, "sla.deadline");
    assert_eq!(d.len(), 1);
    assert_attrs(
        d[0],
        &[
            ("sla.plan", "premium"),
            ("sla.due", "2099-06-01T10:30:00Z"),
            ("sla.outcome", "pending"),
        ],
    );
    let margin: i64 = attributes(&d[0].attributes)["sla.margin_s"]
        .parse()
        .unwrap();
    assert!(margin > 0);
    assert!(d[0].events.is_empty(), "no breach, no event");

    let rpc = server_span(&spans, NO_CONTRACT_DEADLINE, sla, "ComputeDeadline", 0);
    let d = children(&spans, &rpc, "sla.deadline");
    assert_attrs(
        d[0],
        &[
            ("sla.account", "accounts/lapsed"),
            ("sla.plan", "none"),
            ("sla.outcome", "no_target"),
        ],
    );

    // Case evaluations: one span per milestone.
    let rpc = server_span(&spans, BREACHED_CASE, sla, "EvaluateCase", 0);
    let ms = children(&spans, &rpc, "sla.milestone");
    assert_eq!(ms.len(), 2, "first response and next update");
    let first = ms
        .iter()
        .find(|s| attributes(&s.attributes)["sla.milestone"] == "first_response")
        .unwrap();
    assert_attrs(
        first,
        &[
            ("sla.source", "evaluation"),
            ("sla.account", "accounts/sre"),
            ("sla.contract", "accounts/sre/contracts/main"),
            ("sla.contract.version", "1"),
            ("sla.plan", "premium"),
            ("sla.priority", "P1"),
            ("sla.sequence", "0"),
            ("sla.clock", "continuous"),
            ("sla.target_s", "1800"),
            ("sla.start", "2020-06-01T10:00:00Z"),
            ("sla.due", "2020-06-01T10:30:00Z"),
            ("sla.event", "2020-06-01T10:45:00Z"),
            ("sla.evaluated_at", "2020-06-01T12:00:00Z"),
            ("sla.outcome", "breached"),
            ("sla.margin_s", "-900"),
        ],
    );
    assert_eq!(first.events.len(), 1);
    assert_eq!(first.events[0].name, "sla.breach");
    let event = attributes(&first.events[0].attributes);
    assert_eq!(event["sla.margin_s"], "-900");
    assert_eq!(event["sla.event"], "2020-06-01T10:45:00Z");
    let next = ms
        .iter()
        .find(|s| attributes(&s.attributes)["sla.milestone"] == "next_update")
        .unwrap();
    assert_attrs(
        next,
        &[
            ("sla.sequence", "1"),
            ("sla.start", "2020-06-01T10:45:00Z"),
            ("sla.due", "2020-06-01T22:45:00Z"),
            ("sla.outcome", "pending"),
            // 12h cadence, 1h15m used by 12:00.
            ("sla.margin_s", "38700"),
        ],
    );
    assert!(next.events.is_empty());

    let rpc = server_span(&spans, MET_CASE, sla, "EvaluateCase", 0);
    let ms = children(&spans, &rpc, "sla.milestone");
    let first = ms
        .iter()
        .find(|s| attributes(&s.attributes)["sla.milestone"] == "first_response")
        .unwrap();
    assert_attrs(first, &[("sla.outcome", "met"), ("sla.margin_s", "600")]);
    assert!(first.events.is_empty());

    // A milestone past an at-risk threshold carries an `sla.at_risk` event naming it.
    let rpc = server_span(&spans, AT_RISK_CASE, sla, "EvaluateCase", 0);
    let ms = children(&spans, &rpc, "sla.milestone");
    assert_eq!(ms.len(), 1);
    assert_attrs(
        ms[0],
        &[("sla.outcome", "pending"), ("sla.margin_s", "300")],
    );
    assert_eq!(ms[0].events.len(), 1);
    assert_eq!(ms[0].events[0].name, "sla.at_risk");
    let event = attributes(&ms[0].events[0].attributes);
    assert_eq!(event["sla.threshold"], "0.75");
    assert_eq!(event["sla.next_threshold_at"], "2020-06-01T10:27:00Z");

    assert_metrics(&received, &answers);

    // Logs: JSON lines, and one inside an RPC carries the caller's trace id.
    let finished: Vec<serde_json::Value> = logs
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON log line"))
        .filter(|v| v["message"] == "rpc finished")
        .collect();
    let granted_log = finished
        .iter()
        .find(|v| v["trace_id"] == GRANTED.trace_id)
        .unwrap_or_else(|| panic!("no log line with the caller's trace id: {finished:?}"));
    assert_eq!(granted_log["rpc"], format!("{ent}/CheckEntitlement"));
    let span_id = granted_log["span_id"].as_str().expect("span_id");
    let rpc = server_span(&spans, GRANTED, ent, "CheckEntitlement", 0);
    assert_eq!(span_id, hex(&rpc.span_id));
}

#[tokio::test(flavor = "multi_thread")]
async fn rpc_spans_carry_the_peer_address_under_tls() {
    let received = Receiver::default();
    let endpoint = start_receiver(received.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("telemetry test CA");
    let (cert, key) = ca.server().write(dir.path(), "server");
    let served = Served::start(
        &seed_file(&dir),
        &endpoint,
        &[
            "--traces-sampler",
            "parentbased_always_on",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let channel = tls_channel(&served.addr, &ca, None)
        .await
        .expect("connect over TLS");
    make_calls(channel).await;
    served.terminate();
    let received = received.0.lock().unwrap();
    let spans = all_spans(&received);
    // The RPC conventions, the peer's address and port among them, as in plaintext.
    let ent = "entitlements.v1.EntitlementService";
    server_span(&spans, GRANTED, ent, "CheckEntitlement", 0);
    server_span(&spans, UNKNOWN_ACCOUNT, ent, "CheckEntitlement", 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_every_outcome_when_no_trace_is_sampled() {
    let received = Receiver::default();
    let endpoint = start_receiver(received.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(
        &seed_file(&dir),
        &endpoint,
        &["--traces-sampler", "always_off"],
    );
    let answers = make_calls(plaintext(&served.addr).await).await;
    served.terminate();
    let received = received.0.lock().unwrap();
    assert!(
        all_spans(&received).is_empty(),
        "always_off exports no span, even for sampled callers"
    );
    assert!(!received.metrics.is_empty(), "metrics were exported");
    assert_metrics(&received, &answers);
}
