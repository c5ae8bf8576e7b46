//! Load generator: measures the release server the way a peer on the request path sees it,
//! over gRPC on loopback, side by side with a no-op baseline (`grpc.health.v1.Health/Check`).
//!
//! For each store (the in-memory store, seeded from a generated seed file, and Postgres,
//! seeded by `benches/seed.rs`) it starts `target/release/entitlements serve` on a free
//! 127.0.0.1 port, then for each RPC (the baseline, `CheckEntitlement`, `ComputeDeadline`,
//! `EvaluateCase`, over random accounts of the 100,000-account data set):
//!
//! 1. **closed loop** (`--concurrency` workers over `--connections` HTTP/2 connections,
//!    each sending its next request as soon as the last one is answered): the maximum
//!    throughput, the median of `--rounds` rounds interleaved across the RPCs so that noise
//!    on a shared machine hits them alike;
//! 2. **open loop** at 50% and 80% (`--load`) of that RPC's maximum: requests are scheduled
//!    at a constant rate and each latency is measured from the request's *scheduled* send
//!    time, so a stall on either side shows up in the percentiles instead of silently
//!    slowing the generator down (coordinated omission). The open loop runs on a thread
//!    and connection of its own, ticking on a timerfd; `--rounds` rounds per load, and the
//!    round with the median p99 is shown with every round's p99 beside it. Each load is
//!    measured under each `--scheduling` policy: time-shared (Linux's default) and
//!    SCHED_FIFO for the server's threads and the open loop's thread, in interleaved
//!    rounds (the README's "Performance" section says why).
//!
//! It prints one table per store (req/s; p50, p99, p99.9 of latency; CPU used by the server,
//! the generator and the rest of the machine, and CPU stolen by the hypervisor) and checks
//! the targets of the README's "Performance" section. It stops the server at the end and
//! never talks to anything but 127.0.0.1.
//!
//! ```sh
//! cargo build --release
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/entitlements_scale \
//!   cargo bench --bench seed -- --accounts 100000 --no-measure
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/entitlements_scale \
//!   cargo bench --bench loadgen
//! ```
//!
//! Without `DATABASE_URL` (or `--database-url`) only the memory store is measured. `cargo
//! bench --bench loadgen -- --help` lists the knobs (phase lengths, concurrency, a fixed
//! `--rate`, which stores and RPCs). Run without `--bench` (as `cargo test --all-targets`
//! does) it makes a short smoke run against the test build of the server instead, and
//! fails on any error answer (see [`smoke`]).

#[path = "../tests/binary/mod.rs"]
mod binary;

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use entitlements::grpc::pb;
use hdrhistogram::Histogram;
use pb::entitlement_service_client::EntitlementServiceClient;
use pb::sla_service_client::SlaServiceClient;
use prost_types::Timestamp;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// The time zones of the data set, in the order `benches/seed.rs` uses them.
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

/// 2026-01-01T00:00:00Z, when every contract of the data set starts.
const START_2026: i64 = 1_767_225_600;
const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// Load generator for the entitlements server (see the module documentation).
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
struct Args {
    /// Passed by `cargo bench`; without it the generator does nothing.
    #[arg(long, hide = true)]
    bench: bool,
    /// Stores to measure [default: memory, and postgres when a database URL is given].
    #[arg(long, value_delimiter = ',')]
    stores: Vec<StoreKind>,
    /// RPCs to measure.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "health,check,deadline,evaluate"
    )]
    rpcs: Vec<Rpc>,
    /// Accounts in the data set (`acct-000000`..); requests pick among them at random.
    #[arg(long, default_value_t = 100_000)]
    accounts: usize,
    /// Seconds measured in each phase.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Rounds per RPC: closed-loop rounds (interleaved across RPCs), whose median is the
    /// maximum; and open-loop rounds at each load, whose median p99 is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds of unmeasured load before each phase.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Closed-loop workers (requests in flight).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// HTTP/2 connections the closed-loop workers are spread over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// HTTP/2 connections of the open loop (its own, on its own thread).
    #[arg(long, default_value_t = 1)]
    open_connections: usize,
    /// Open-loop loads, in percent of each RPC's closed-loop maximum.
    #[arg(long, value_delimiter = ',', default_value = "50,80")]
    load: Vec<u32>,
    /// A fixed open-loop rate in requests per second, instead of `--load`.
    #[arg(long)]
    rate: Option<f64>,
    /// Most requests in flight in the open loop; past it, sends wait (and their wait counts
    /// in their latency).
    #[arg(long, default_value_t = 10_000)]
    max_in_flight: usize,
    /// Open loop: sends the calls that are due every this many microseconds (a shorter
    /// tick sends closer to the schedule but costs CPU that the server on the same machine
    /// would use; how late calls went out is reported and counted in their latency).
    #[arg(long, default_value_t = 250)]
    tick_us: u64,
    /// How the open loop's threads share the CPUs, each measured in its own rounds:
    /// `shared` is Linux's default time-sharing; `fifo` puts the server's threads and the
    /// open loop's thread under SCHED_FIFO (with chrt(1); needs CAP_SYS_NICE), so that
    /// neither waits out the other's time slice nor a kernel thread's (see the README).
    #[arg(long, value_delimiter = ',', default_value = "shared,fifo")]
    scheduling: Vec<Scheduling>,
    /// The server binary to start.
    #[arg(long, env = "ENTITLEMENTS_BIN")]
    server_bin: Option<PathBuf>,
    /// Postgres URL of the seeded data set (host 127.0.0.1 or localhost only).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Seed file for the memory store [default: generated into target/loadgen/].
    #[arg(long)]
    seed_file: Option<PathBuf>,
    /// Generator worker threads [default: the number of CPUs].
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Memory,
    Postgres,
}

