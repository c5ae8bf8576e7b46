//! Command line and environment configuration. Every flag has an environment variable
//! and a line of help.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// Default [`Limits::max_message_size`](crate::server::Limits::max_message_size): 4 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;
/// Default [`Limits::max_concurrent_streams`](crate::server::Limits::max_concurrent_streams).
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 256;
/// Default [`Limits::max_in_flight`](crate::server::Limits::max_in_flight).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 4096;

/// Support entitlements and SLA deadlines over gRPC.
#[derive(Debug, Parser)]
#[command(name = "entitlements", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once at start: the size of the `serve` variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server.
    Serve(ServeArgs),
    /// Apply the database migrations and exit (the Helm chart's pre-install job).
    Migrate(MigrateArgs),
    /// Ask a running server's health service whether it is serving; exit 0 if it is.
    Health(HealthArgs),
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable text when stdout is a terminal, JSON otherwise.
    Auto,
    /// One JSON object per line.
    Json,
    /// Readable text.
    Text,
}

/// Options of `entitlements serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Defaults to loopback only.
    #[arg(long, env = "ENTITLEMENTS_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// YAML file of calendars, accounts and contracts to load at start (see
    /// examples/demo-seed.yaml); entries that already exist are kept.
    #[arg(long, env = "ENTITLEMENTS_SEED")]
    pub seed: Option<PathBuf>,
    /// Log format.
    #[arg(
        long,
        env = "ENTITLEMENTS_LOG_FORMAT",
        value_enum,
        default_value = "auto"
    )]
    pub log_format: LogFormat,
    /// Log filter, in tracing's EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,
    /// Postgres URL of the contract store, e.g. postgres://user@host/db. Without it the
    /// server runs on the embedded in-memory store.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Do not run database migrations at start (run `entitlements migrate` instead).
    #[arg(long, env = "ENTITLEMENTS_NO_MIGRATE")]
    pub no_migrate: bool,
    /// The longest a write may take, waits included; past it the call fails UNAVAILABLE.
    /// Each statement may run or wait for a lock four fifths of it before Postgres
    /// cancels it (the call then fails UNAVAILABLE and nothing is written).
    #[arg(long, env = "ENTITLEMENTS_DATABASE_WRITE_TIMEOUT", default_value = "5s", value_parser = positive_duration)]
    pub database_write_timeout: Duration,
    /// Serve TLS with this PEM certificate chain (needs --tls-key).
    #[arg(long, env = "ENTITLEMENTS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ENTITLEMENTS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// mTLS: require client certificates signed by these PEM CA certificates; the
    /// certificate's subject CN (or first DNS name) is the caller's principal. Needs TLS.
    #[arg(long, env = "ENTITLEMENTS_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Roles of client-certificate principals: `role principal` per line (roles reader,
    /// writer, admin; `#` comments); a principal not listed is a reader. Needs
    /// --tls-client-ca.
    #[arg(long, env = "ENTITLEMENTS_MTLS_ROLES_FILE", requires = "tls_client_ca")]
    pub mtls_roles_file: Option<PathBuf>,
    /// Accept bearer tokens from this file: `role principal token` per line (tokens of at
    /// least 16 characters; `#` comments). Read at start; tokens are never logged.
    #[arg(long, env = "ENTITLEMENTS_TOKENS_FILE")]
    pub tokens_file: Option<PathBuf>,
    /// Listen on a non-loopback address even though no authentication (client
    /// certificates or tokens) is configured, e.g. behind a mesh that authenticates.
    #[arg(long, env = "ENTITLEMENTS_INSECURE_ALLOW_REMOTE")]
    pub insecure_allow_remote: bool,
    /// Largest request message accepted, in bytes; a larger one fails OUT_OF_RANGE.
    #[arg(long, env = "ENTITLEMENTS_MAX_MESSAGE_SIZE", default_value_t = DEFAULT_MAX_MESSAGE_SIZE)]
    pub max_message_size: usize,
    /// Calls in flight per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS); clients
    /// hold further calls until one finishes.
    #[arg(long, env = "ENTITLEMENTS_MAX_CONCURRENT_STREAMS", default_value_t = DEFAULT_MAX_CONCURRENT_STREAMS, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_streams: u32,
    /// Calls in flight in the whole server; past it calls fail RESOURCE_EXHAUSTED at once
    /// (health and reflection excepted).
    #[arg(long, env = "ENTITLEMENTS_MAX_IN_FLIGHT", default_value_t = DEFAULT_MAX_IN_FLIGHT, value_parser = at_least_one)]
    pub max_in_flight: usize,
    /// HTTP/2 keepalive PING interval, e.g. 60s; 0 sends no PINGs.
    #[arg(long, env = "ENTITLEMENTS_KEEPALIVE_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub keepalive_interval: Duration,
    /// How long a keepalive PING may go unanswered before the connection is closed.
    #[arg(long, env = "ENTITLEMENTS_KEEPALIVE_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub keepalive_timeout: Duration,
    /// Connections older than this get GOAWAY (clients reconnect, spreading over new
    /// replicas), e.g. 30m; 0 keeps connections forever.
    #[arg(long, env = "ENTITLEMENTS_MAX_CONNECTION_AGE", default_value = "30m", value_parser = parse_duration)]
    pub max_connection_age: Duration,
    /// On SIGTERM or SIGINT, how long in-flight calls get to finish, e.g. 20s.
    #[arg(long, env = "ENTITLEMENTS_SHUTDOWN_GRACE", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// OTLP/gRPC endpoint to export traces and metrics to, e.g. http://otel-collector:4317;
    /// without it nothing is exported.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// `service.name` of exported traces and metrics [default: entitlements].
    #[arg(long, env = "OTEL_SERVICE_NAME")]
    pub service_name: Option<String>,
    /// Trace sampler [default: parentbased_always_on].
    #[arg(long, env = "OTEL_TRACES_SAMPLER", value_enum)]
    pub traces_sampler: Option<TracesSampler>,
    /// Sampling ratio in [0, 1] of the traceidratio samplers [default: 1].
    #[arg(long, env = "OTEL_TRACES_SAMPLER_ARG")]
    pub traces_sampler_arg: Option<f64>,
    /// More resource attributes, key=value pairs separated by commas (values
    /// percent-encoded), e.g. deployment.environment.name=prod.
    #[arg(long, env = "OTEL_RESOURCE_ATTRIBUTES")]
    pub resource_attributes: Option<String>,
}

