//! What telemetry costs on the hot path: requests per second of the real server (the
//! release binary, demo seed) under a closed-loop client, with telemetry off (no OTLP
//! endpoint), with OTLP export on and trace sampling at 0 (`traceidratio`, ratio 0: every
//! RPC still gets its spans built and dropped, and every metric is recorded), and, for
//! reference, with every trace sampled and exported. The OTLP receiver is an in-process
//! sink on loopback that accepts and discards everything.
//!
//! The three servers run side by side; for each workload, every round measures each
//! configuration for one second in rotating order, with 8 calls in flight on one HTTP/2
//! connection, so background load on a shared machine hits all three alike. Each
//! measurement gives requests per second and the server's CPU time (user + system, from
//! /proc) per request. The tables show medians over the rounds, and the change against
//! telemetry off as the median of the per-round ratios.
//!
//! Run: `cargo bench --bench telemetry_overhead` (about three minutes). Without `--bench`
//! (`cargo test --all-targets` runs it that way) it makes one short smoke round.

#[path = "../tests/binary/mod.rs"]
mod binary;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Channel;

/// Calls in flight at once.
const CONCURRENCY: usize = 8;

/// An OTLP receiver that counts spans and discards everything.
#[derive(Clone, Default)]
struct Sink {
    spans: Arc<AtomicU64>,
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let n: usize = request
            .get_ref()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.spans.fetch_add(n as u64, Ordering::Relaxed);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Sink {
    async fn export(
        &self,
        _request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

async fn start_sink(sink: Sink) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(sink.clone()))
            .add_service(MetricsServiceServer::new(sink))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    format!("http://{addr}")
}

/// A telemetry configuration of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Config {
    Off,
    SampledAtZero,
    SampledAll,
}

impl Config {
    const ALL: [Config; 3] = [Config::Off, Config::SampledAtZero, Config::SampledAll];

    fn label(self) -> &'static str {
        match self {
            Config::Off => "telemetry off",
            Config::SampledAtZero => "OTLP on, sampling 0",
            Config::SampledAll => "OTLP on, sampling all",
        }
    }

    fn args(self, endpoint: &str) -> Vec<String> {
        let on = |sampler: &str, arg: &str| {
            [
                "--otlp-endpoint",
                endpoint,
                "--traces-sampler",
                sampler,
                "--traces-sampler-arg",
                arg,
            ]
            .map(String::from)
            .to_vec()
        };
        match self {
            Config::Off => Vec::new(),
            Config::SampledAtZero => on("traceidratio", "0"),
            Config::SampledAll => on("always_on", "1"),
        }
    }
}

/// The real binary serving the demo seed on a free loopback port.
struct Served {
    child: Child,
    addr: String,
}

impl Served {
    fn start(config: Config, endpoint: &str) -> Served {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut cmd = binary::command();
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--seed")
            .arg(root.join("examples/demo-seed.yaml"))
            .args(config.args(endpoint))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the binary");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server exited before serving")
                .expect("read a log line");
            if let Some(addr) = binary::serving_addr(&line) {
                break addr;
            }
        };
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Served { child, addr }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
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

/// The hot-path calls measured.
#[derive(Debug, Clone, Copy)]
enum Workload {
    /// CheckEntitlement (ACME, premium, a granted benefit).
    Check,
    /// ComputeDeadline (Initech, standard, P1 on a business-hours calendar).
    Deadline,
    /// EvaluateCase (Globex, extended, P2 with a first response: two milestones).
    Evaluate,
}

impl Workload {
    const ALL: [Workload; 3] = [Workload::Check, Workload::Deadline, Workload::Evaluate];

    fn label(self) -> &'static str {
        match self {
            Workload::Check => "CheckEntitlement",
            Workload::Deadline => "ComputeDeadline",
            Workload::Evaluate => "EvaluateCase",
        }
    }

    async fn call(self, channel: Channel) {
        match self {
            Workload::Check => {
                let r = pb::entitlement_service_client::EntitlementServiceClient::new(channel)
                    .check_entitlement(pb::CheckEntitlementRequest {
                        account: "accounts/acme".into(),
                        benefit: "technical_account_manager".into(),
                        check_time: Some(ts("2026-06-01T10:00:00Z")),
                        ..Default::default()
                    })
                    .await
                    .expect("CheckEntitlement");
                assert!(r.get_ref().allowed);
            }
            Workload::Deadline => {
                let r = pb::sla_service_client::SlaServiceClient::new(channel)
                    .compute_deadline(pb::ComputeDeadlineRequest {
                        account: "accounts/initech".into(),
                        priority: pb::Priority::P1.into(),
                        open_time: Some(ts("2026-12-24T08:30:00Z")),
                        milestone: pb::Milestone::FirstResponse.into(),
                        ..Default::default()
                    })
                    .await
                    .expect("ComputeDeadline");
                assert!(r.get_ref().has_target);
            }
            Workload::Evaluate => {
                let r = pb::sla_service_client::SlaServiceClient::new(channel)
                    .evaluate_case(pb::EvaluateCaseRequest {
                        account: "accounts/globex".into(),
                        case: Some(pb::CaseTimeline {
                            open_time: Some(ts("2026-11-27T21:00:00Z")),
                            priority: pb::Priority::P2.into(),
                            first_response_time: Some(ts("2026-11-30T15:00:00Z")),
                            ..Default::default()
                        }),
                        evaluate_time: Some(ts("2026-12-03T12:00:00Z")),
                    })
                    .await
                    .expect("EvaluateCase");
                assert!(!r.get_ref().milestones.is_empty());
            }
        }
    }
}

