//! Traces, metrics and logs end to end: a real OTLP/gRPC receiver (opentelemetry-proto's
//! TraceService and MetricsService on port 0, in this test) and the real binary configured
//! to export to it through the standard variables and flags. Real RPCs carrying a W3C
//! `traceparent` must come back as server spans of the caller's trace with the RPC
//! conventions, SLA and check spans with every attribute, a `sla.breach` event on each
//! breach, and the metrics; the binary flushes everything when it exits on SIGTERM, so
//! every assertion runs after the process is gone.

mod binary;
#[path = "hardening/mod.rs"]
mod hardening;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use entitlements::grpc::pb;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Channel;

use hardening::{Ca, tls_channel};

// ---- the OTLP receiver ----

/// Everything the receiver was sent.
#[derive(Default)]
struct Received {
    traces: Vec<ExportTraceServiceRequest>,
    metrics: Vec<ExportMetricsServiceRequest>,
}

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Received>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().traces.push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().metrics.push(request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Starts the receiver on a free loopback port; returns its endpoint.
async fn start_receiver(receiver: Receiver) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .add_service(MetricsServiceServer::new(receiver))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    format!("http://{addr}")
}

fn value_text(v: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), value_text(&kv.value)))
        .collect()
}

// ---- the server under test ----

/// Demo data of its own, so that outcomes do not depend on today's date: a premium
/// contract from 2020 with no end, and an account that never had a contract.
const SEED: &str = r#"
accounts:
  - { id: sre, display_name: "SRE Test Co", time_zone: Europe/Berlin }
  - { id: lapsed, display_name: "No Contract Ltd", time_zone: Europe/Berlin }
contracts:
  - account: sre
    id: main
    plan: premium
    start: 2020-01-01T00:00:00Z
"#;

struct Served {
    child: Child,
    addr: String,
    /// The log lines, once the process has exited.
    logs: Option<std::thread::JoinHandle<Vec<String>>>,
}

impl Served {
    /// The real binary with the seed above, exporting to `endpoint` with extra `args`.
    fn start(seed: &Path, endpoint: &str, args: &[&str]) -> Served {
        let mut cmd = binary::command();
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--seed")
            .arg(seed)
            .args(args)
            // The standard variables, as a deployment would set them.
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env(
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment.name=test,team=sla%20ops",
            )
            .env("RUST_LOG", "info,entitlements::telemetry=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server exited before serving")
                .expect("read a log line");
            if let Some(addr) = binary::serving_addr(&line) {
                break addr;
            }
        };
        // Keep reading so the server never blocks on a full pipe; the lines are returned
        // when the process has exited.
        let logs = std::thread::spawn(move || lines.map_while(Result::ok).collect());
        Served {
            child,
            addr,
            logs: Some(logs),
        }
    }

    /// SIGTERM, then wait: the binary flushes traces and metrics before it exits.
    fn terminate(mut self) -> Vec<String> {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "server exited with {status}");
        self.logs
            .take()
            .expect("log reader")
            .join()
            .expect("log reader")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ts(rfc3339: &str) -> prost_types::Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("RFC 3339");
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// A caller's span: a W3C trace id and parent span id, sampled.
#[derive(Clone, Copy)]
struct Caller {
    trace_id: &'static str,
    span_id: &'static str,
}

impl Caller {
    fn request<T>(self, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        r.metadata_mut().insert(
            "traceparent",
            format!("00-{}-{}-01", self.trace_id, self.span_id)
                .parse()
                .unwrap(),
        );
        r
    }
}