/// How the threads of an open-loop phase share the machine's CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scheduling {
    /// Linux's default time-sharing (SCHED_OTHER), for server and generator alike.
    Shared,
    /// The server's threads and the open loop's thread at SCHED_FIFO priority 1: each
    /// runs until it waits, and no time-shared thread (a kernel thread, another daemon)
    /// preempts it. The closed loops always run time-shared.
    Fifo,
}

impl Scheduling {
    fn label(self) -> &'static str {
        match self {
            Scheduling::Shared => "time-shared",
            Scheduling::Fifo => "SCHED_FIFO",
        }
    }

    /// chrt(1)'s policy option and priority (`chrt POLICY --pid PRIORITY PID`).
    fn chrt_args(self) -> (&'static str, &'static str) {
        match self {
            Scheduling::Shared => ("--other", "0"),
            Scheduling::Fifo => ("--fifo", "1"),
        }
    }

    /// The policy number of field 41 of /proc/PID/stat.
    fn policy_number(self) -> &'static str {
        match self {
            Scheduling::Shared => "0",
            Scheduling::Fifo => "1",
        }
    }

    /// Puts process `pid` under this policy: every thread of it with `all_threads`, else
    /// only the thread of that id. Checks in /proc that it took.
    fn apply(self, pid: &str, all_threads: bool) -> Result<(), String> {
        let mut chrt = Command::new("chrt");
        if all_threads {
            chrt.arg("--all-tasks");
        }
        let (policy, priority) = self.chrt_args();
        let out = chrt
            .args([policy, "--pid", priority, pid])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("chrt: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "chrt {}: {}",
                self.label(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let stats: Vec<PathBuf> = if all_threads {
            std::fs::read_dir(format!("/proc/{pid}/task"))
                .map_err(|e| format!("/proc/{pid}/task: {e}"))?
                .filter_map(|t| t.ok().map(|t| t.path().join("stat")))
                .collect()
        } else {
            vec![PathBuf::from(format!("/proc/{pid}/stat"))]
        };
        for stat in stats {
            let text = std::fs::read_to_string(&stat).unwrap_or_default();
            let policy = stat_field(&text, 41);
            if policy != Some(self.policy_number()) {
                return Err(format!(
                    "{} is under policy {policy:?} after chrt {}",
                    stat.display(),
                    self.label()
                ));
            }
        }
        Ok(())
    }
}

/// Whether this process has CAP_SYS_NICE (bit 23 of CapEff in /proc/self/status), which
/// SCHED_FIFO needs.
fn may_use_fifo() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let caps = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
            u64::from_str_radix(caps.trim(), 16).ok()
        })
        .is_some_and(|caps| caps & (1 << 23) != 0)
}