/// CPU time (user + system) the process `pid` has used so far, from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // The fields after the command name (which is in parentheses and may hold spaces):
    // utime and stime are the 14th and 15th fields of the line.
    let after = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// One measurement: requests per second, and server CPU microseconds per request.
#[derive(Debug, Clone, Copy)]
struct Sample {
    rps: f64,
    cpu_us: f64,
}

/// Measures `workload` against the server `served` over `time`.
async fn sample(served: &Served, workload: Workload, time: Duration) -> Sample {
    let pid = served.child.id();
    let cpu_before = cpu_time(pid);
    let start = Instant::now();
    let requests = measure(&served.addr, workload, time).await;
    let elapsed = start.elapsed();
    let cpu = cpu_time(pid) - cpu_before;
    Sample {
        rps: requests as f64 / elapsed.as_secs_f64(),
        cpu_us: cpu.as_secs_f64() * 1e6 / requests as f64,
    }
}

/// Requests of `workload` completed against `addr` over `time`.
async fn measure(addr: &str, workload: Workload, time: Duration) -> u64 {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let start = Instant::now();
    let end = start + time;
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let channel = channel.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < end {
                    workload.call(channel.clone()).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client task");
    }
    total
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Prints one table: per workload and configuration the median of `value` over the
/// rounds and, against telemetry off, the median of the per-round ratios (each round
/// measures every configuration back to back, so a ratio compares like with like).
fn table(title: &str, results: &[Vec<Vec<Sample>>], value: fn(&Sample) -> f64) {
    println!("\n{title}");
    print!("| workload |");
    for c in Config::ALL {
        print!(" {} |", c.label());
    }
    println!("\n|---|---:|---:|---:|");
    for (wi, w) in Workload::ALL.into_iter().enumerate() {
        let off = &results[0][wi];
        print!(
            "| {} | {:.1} |",
            w.label(),
            median(off.iter().map(value).collect())
        );
        for row in &results[1..] {
            let on = &row[wi];
            let ratio = median(
                on.iter()
                    .zip(off)
                    .map(|(a, b)| value(a) / value(b))
                    .collect(),
            );
            print!(
                " {:.1} ({:+.1}%) |",
                median(on.iter().map(value).collect()),
                (ratio - 1.0) * 100.0
            );
        }
        println!();
    }
}

async fn run(full: bool) {
    let (time, warmup, rounds) = if full {
        (Duration::from_secs(1), Duration::from_secs(1), 15)
    } else {
        (Duration::from_millis(100), Duration::from_millis(100), 1)
    };
    let sink = Sink::default();
    let endpoint = start_sink(sink.clone()).await;
    let servers: Vec<Served> = Config::ALL
        .iter()
        .map(|c| Served::start(*c, &endpoint))
        .collect();
    // results[config][workload]: one sample per round
    let mut results = vec![vec![Vec::new(); Workload::ALL.len()]; Config::ALL.len()];
    for (wi, workload) in Workload::ALL.into_iter().enumerate() {
        for served in &servers {
            measure(&served.addr, workload, warmup).await;
        }
        for round in 0..rounds {
            for k in 0..Config::ALL.len() {
                let ci = (k + round) % Config::ALL.len();
                let s = sample(&servers[ci], workload, time).await;
                eprintln!(
                    "{:<17} round {:>2} {:<22} {:>9.0} req/s {:>6.1} server CPU us/req",
                    workload.label(),
                    round + 1,
                    Config::ALL[ci].label(),
                    s.rps,
                    s.cpu_us
                );
                results[ci][wi].push(s);
            }
        }
    }
    for served in servers {
        served.stop();
    }
    println!(
        "\n{rounds} rounds x {time:?} per configuration and workload, {CONCURRENCY} calls in \
         flight on one connection, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    table(
        "throughput, req/s (median; change: median of per-round ratios)",
        &results,
        |s| s.rps,
    );
    table(
        "server CPU per request, microseconds (median; change: median of per-round ratios)",
        &results,
        |s| s.cpu_us,
    );
    println!(
        "\nspans received by the sink: {}",
        sink.spans.load(Ordering::Relaxed)
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run(full));
}