/// Options of `entitlements migrate`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// Postgres URL to migrate.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// Log format.
    #[arg(
        long,
        env = "ENTITLEMENTS_LOG_FORMAT",
        value_enum,
        default_value = "auto"
    )]
    pub log_format: LogFormat,
}

/// Options of `entitlements health`.
#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    /// Address of the server to ask.
    #[arg(
        long,
        env = "ENTITLEMENTS_HEALTH_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    pub addr: String,
    /// Service to ask about; empty means the server as a whole.
    #[arg(long, env = "ENTITLEMENTS_HEALTH_SERVICE", default_value = "")]
    pub service: String,
    /// Seconds to wait for an answer.
    #[arg(long, env = "ENTITLEMENTS_HEALTH_TIMEOUT", default_value_t = 3)]
    pub timeout: u64,
    /// Verify the server's TLS certificate against this PEM CA (for an https:// address).
    #[arg(long, env = "ENTITLEMENTS_HEALTH_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Present this PEM client certificate (mTLS; needs --tls-key).
    #[arg(long, env = "ENTITLEMENTS_HEALTH_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ENTITLEMENTS_HEALTH_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Name to verify the server's certificate against, when it differs from the
    /// address's host (e.g. the Service's DNS name when asking 127.0.0.1).
    #[arg(long, env = "ENTITLEMENTS_HEALTH_TLS_DOMAIN")]
    pub tls_domain: Option<String>,
    /// Send the bearer token in this file (health is open, but a proxy may want one).
    #[arg(long, env = "ENTITLEMENTS_HEALTH_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
}

/// A duration flag: a number and a unit, `ms`, `s`, `m` or `h` (e.g. `250ms`, `20s`,
/// `30m`); a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 250ms, 20s, 30m or 1h"))?;
    let secs = |mult: u64| {
        n.checked_mul(mult)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("{s:?} is too long"))
    };
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        other => Err(format!("unknown unit {other:?} in {s:?} (ms, s, m or h)")),
    }
}

/// A duration flag that must be longer than zero (at least `1ms`).
fn positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d >= Duration::from_millis(1) => Ok(d),
        _ => Err(format!("{s:?} must be at least 1ms")),
    }
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

/// Trace samplers, named as `OTEL_TRACES_SAMPLER` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TracesSampler {
    /// Sample every trace.
    #[value(name = "always_on")]
    AlwaysOn,
    /// Sample no trace.
    #[value(name = "always_off")]
    AlwaysOff,
    /// Sample the ratio `OTEL_TRACES_SAMPLER_ARG` of traces, by trace id.
    #[value(name = "traceidratio")]
    TraceIdRatio,
    /// Follow the caller's sampled flag; sample every new trace (the default).
    #[value(name = "parentbased_always_on")]
    ParentBasedAlwaysOn,
    /// Follow the caller's sampled flag; sample no new trace.
    #[value(name = "parentbased_always_off")]
    ParentBasedAlwaysOff,
    /// Follow the caller's sampled flag; sample the ratio `OTEL_TRACES_SAMPLER_ARG` of new
    /// traces.
    #[value(name = "parentbased_traceidratio")]
    ParentBasedTraceIdRatio,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("20"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "s", "1d", "-1s", "1.5s", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(positive_duration("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(positive_duration("5s"), Ok(Duration::from_secs(5)));
        for bad in ["0", "0ms", "0s", "x"] {
            assert!(positive_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