/// The calling thread's id (for chrt), from /proc/thread-self -> PID/task/TID.
fn this_thread_id() -> Result<String, String> {
    let link =
        std::fs::read_link("/proc/thread-self").map_err(|e| format!("/proc/thread-self: {e}"))?;
    link.file_name()
        .map(|t| t.to_string_lossy().into_owned())
        .ok_or_else(|| format!("/proc/thread-self -> {}", link.display()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Rpc {
    /// grpc.health.v1.Health/Check: the no-op baseline.
    Health,
    /// EntitlementService/CheckEntitlement.
    Check,
    /// SlaService/ComputeDeadline.
    Deadline,
    /// SlaService/EvaluateCase.
    Evaluate,
}

impl Rpc {
    fn label(self) -> &'static str {
        match self {
            Rpc::Health => "Health/Check (baseline)",
            Rpc::Check => "CheckEntitlement",
            Rpc::Deadline => "ComputeDeadline",
            Rpc::Evaluate => "EvaluateCase",
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // `cargo test --all-targets` runs benches without `--bench`: a smoke run then.
    if !std::env::args().any(|a| a == "--bench") {
        smoke(&root.join("target/loadgen/smoke"));
        return;
    }
    let args = Args::parse();
    if let Err(e) = runtime(&args).block_on(run(&args, &root.join("target/loadgen"))) {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}

/// The generator's runtime: `--threads` workers, one per CPU by default.
fn runtime(args: &Args) -> tokio::runtime::Runtime {
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// What `cargo test --all-targets` runs: every RPC in both loops for a moment, against the
/// test build of the server on a 300-account memory store, failing on an error answer or
/// a phase without answers, so that the generator cannot rot between measurements. (Its
/// figures measure a debug build and mean nothing.)
fn smoke(out: &Path) {
    let args = Args::parse_from([
        "loadgen",
        "--stores",
        "memory",
        "--accounts",
        "300",
        "--rounds",
        "1",
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
        "--load",
        "20",
        "--concurrency",
        "8",
        "--connections",
        "2",
        "--server-bin",
        env!("CARGO_BIN_EXE_entitlements"),
    ]);
    let stores = match runtime(&args).block_on(run(&args, out)) {
        Ok(stores) => stores,
        Err(e) => panic!("loadgen smoke run: {e}"),
    };
    let phases: Vec<&Phase> = stores.iter().flat_map(|(_, p)| p).collect();
    // Each RPC: a closed loop and one open loop time-shared, and one under SCHED_FIFO
    // where this process may ask for it.
    let open_loops = if may_use_fifo() { 2 } else { 1 };
    assert_eq!(
        phases.len(),
        (1 + open_loops) * args.rpcs.len(),
        "phases: {phases:?}"
    );
    for p in phases {
        assert_eq!(p.errors, 0, "{} answered with errors: {p:?}", p.rpc.label());
        assert!(
            !p.latency.is_empty(),
            "{} had no answers: {p:?}",
            p.rpc.label()
        );
        if let Some((rate, _)) = p.offered {
            // The open loop sends what it schedules: rate x duration, give or take one.
            let scheduled = rate * args.duration;
            let answered = p.latency.len() as f64;
            assert!(
                (answered - scheduled).abs() <= 1.0 + scheduled * 0.01,
                "{}: {answered} answers for {scheduled} scheduled calls",
                p.rpc.label()
            );
        }
    }
    println!("loadgen: smoke run passed (run `cargo bench --bench loadgen` to measure)");
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Measures every store; returns the phases of each and writes the report into `out`.
async fn run(args: &Args, out: &Path) -> Result<Vec<(&'static str, Vec<Phase>)>, BoxError> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(out)?;
    let bin = args
        .server_bin
        .clone()
        .unwrap_or_else(|| root.join("target/release/entitlements"));
    if !bin.exists() {
        return Err(format!(
            "no server binary at {}: run `cargo build --release` first (or pass --server-bin)",
            bin.display()
        )
        .into());
    }
    if let Some(url) = &args.database_url {
        check_loopback_url(url)?;
    }
    let stores = if args.stores.is_empty() {
        let mut s = vec![StoreKind::Memory];
        if args.database_url.is_some() {
            s.push(StoreKind::Postgres);
        } else {
            println!("loadgen: no DATABASE_URL: measuring the memory store only");
        }
        s
    } else {
        args.stores.clone()
    };
    println!("loadgen: {}", machine_line());
    let mut report = String::new();
    let mut measured = Vec::new();
    for store in stores {
        let setup = match store {
            StoreKind::Memory => {
                let path = match &args.seed_file {
                    Some(p) => p.clone(),
                    None => write_seed_file(out, args.accounts)?,
                };
                Setup::Seed(path)
            }
            StoreKind::Postgres => Setup::Postgres(
                args.database_url
                    .clone()
                    .ok_or("--stores postgres needs DATABASE_URL or --database-url")?,
            ),
        };
        let name = match store {
            StoreKind::Memory => "memory",
            StoreKind::Postgres => "postgres",
        };
        let started = Instant::now();
        let mut server = Server::start(&bin, &setup, &out.join(format!("server-{name}.log")))?;
        let clients = Clients::connect(server.addr, args.connections).await?;
        server.wait_serving(&clients).await?;
        println!(
            "loadgen: {name} store: server pid {} on {} serving after {:.1?}",
            server.child.id(),
            server.addr,
            started.elapsed()
        );
        check_data_set(&clients, args.accounts).await?;
        println!(
            "loadgen: answer sizes (protobuf): {}",
            answer_sizes(&clients, &args.rpcs, args.accounts).await
        );
        let Measured { phases, notes } = measure(args, &clients, server.child.id()).await?;
        drop(server);
        let table = render(name, args, &phases, &notes);
        println!("\n{table}");
        report.push_str(&table);
        report.push('\n');
        measured.push((name, phases));
    }
    let path = out.join("report.md");
    std::fs::write(&path, &report)?;
    println!("loadgen: report written to {}", path.display());
    Ok(measured)
}

/// The server's data: a seed file (memory store) or a Postgres URL.
#[derive(Debug)]
enum Setup {
    Seed(PathBuf),
    Postgres(String),
}

/// Refuses a database URL whose host is not the loopback interface.
fn check_loopback_url(url: &str) -> Result<(), BoxError> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or("the database URL must start with postgres://")?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if matches!(host, "127.0.0.1" | "localhost" | "::1") {
        Ok(())
    } else {
        Err(
            format!("refusing database host {host:?}: the load generator stays on 127.0.0.1")
                .into(),
        )
    }
}

/// Writes the data set of `benches/seed.rs` as a seed file for the memory store (once per
/// size) and returns its path.
fn write_seed_file(dir: &Path, accounts: usize) -> Result<PathBuf, BoxError> {
    let path = dir.join(format!("seed-{accounts}.yaml"));
    if path.exists() {
        return Ok(path);
    }
    let mut y = String::with_capacity(accounts * 400);
    y.push_str("# Generated by benches/loadgen.rs: the data set of benches/seed.rs.\ncalendars:\n");
    for (i, zone) in ZONES.iter().enumerate() {
        let _ = writeln!(
            y,
            "  - id: cal-{i}\n    display_name: Office hours {zone}\n    time_zone: {zone}\n    weekly_hours:"
        );
        for day in ["monday", "tuesday", "wednesday", "thursday", "friday"] {
            let _ = writeln!(y, "      {day}: [\"09:00-17:00\"]");
        }
        y.push_str("    closed_dates:\n");
        for year in 2026..=2028 {
            for (m, d) in [(1, 1), (5, 1), (12, 25), (12, 26)] {
                let _ = writeln!(
                    y,
                    "      - {{ date: {year}-{m:02}-{d:02}, reason: holiday }}"
                );
            }
        }
    }
    y.push_str("accounts:\n");
    for i in 0..accounts {
        let zone = ZONES[i % ZONES.len()];
        let calendar = if i % 4 != 0 {
            format!(", calendar: cal-{}", i % ZONES.len())
        } else {
            String::new()
        };
        let _ = writeln!(
            y,
            "  - {{ id: acct-{i:06}, display_name: acct-{i:06}, time_zone: {zone}{calendar} }}"
        );
    }
    y.push_str("contracts:\n");
    for i in 0..accounts {
        let plan = ["standard", "extended", "premium"][i % 3];
        let _ = writeln!(
            y,
            "  - account: acct-{i:06}\n    id: main\n    plan: {plan}\n    start: 2026-01-01T00:00:00Z\n    contacts:\n      - {{ email: contact0@acct-{i:06}.example }}\n      - {{ email: contact1@acct-{i:06}.example }}"
        );
    }
    let tmp = path.with_extension("yaml.tmp");
    std::fs::write(&tmp, y)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// The server under test; stopped (SIGTERM, then SIGKILL) when dropped.
#[derive(Debug)]
struct Server {
    /// The process.
    child: Child,
    /// Where it listens, always on 127.0.0.1.
    addr: SocketAddr,
    /// Its log file, shown when it fails to start.
    log: PathBuf,
}

impl Server {
    fn start(bin: &Path, setup: &Setup, log: &Path) -> Result<Server, BoxError> {
        let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let log_file = std::fs::File::create(log)?;
        let mut cmd = Command::new(bin);
        cmd.args([
            "serve",
            "--log-format",
            "json",
            "--listen",
            &addr.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
        // Only what is set here: no exporter, listener, store, TLS or authentication
        // settings from the caller's environment.
        binary::without_runner_settings(&mut cmd);
        match setup {
            Setup::Seed(path) => {
                cmd.arg("--seed").arg(path);
            }
            Setup::Postgres(url) => {
                cmd.env("DATABASE_URL", url);
            }
        }
        let child = cmd.spawn()?;
        Ok(Server {
            child,
            addr,
            log: log.to_owned(),
        })
    }

    /// Waits (at most five minutes: loading 100,000 accounts takes a while) until health
    /// says SERVING.
    async fn wait_serving(&mut self, clients: &Clients) -> Result<(), BoxError> {
        let started = Instant::now();
        loop {
            let mut health = HealthClient::new(clients.channels[0].clone());
            let req = HealthCheckRequest {
                service: String::new(),
            };
            if let Ok(r) = tokio::time::timeout(Duration::from_secs(1), health.check(req)).await
                && let Ok(r) = r
                && r.get_ref().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            {
                return Ok(());
            }
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            if started.elapsed() > Duration::from_secs(300) {
                return Err(format!("server not SERVING after 5 min; log: {tail:?}").into());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("server exited ({status}); log: {tail:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One channel (HTTP/2 connection) per `--connections`.
#[derive(Debug, Clone)]
struct Clients {
    /// The server's address, for the open loop's own connections.
    addr: SocketAddr,
    channels: Vec<Channel>,
}

impl Clients {
    async fn connect(addr: SocketAddr, n: usize) -> Result<Clients, BoxError> {
        assert!(addr.ip().is_loopback());
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))?
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5));
        // Lazy: the server may still be loading its data.
        let channels = (0..n.max(1)).map(|_| endpoint.connect_lazy()).collect();
        Ok(Clients { addr, channels })
    }

    fn caller(&self, i: usize) -> Caller {
        let ch = self.channels[i % self.channels.len()].clone();
        Caller {
            health: HealthClient::new(ch.clone()),
            entitlements: EntitlementServiceClient::new(ch.clone()),
            sla: SlaServiceClient::new(ch),
        }
    }
}

/// Clients of every measured service over one connection.
#[derive(Debug, Clone)]
struct Caller {
    health: HealthClient<Channel>,
    entitlements: EntitlementServiceClient<Channel>,
    sla: SlaServiceClient<Channel>,
}

/// SplitMix64: a small, fast generator, good enough to pick accounts and times.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ts(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

/// Benefits asked about: granted on every plan, premium only, and case-dependent.
const BENEFITS: [&str; 4] = [
    "online_support",
    "technical_account_manager",
    "critical_phone_support_24x7",
    "onsite_escalation_management",
];

impl Caller {
    /// Sends one request of `rpc` about a random account and time in 2026; Ok when the
    /// server answered OK.
    async fn call(
        &mut self,
        rpc: Rpc,
        rng: &mut Rng,
        accounts: usize,
    ) -> Result<(), tonic::Status> {
        self.call_sized(rpc, rng, accounts, false).await.map(drop)
    }

    /// [`Caller::call`], returning the encoded size of the answer when `size` is set.
    async fn call_sized(
        &mut self,
        rpc: Rpc,
        rng: &mut Rng,
        accounts: usize,
        size: bool,
    ) -> Result<usize, tonic::Status> {
        use prost::Message as _;
        let len = |m: &dyn Fn() -> usize| if size { m() } else { 0 };
        let account = format!("accounts/acct-{:06}", rng.below(accounts as u64));
        // Any second of 2026 (every contract of the data set is in force then).
        let t = START_2026 + rng.below(365 * DAY as u64) as i64;
        // P1 and P2: the priorities every built-in plan has targets for.
        let priority = 1 + rng.below(2) as i32;
        match rpc {
            Rpc::Health => {
                let r = self
                    .health
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await?;
                Ok(len(&|| r.get_ref().encoded_len()))
            }
            Rpc::Check => {
                let r = self
                    .entitlements
                    .check_entitlement(pb::CheckEntitlementRequest {
                        account,
                        benefit: BENEFITS[rng.below(BENEFITS.len() as u64) as usize].to_owned(),
                        check_time: ts(t),
                        case_priority: priority,
                        not_solvable_remotely: true,
                        ..Default::default()
                    })
                    .await?;
                Ok(len(&|| r.get_ref().encoded_len()))
            }
            Rpc::Deadline => {
                let r = self
                    .sla
                    .compute_deadline(pb::ComputeDeadlineRequest {
                        account,
                        priority,
                        open_time: ts(t),
                        milestone: pb::Milestone::FirstResponse as i32,
                        evaluate_time: ts(t + HOUR),
                        ..Default::default()
                    })
                    .await?;
                Ok(len(&|| r.get_ref().encoded_len()))
            }
            Rpc::Evaluate => {
                let r = self
                    .sla
                    .evaluate_case(pb::EvaluateCaseRequest {
                        account,
                        case: Some(pb::CaseTimeline {
                            open_time: ts(t),
                            priority,
                            first_response_time: ts(t + 2 * HOUR),
                            update_times: vec![Timestamp {
                                seconds: t + 30 * HOUR,
                                nanos: 0,
                            }],
                            ..Default::default()
                        }),
                        evaluate_time: ts(t + 3 * DAY),
                    })
                    .await?;
                Ok(len(&|| r.get_ref().encoded_len()))
            }
        }
    }
}

/// Checks that the data set is there: the first and last account have a contract.
async fn check_data_set(clients: &Clients, accounts: usize) -> Result<(), BoxError> {
    let mut c = clients.caller(0);
    for i in [0, accounts.saturating_sub(1)] {
        let r = c
            .entitlements
            .check_entitlement(pb::CheckEntitlementRequest {
                account: format!("accounts/acct-{i:06}"),
                benefit: "online_support".into(),
                check_time: ts(START_2026 + 180 * DAY),
                ..Default::default()
            })
            .await
            .map_err(|s| {
                format!(
                    "account acct-{i:06} ({}): seed the data set first \
                     (cargo bench --bench seed -- --accounts {accounts} --no-measure)",
                    s.message()
                )
            })?;
        if r.get_ref().contract.is_none() {
            return Err(format!("account acct-{i:06} has no contract in force").into());
        }
    }
    Ok(())
}

/// The encoded size of one answer of each RPC, for the report.
async fn answer_sizes(clients: &Clients, rpcs: &[Rpc], accounts: usize) -> String {
    let mut c = clients.caller(0);
    let mut out = Vec::new();
    for &rpc in rpcs {
        let mut rng = Rng(7);
        let size = c.call_sized(rpc, &mut rng, accounts, true).await;
        out.push(format!(
            "{} {}",
            rpc.label(),
            size.map_or_else(|s| format!("failed: {}", s.message()), |n| format!("{n} B"))
        ));
    }
    out.join(", ")
}

/// What one phase measured.
#[derive(Debug, Clone)]
struct Phase {
    rpc: Rpc,
    /// `None` for the closed loop, else the open-loop rate asked for and its percent of
    /// the maximum.
    offered: Option<(f64, Option<u32>)>,
    /// How the open loop's threads shared the CPUs (`None`: the closed loop, time-shared).
    scheduling: Option<Scheduling>,
    /// Requests answered OK per second in the measured window.
    throughput: f64,
    /// Latency in microseconds (from the scheduled send time in the open loop).
    latency: Histogram<u64>,
    /// Requests answered with an error status.
    errors: u64,
    /// CPU used during the phase.
    cpu: CpuUse,
    /// 99th percentile of how late the open loop sent requests, in microseconds.
    send_lag_p99: Option<u64>,
    /// Every round, lowest first, of which this phase is the median: the closed loop's
    /// throughputs, or the open loop's p99 latencies in microseconds.
    rounds: Vec<f64>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

/// Field `n` (numbered from 1, as proc(5) does) of the text of a /proc/PID/stat file.
fn stat_field(stat: &str, n: usize) -> Option<&str> {
    // The fields after the command name, which is in parentheses and may contain spaces,
    // start at field 3.
    stat.rsplit(')')
        .next()?
        .split_whitespace()
        .nth(n.checked_sub(3)?)
}

/// CPU seconds used so far by a process (utime + stime, fields 14 and 15 of
/// /proc/PID/stat).
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let ticks: f64 = [14, 15]
        .into_iter()
        .filter_map(|n| stat_field(&stat, n)?.parse::<f64>().ok())
        .sum();
    // USER_HZ is 100 on every Linux this runs on.
    ticks / 100.0
}

/// CPU seconds the whole machine has been busy so far, and CPU seconds stolen from it by
/// the hypervisor (the `cpu` line of /proc/stat).
fn machine_seconds() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return (0.0, 0.0);
    };
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...: busy is all but idle, iowait
    // and steal (guest time is already counted in user).
    let busy: f64 = ticks
        .iter()
        .take(7)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    let stolen = ticks.get(7).copied().unwrap_or(0.0);
    (busy / 100.0, stolen / 100.0)
}

/// What was measured on one store: the phases, and what could not be measured.
#[derive(Debug)]
struct Measured {
    phases: Vec<Phase>,
    /// Open-loop phases left out, and why (SCHED_FIFO refused, say).
    notes: Vec<String>,
}

/// Measures every RPC: closed loop, then the open-loop loads under each `--scheduling`.
async fn measure(args: &Args, clients: &Clients, server_pid: u32) -> Result<Measured, BoxError> {
    let server_pid = server_pid.to_string();
    // The closed loops first, in interleaved rounds (baseline, check, deadline, ..., then
    // again), so that a burst of noise on the machine hits every RPC alike; each RPC's
    // maximum is its median round.
    let mut rounds: Vec<Vec<Phase>> = vec![Vec::new(); args.rpcs.len()];
    for _ in 0..args.rounds.max(1) {
        for (k, &rpc) in args.rpcs.iter().enumerate() {
            let cpu = Cpu::start(&server_pid);
            let (throughput, latency, errors) = closed_loop(args, clients, rpc).await;
            rounds[k].push(Phase {
                rpc,
                offered: None,
                scheduling: None,
                throughput,
                latency,
                errors,
                cpu: cpu.per_second(),
                send_lag_p99: None,
                rounds: Vec::new(),
            });
        }
    }
    let mut measured = Measured {
        phases: Vec::new(),
        notes: Vec::new(),
    };
    for runs in rounds {
        let max = median_round(runs, |p| p.throughput);
        let (rpc, throughput) = (max.rpc, max.throughput);
        measured.phases.push(max);
        let loads: Vec<(f64, Option<u32>)> = match args.rate {
            Some(r) => vec![(r, None)],
            None => args
                .load
                .iter()
                .map(|&p| (throughput * f64::from(p) / 100.0, Some(p)))
                .collect(),
        };
        for (rate, percent) in loads {
            if rate >= 1.0 {
                let offered = (rate, percent);
                open_loop_rounds(args, clients, &server_pid, rpc, offered, &mut measured).await?;
            }
        }
    }
    Ok(measured)
}

/// The round of `runs` with the median `key`, listing every round's `key`, lowest first.
fn median_round(mut runs: Vec<Phase>, key: impl Fn(&Phase) -> f64) -> Phase {
    runs.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let all: Vec<f64> = runs.iter().map(&key).collect();
    let mut median = runs.swap_remove(all.len() / 2);
    median.rounds = all;
    median
}

/// The open loop of `rpc` at one `offered` rate: as many rounds as the closed loop under
/// each scheduling policy, interleaved across the policies; for each policy, the round
/// with the median p99 (every round's p99 listed beside it), or a note saying why the
/// policy could not be used.
async fn open_loop_rounds(
    args: &Args,
    clients: &Clients,
    server_pid: &str,
    rpc: Rpc,
    offered: (f64, Option<u32>),
    measured: &mut Measured,
) -> Result<(), BoxError> {
    let mut runs: Vec<Vec<Phase>> = vec![Vec::new(); args.scheduling.len()];
    let mut refused: Vec<Option<String>> = vec![None; args.scheduling.len()];
    for _ in 0..args.rounds.max(1) {
        for (j, &scheduling) in args.scheduling.iter().enumerate() {
            if refused[j].is_some() {
                continue;
            }
            match open_loop_round(args, clients, server_pid, rpc, offered, scheduling).await? {
                Ok(phase) => runs[j].push(phase),
                Err(why) => refused[j] = Some(why),
            }
        }
    }
    for ((runs, refused), scheduling) in runs.into_iter().zip(refused).zip(&args.scheduling) {
        if let Some(why) = refused {
            measured.notes.push(format!(
                "{} at {} req/s was not measured {}: {why}",
                rpc.label(),
                thousands(offered.0),
                scheduling.label()
            ));
        }
        if !runs.is_empty() {
            let p99 = |p: &Phase| p.latency.value_at_quantile(0.99) as f64;
            measured.phases.push(median_round(runs, p99));
        }
    }
    Ok(())
}

/// One open-loop round under `scheduling`: the phase, or why the policy was refused. The
/// server is back to time-sharing when it returns (an error if that fails).
async fn open_loop_round(
    args: &Args,
    clients: &Clients,
    server_pid: &str,
    rpc: Rpc,
    offered: (f64, Option<u32>),
    scheduling: Scheduling,
) -> Result<Result<Phase, String>, BoxError> {
    if scheduling != Scheduling::Shared
        && let Err(why) = scheduling.apply(server_pid, true)
    {
        return Ok(Err(why));
    }
    let cpu = Cpu::start(server_pid);
    let result = open_loop(args, clients.addr, rpc, offered.0, scheduling).await;
    let cpu = cpu.per_second();
    if scheduling != Scheduling::Shared {
        // Back to time-sharing before anything else is measured.
        Scheduling::Shared.apply(server_pid, true)?;
    }
    Ok(result.map(|r| Phase {
        rpc,
        offered: Some(offered),
        scheduling: Some(scheduling),
        throughput: r.throughput,
        latency: r.latency,
        errors: r.errors,
        cpu,
        send_lag_p99: Some(r.lag.value_at_quantile(0.99)),
        rounds: Vec::new(),
    }))
}

/// CPU use of the server, of this process and of the whole machine over a phase.
struct Cpu<'a> {
    pid: &'a str,
    server: f64,
    generator: f64,
    machine: (f64, f64),
    wall: Instant,
}

impl<'a> Cpu<'a> {
    fn start(pid: &'a str) -> Cpu<'a> {
        Cpu {
            pid,
            server: cpu_seconds(pid),
            generator: cpu_seconds("self"),
            machine: machine_seconds(),
            wall: Instant::now(),
        }
    }

    /// The CPU used since [`Cpu::start`].
    fn per_second(&self) -> CpuUse {
        let wall = self.wall.elapsed().as_secs_f64();
        let server = (cpu_seconds(self.pid) - self.server) / wall;
        let generator = (cpu_seconds("self") - self.generator) / wall;
        let (busy, stolen) = machine_seconds();
        let machine = (busy - self.machine.0) / wall;
        CpuUse {
            server,
            generator,
            other: (machine - server - generator).max(0.0),
            stolen: (stolen - self.machine.1) / wall,
        }
    }
}

/// CPU used during a phase, in CPUs (CPU seconds per second).
#[derive(Debug, Clone, Copy)]
struct CpuUse {
    /// By the server.
    server: f64,
    /// By the generator.
    generator: f64,
    /// By everything else on the machine (other builds and benchmarks make the figures
    /// noisy).
    other: f64,
    /// By the hypervisor for someone else while this machine's CPUs had work (steal
    /// time): the machine itself stalled.
    stolen: f64,
}

/// `--concurrency` workers, each sending its next request as soon as the last is answered.
/// Returns OK answers per second, their latencies and the error count in the measured
/// window (after the warm-up).
async fn closed_loop(args: &Args, clients: &Clients, rpc: Rpc) -> (f64, Histogram<u64>, u64) {
    let measure_from = Instant::now() + Duration::from_secs_f64(args.warmup);
    let until = measure_from + Duration::from_secs_f64(args.duration);
    let workers: Vec<_> = (0..args.concurrency.max(1))
        .map(|i| {
            let mut caller = clients.caller(i);
            let accounts = args.accounts;
            tokio::spawn(async move {
                let mut rng = Rng(0x5EED ^ ((i as u64) << 32));
                let mut h = histogram();
                let mut errors = 0u64;
                loop {
                    let sent = Instant::now();
                    if sent >= until {
                        break;
                    }
                    let result = caller.call(rpc, &mut rng, accounts).await;
                    let done = Instant::now();
                    if done < measure_from || done > until {
                        continue;
                    }
                    match result {
                        Ok(()) => {
                            let _ = h.record((done - sent).as_micros().max(1) as u64);
                        }
                        Err(_) => errors += 1,
                    }
                }
                (h, errors)
            })
        })
        .collect();
    let mut all = histogram();
    let mut errors = 0;
    for w in workers {
        if let Ok((h, e)) = w.await {
            let _ = all.add(&h);
            errors += e;
        }
    }
    (all.len() as f64 / args.duration, all, errors)
}

/// A periodic tick with microsecond resolution on the runtime's own reactor (a Linux
/// timerfd). tokio's timer ticks in milliseconds, too coarse to keep a schedule of tens of
/// thousands of calls per second, and a thread of its own handing due calls over to the
/// runtime cost a cross-thread wake-up per tick.
///
/// tokio registers it as the reading end of a pipe: that type only needs a non-blocking
/// descriptor that `read(2)` works on and epoll reports readable, which a timerfd is (8
/// bytes, the expirations since the last read), and it is tokio's one safe way to
/// register a descriptor (this crate forbids `unsafe`).
#[derive(Debug)]
struct Ticker(tokio::net::unix::pipe::Receiver);

impl Ticker {
    fn new(period: Duration) -> std::io::Result<Ticker> {
        use rustix::time::{
            Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
            timerfd_settime,
        };
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        let every = Timespec {
            tv_sec: i64::try_from(period.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(period.subsec_nanos()).max(1),
        };
        timerfd_settime(
            &fd,
            TimerfdTimerFlags::empty(),
            &Itimerspec {
                it_interval: every,
                it_value: every,
            },
        )?;
        Ok(Ticker(
            tokio::net::unix::pipe::Receiver::from_owned_fd_unchecked(fd)?,
        ))
    }

    /// Waits for the next expiry (at once if one is already pending).
    async fn tick(&self) -> std::io::Result<()> {
        let mut expirations = [0u8; 8];
        loop {
            self.0.readable().await?;
            match self.0.try_read(&mut expirations) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// What one open-loop phase measured.
#[derive(Debug)]
struct OpenLoop {
    /// Answers OK per second in the measured window.
    throughput: f64,
    /// Latency of each OK answer from its scheduled send time, in microseconds.
    latency: Histogram<u64>,
    /// Answers with an error status.
    errors: u64,
    /// How late each call was sent, in microseconds (part of its latency).
    lag: Histogram<u64>,
}

/// Calls scheduled at a constant `rate`, each one's latency measured from its scheduled
/// send time (no coordinated omission). The open loop runs on one thread of its own, on a
/// single-threaded runtime with its own `--open-connections` connections: every call,
/// connection and tick is then polled in one place without cross-thread wake-ups, which
/// at these rates would cost the generator more CPU than the server spends on a call (and
/// the two share the machine). Every `--tick-us` the calls that are due are sent; how late
/// each went out is recorded too.
async fn open_loop(
    args: &Args,
    addr: SocketAddr,
    rpc: Rpc,
    rate: f64,
    scheduling: Scheduling,
) -> Result<OpenLoop, String> {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let settings = OpenLoopSettings {
        interval: Duration::from_secs_f64(1.0 / rate),
        tick: Duration::from_micros(args.tick_us.max(1)),
        warmup: Duration::from_secs_f64(args.warmup),
        duration: Duration::from_secs_f64(args.duration),
        connections: args.open_connections.max(1),
        max_in_flight: args.max_in_flight.max(1),
        accounts: args.accounts,
    };
    std::thread::spawn(move || {
        if scheduling != Scheduling::Shared
            && let Err(e) = this_thread_id().and_then(|tid| scheduling.apply(&tid, false))
        {
            let _ = done_tx.send(Err(e));
            return;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("open-loop runtime");
        let _ = done_tx.send(Ok(
            runtime.block_on(open_loop_on_this_thread(settings, addr, rpc))
        ));
    });
    done_rx.await.expect("open-loop thread")
}

/// The open loop's settings, moved to its thread.
#[derive(Debug, Clone, Copy)]
struct OpenLoopSettings {
    interval: Duration,
    tick: Duration,
    warmup: Duration,
    duration: Duration,
    connections: usize,
    max_in_flight: usize,
    accounts: usize,
}

async fn open_loop_on_this_thread(s: OpenLoopSettings, addr: SocketAddr, rpc: Rpc) -> OpenLoop {
    use futures_util::StreamExt as _;
    use futures_util::stream::FuturesUnordered;
    let clients = Clients::connect(addr, s.connections)
        .await
        .expect("open-loop connections");
    let callers: Vec<Caller> = (0..s.connections).map(|i| clients.caller(i)).collect();
    let ticker = Ticker::new(s.tick).expect("timerfd");
    let start = Instant::now() + Duration::from_millis(10);
    let measure_from = start + s.warmup;
    let until = measure_from + s.duration;
    let mut rng = Rng(0x0BE2_100B);
    let mut out = OpenLoop {
        throughput: 0.0,
        latency: histogram(),
        errors: 0,
        lag: histogram(),
    };
    let mut in_flight = FuturesUnordered::new();
    let mut next: u32 = 0;
    let mut sending = true;
    loop {
        tokio::select! {
            // The tick first: answers arriving in a stream must not hold sends back.
            biased;
            tick = ticker.tick(), if sending => {
                tick.expect("timerfd read");
                let now = Instant::now();
                loop {
                    let scheduled = start + s.interval * next;
                    if scheduled >= until {
                        sending = false;
                        break;
                    }
                    // Past `--max-in-flight` calls wait for the next tick; the wait
                    // counts in their latency.
                    if scheduled > now || in_flight.len() >= s.max_in_flight {
                        break;
                    }
                    if scheduled >= measure_from {
                        let _ = out.lag.record((now - scheduled).as_micros().max(1) as u64);
                    }
                    let mut caller = callers[next as usize % callers.len()].clone();
                    let mut call_rng = Rng(rng.next());
                    in_flight.push(async move {
                        let result = caller.call(rpc, &mut call_rng, s.accounts).await;
                        (scheduled, Instant::now(), result)
                    });
                    next += 1;
                }
            }
            Some((scheduled, finished, result)) = in_flight.next() => {
                if scheduled >= measure_from {
                    match result {
                        Ok(()) => {
                            let _ = out
                                .latency
                                .record((finished - scheduled).as_micros().max(1) as u64);
                        }
                        Err(_) => out.errors += 1,
                    }
                }
            }
            else => break,
        }
    }
    out.throughput = out.latency.len() as f64 / s.duration.as_secs_f64();
    out
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn thousands(v: f64) -> String {
    let n = v.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// nproc and the CPU model, for the report.
fn machine_line() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{cpus} CPUs ({model}); load average {} at start",
        load.join(" ")
    )
}

/// The table of one store's phases, and the targets checked against it.
fn render(store: &str, args: &Args, phases: &[Phase], notes: &[String]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "### {store} store ({} accounts; {}s per phase after {}s warm-up; closed loop: {} workers over {} connections)\n",
        args.accounts, args.duration, args.warmup, args.concurrency, args.connections
    );
    let _ = writeln!(
        t,
        "| RPC | load | req/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU | loadgen CPU | other CPU | stolen CPU |"
    );
    let _ = writeln!(t, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for p in phases {
        let load = match p.offered {
            None if p.rounds.len() > 1 => format!(
                "max (closed loop; median of {}: {})",
                p.rounds.len(),
                p.rounds
                    .iter()
                    .map(|r| thousands(*r))
                    .collect::<Vec<_>>()
                    .join(" / ")
            ),
            None => "max (closed loop)".to_owned(),
            Some((rate, pct)) => {
                let mut load = match pct {
                    Some(pct) => format!("{pct}% = {} req/s", thousands(rate)),
                    None => format!("{} req/s", thousands(rate)),
                };
                if let Some(scheduling) = p.scheduling {
                    let _ = write!(load, ", {}", scheduling.label());
                }
                if p.rounds.len() > 1 {
                    let p99s: Vec<String> = p.rounds.iter().map(|us| ms(*us as u64)).collect();
                    let _ = write!(
                        load,
                        " (median p99 of {}: {} ms)",
                        p.rounds.len(),
                        p99s.join(" / ")
                    );
                }
                load
            }
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.3} |",
            p.rpc.label(),
            load,
            thousands(p.throughput),
            ms(p.latency.value_at_quantile(0.5)),
            ms(p.latency.value_at_quantile(0.99)),
            ms(p.latency.value_at_quantile(0.999)),
            p.errors,
            p.cpu.server,
            p.cpu.generator,
            p.cpu.other,
            p.cpu.stolen,
        );
    }
    let _ = writeln!(
        t,
        "\nCPU columns: CPU seconds per second during the phase, out of {} CPUs; \"other\" is \
         everything else on the machine (builds, other benchmarks), which makes figures noisy; \
         \"stolen\" is time the hypervisor gave the machine's CPUs to someone else while they \
         had work (steal time), during which server and generator both stood still.",
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get)
    );
    let noisy = phases.iter().filter(|p| p.cpu.other > 0.15).count();
    if noisy > 0 {
        let _ = writeln!(
            t,
            "\n**Noisy:** other processes used more than 0.15 CPU in {noisy} of {} phases.",
            phases.len()
        );
    }
    let stalled = phases.iter().filter(|p| p.cpu.stolen > 0.01).count();
    if stalled > 0 {
        let _ = writeln!(
            t,
            "\n**Stalled:** the hypervisor stole more than 1% of a CPU in {stalled} of {} phases.",
            phases.len()
        );
    }
    if phases
        .iter()
        .any(|p| p.scheduling == Some(Scheduling::Fifo))
    {
        let _ = writeln!(
            t,
            "\nSCHED_FIFO rows: the server's threads and the open loop's thread ran at \
             SCHED_FIFO priority 1 (each runs until it waits; no time-shared thread preempts \
             it); time-shared rows: Linux's default scheduling for both. Closed loops are \
             always time-shared."
        );
    }
    for note in notes {
        let _ = writeln!(t, "\n**Not measured:** {note}.");
    }
    let lags: Vec<u64> = phases.iter().filter_map(|p| p.send_lag_p99).collect();
    if let Some(worst) = lags.iter().max() {
        let _ = writeln!(
            t,
            "\nOpen-loop sends were at most {} ms late at p99 (counted in the latencies above).",
            ms(*worst)
        );
    }
    let max_of = |rpc| {
        phases
            .iter()
            .find(|p| p.rpc == rpc && p.offered.is_none())
            .map(|p| p.throughput)
    };
    let mut checks = Vec::new();
    if let (Some(base), Some(check)) = (max_of(Rpc::Health), max_of(Rpc::Check)) {
        checks.push((
            format!(
                "CheckEntitlement max ≥ 80% of baseline: {:.0}%",
                100.0 * check / base
            ),
            check >= 0.8 * base,
        ));
        checks.push((
            format!("CheckEntitlement max ≥ 25,000 req/s: {}", thousands(check)),
            check >= 25_000.0,
        ));
    }
    if let (Some(base), Some(deadline)) = (max_of(Rpc::Health), max_of(Rpc::Deadline)) {
        checks.push((
            format!(
                "ComputeDeadline max ≥ 70% of baseline: {:.0}%",
                100.0 * deadline / base
            ),
            deadline >= 0.7 * base,
        ));
    }
    for p in phases {
        if p.rpc != Rpc::Health && matches!(p.offered, Some((_, Some(50)))) {
            let p99 = p.latency.value_at_quantile(0.99);
            let scheduling = p.scheduling.map_or("", Scheduling::label);
            checks.push((
                format!(
                    "{} p99 at 50% ≤ 2 ms ({scheduling}): {} ms",
                    p.rpc.label(),
                    ms(p99)
                ),
                p99 <= 2000,
            ));
        }
    }
    if !checks.is_empty() {
        let _ = writeln!(t, "\nTargets:\n");
        for (what, ok) in checks {
            let _ = writeln!(t, "- {} {what}", if ok { "met:" } else { "MISSED:" });
        }
    }
    t
}
