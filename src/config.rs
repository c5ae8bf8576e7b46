//! Command line and environment configuration. Every flag has an environment variable
//! and a line of help.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Support entitlements and SLA deadlines over gRPC.
#[derive(Debug, Parser)]
#[command(name = "entitlements", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server.
    Serve(ServeArgs),
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
}