const GRANTED: Caller = Caller {
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    span_id: "00f067aa0ba902b7",
};
const NOT_STARTED: Caller = Caller {
    trace_id: "5bf92f3577b34da6a3ce929d0e0e4737",
    span_id: "10f067aa0ba902b7",
};
const UNKNOWN_ACCOUNT: Caller = Caller {
    trace_id: "6bf92f3577b34da6a3ce929d0e0e4738",
    span_id: "20f067aa0ba902b7",
};
const PAST_DEADLINE: Caller = Caller {
    trace_id: "7bf92f3577b34da6a3ce929d0e0e4739",
    span_id: "30f067aa0ba902b7",
};
const FUTURE_DEADLINE: Caller = Caller {
    trace_id: "8bf92f3577b34da6a3ce929d0e0e473a",
    span_id: "40f067aa0ba902b7",
};
const NO_CONTRACT_DEADLINE: Caller = Caller {
    trace_id: "9bf92f3577b34da6a3ce929d0e0e473b",
    span_id: "50f067aa0ba902b7",
};
const BREACHED_CASE: Caller = Caller {
    trace_id: "abf92f3577b34da6a3ce929d0e0e473c",
    span_id: "60f067aa0ba902b7",
};
const MET_CASE: Caller = Caller {
    trace_id: "bbf92f3577b34da6a3ce929d0e0e473d",
    span_id: "70f067aa0ba902b7",
};
const AT_RISK_CASE: Caller = Caller {
    trace_id: "cbf92f3577b34da6a3ce929d0e0e473e",
    span_id: "80f067aa0ba902b7",
};

/// Reason names as the telemetry carries them: the proto enum name without its prefix,
/// lowercase.
fn reason_key(reason: i32) -> String {
    pb::DecisionReason::try_from(reason)
        .unwrap()
        .as_str_name()
        .trim_start_matches("DECISION_REASON_")
        .to_lowercase()
}

/// A plaintext channel to the server at `addr`.
async fn plaintext(addr: &str) -> Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect")
}

/// What the RPCs answered, for comparison with what the telemetry says.
struct Answers {
    not_started_reason: String,
    past_due: String,
}

/// The same RPCs for every run: two checks, a check of an unknown account (a store
/// error), three deadlines and two case evaluations.
async fn make_calls(channel: Channel) -> Answers {
    let mut ent = pb::entitlement_service_client::EntitlementServiceClient::new(channel.clone());
    let mut sla = pb::sla_service_client::SlaServiceClient::new(channel);
    let check = |account: &str, time: &str| pb::CheckEntitlementRequest {
        account: account.into(),
        benefit: "technical_account_manager".into(),
        check_time: Some(ts(time)),
        ..Default::default()
    };
    let granted = ent
        .check_entitlement(GRANTED.request(check("accounts/sre", "2020-06-01T10:00:00Z")))
        .await
        .unwrap()
        .into_inner();
    assert!(granted.allowed);
    let not_started = ent
        .check_entitlement(NOT_STARTED.request(check("accounts/sre", "2019-06-01T10:00:00Z")))
        .await
        .unwrap()
        .into_inner();
    assert!(!not_started.allowed);
    let status = ent
        .check_entitlement(
            UNKNOWN_ACCOUNT.request(check("accounts/nobody", "2020-06-01T10:00:00Z")),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);

    let deadline = |account: &str, open: &str| pb::ComputeDeadlineRequest {
        account: account.into(),
        priority: pb::Priority::P1.into(),
        open_time: Some(ts(open)),
        milestone: pb::Milestone::FirstResponse.into(),
        ..Default::default()
    };
    // Premium P1 first response: 30 minutes on the continuous clock.
    let past = sla
        .compute_deadline(PAST_DEADLINE.request(deadline("accounts/sre", "2020-06-01T10:00:00Z")))
        .await
        .unwrap()
        .into_inner();
    let past_due = past.due_time.expect("due");
    assert_eq!(past_due, ts("2020-06-01T10:30:00Z"));
    sla.compute_deadline(FUTURE_DEADLINE.request(deadline("accounts/sre", "2099-06-01T10:00:00Z")))
        .await
        .unwrap();
    let none = sla
        .compute_deadline(
            NO_CONTRACT_DEADLINE.request(deadline("accounts/lapsed", "2020-06-01T10:00:00Z")),
        )
        .await
        .unwrap()
        .into_inner();
    assert!(!none.has_target);

    let case = |first_response: &str| pb::EvaluateCaseRequest {
        account: "accounts/sre".into(),
        case: Some(pb::CaseTimeline {
            open_time: Some(ts("2020-06-01T10:00:00Z")),
            priority: pb::Priority::P1.into(),
            first_response_time: Some(ts(first_response)),
            ..Default::default()
        }),
        evaluate_time: Some(ts("2020-06-01T12:00:00Z")),
    };
    // First response 15 minutes late; the next update (every 12h) is pending at 12:00.
    sla.evaluate_case(BREACHED_CASE.request(case("2020-06-01T10:45:00Z")))
        .await
        .unwrap();
    // First response 10 minutes early.
    sla.evaluate_case(MET_CASE.request(case("2020-06-01T10:20:00Z")))
        .await
        .unwrap();
    // No response yet at 10:25: 25 of 30 minutes used, past the 75% threshold (not 90%).
    sla.evaluate_case(AT_RISK_CASE.request(pb::EvaluateCaseRequest {
        account: "accounts/sre".into(),
        case: Some(pb::CaseTimeline {
            open_time: Some(ts("2020-06-01T10:00:00Z")),
            priority: pb::Priority::P1.into(),
            ..Default::default()
        }),
        evaluate_time: Some(ts("2020-06-01T10:25:00Z")),
    }))
    .await
    .unwrap();
    Answers {
        not_started_reason: reason_key(not_started.reason),
        past_due: "2020-06-01T10:30:00Z".into(),
    }
}

