//! What each subcommand does: `serve` builds the store and runs the server until SIGTERM
//! or SIGINT; `health` asks a server's health service.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{HealthArgs, ServeArgs};
use crate::store::Store;
use crate::store::memory::MemoryStore;
use crate::store::seed::SeedFile;

/// Runs `entitlements serve`.
pub async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    if let Some(path) = &args.seed {
        let created = SeedFile::read(path)?.load_into(store.as_ref()).await?;
        tracing::info!(seed = %path.display(), created, "seed loaded");
    }
    let listener = TcpListener::bind(args.listen).await?;
    crate::server::serve(listener, store, shutdown_signal()).await?;
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Runs `entitlements health`: Ok(true) when the service reports SERVING.
pub async fn health(args: HealthArgs) -> Result<bool, Box<dyn std::error::Error>> {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let timeout = Duration::from_secs(args.timeout);
    let channel = tonic::transport::Endpoint::from_shared(args.addr.clone())?
        .connect_timeout(timeout)
        .timeout(timeout)
        .connect()
        .await?;
    let resp = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: args.service.clone(),
        })
        .await?
        .into_inner();
    let serving =
        resp.status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    println!("{}", if serving { "SERVING" } else { "NOT_SERVING" });
    Ok(serving)
}
