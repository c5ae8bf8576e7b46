//! The `entitlements` binary: parse the configuration, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use entitlements::config::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            entitlements::telemetry::init(args.log_format, &args.log_filter);
            match entitlements::cli::serve(args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "server failed");
                    eprintln!("entitlements: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Health(args) => match entitlements::cli::health(args).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("entitlements health: {e}");
                ExitCode::from(2)
            }
        },
    }
}