fn seed_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("seed.yaml");
    std::fs::write(&path, SEED).unwrap();
    path
}

// ---- reading what was exported ----

fn all_spans(received: &Received) -> Vec<Span> {
    received
        .traces
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| ss.spans.clone())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The spans of one caller's trace.
fn trace_of(spans: &[Span], caller: Caller) -> Vec<Span> {
    spans
        .iter()
        .filter(|s| hex(&s.trace_id) == caller.trace_id)
        .cloned()
        .collect()
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found = named(spans, name);
    assert_eq!(
        found.len(),
        1,
        "expected one {name} span, got {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

/// The server span of `caller`'s RPC `method`: a SERVER span of the caller's trace whose
/// parent is the caller's span, with the RPC conventions old and new.
fn server_span(spans: &[Span], caller: Caller, service: &str, method: &str, code: i32) -> Span {
    let trace = trace_of(spans, caller);
    let span = one(&trace, &format!("{service}/{method}")).clone();
    assert_eq!(span.kind(), SpanKind::Server);
    assert_eq!(hex(&span.parent_span_id), caller.span_id);
    let a = attributes(&span.attributes);
    let name = match code {
        0 => "OK",
        5 => "NOT_FOUND",
        _ => unreachable!(),
    };
    for (k, v) in [
        ("rpc.system", "grpc"),
        ("rpc.system.name", "grpc"),
        ("rpc.service", service),
        ("rpc.method", method),
        ("rpc.grpc.status_code", &code.to_string()),
        ("rpc.response.status_code", name),
        ("server.address", "127.0.0.1"),
        ("network.peer.address", "127.0.0.1"),
        ("network.transport", "tcp"),
    ] {
        assert_eq!(a.get(k).map(String::as_str), Some(v), "{k} in {a:?}");
    }
    for k in ["server.port", "network.peer.port"] {
        assert!(
            a.get(k).is_some_and(|p| p.parse::<u16>().is_ok()),
            "{k} in {a:?}"
        );
    }
    if code == 0 {
        assert!(!a.contains_key("error.type"), "{a:?}");
    } else {
        assert_eq!(a.get("error.type").map(String::as_str), Some(name));
    }
    span
}

/// The child spans `name` of `parent`.
fn children<'a>(spans: &'a [Span], parent: &Span, name: &str) -> Vec<&'a Span> {
    spans
        .iter()
        .filter(|s| s.trace_id == parent.trace_id && s.parent_span_id == parent.span_id)
        .filter(|s| s.name == name)
        .collect()
}

fn assert_attrs(span: &Span, expected: &[(&str, &str)]) {
    let a = attributes(&span.attributes);
    for (k, v) in expected {
        assert_eq!(
            a.get(*k).map(String::as_str),
            Some(*v),
            "{k} on {}: {a:?}",
            span.name
        );
    }
}

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
fn assert_metrics(received: &Received, answers: &Answers) {
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
