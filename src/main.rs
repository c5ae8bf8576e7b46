//! The `entitlements` binary: parse the configuration, set up logging and telemetry, run,
//! flush telemetry.

use std::process::ExitCode;

use clap::Parser;
use entitlements::config::{Cli, Command};

/// mimalloc instead of the C library's allocator: every call allocates and frees request,
/// answer and explanation buffers on whichever worker thread runs it, which glibc's
/// allocator serves with more locking and less reuse.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let export = entitlements::telemetry::ExportConfig::from(&args);
            let telemetry = match entitlements::telemetry::init_with_export(
                args.log_format,
                &args.log_filter,
                &export,
            ) {
                Ok(guard) => guard,
                Err(e) => {
                    eprintln!("entitlements: telemetry: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let code = match entitlements::cli::serve(args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "server failed");
                    eprintln!("entitlements: {e}");
                    ExitCode::FAILURE
                }
            };
            // Flush every pending span and metric before exiting.
            telemetry.shutdown().await;
            code
        }
        Command::Migrate(args) => {
            entitlements::telemetry::init(args.log_format, "info");
            match entitlements::cli::migrate(args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("entitlements migrate: {e}");
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
