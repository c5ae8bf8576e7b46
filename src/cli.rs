//! What each subcommand does: `serve` builds the store and runs the server until SIGTERM
//! or SIGINT; `health` asks a server's health service.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

use crate::app::seed::SeedFile;
use crate::config::{HealthArgs, MigrateArgs, ServeArgs};
use crate::grpc::auth::{CertificateRoles, TokenTable};
use crate::server::{Limits, ServerOptions, TlsFiles};
use crate::store::Store;
use crate::store::memory::MemoryStore;
use crate::store::postgres::{PostgresSettings, PostgresStore};

/// Runs `entitlements serve`.
pub async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let store: Arc<dyn Store> = match &args.database_url {
        Some(url) => {
            let settings = PostgresSettings {
                migrate: !args.no_migrate,
                write_timeout: args.database_write_timeout,
            };
            PostgresStore::connect(url, settings).await?
        }
        None => Arc::new(MemoryStore::new()),
    };
    if let Some(path) = &args.seed {
        let created = SeedFile::read(path)?.load_into(store.as_ref()).await?;
        tracing::info!(seed = %path.display(), created, "seed loaded");
    }
    let options = server_options(&args)?;
    let listener = TcpListener::bind(args.listen).await?;
    crate::server::serve_with(listener, store, options, shutdown_signal()).await?;
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// TLS, credentials and limits from the command line, files read.
fn server_options(args: &ServeArgs) -> Result<ServerOptions, Box<dyn std::error::Error>> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: read(cert)?,
            key: read(key)?,
            client_ca: args.tls_client_ca.as_deref().map(read).transpose()?,
        }),
        _ => None,
    };
    let tokens = args
        .tokens_file
        .as_deref()
        .map(TokenTable::read)
        .transpose()?;
    let certificate_roles = args
        .mtls_roles_file
        .as_deref()
        .map(CertificateRoles::read)
        .transpose()?
        .unwrap_or_default();
    if tls.is_none() && tokens.is_some() && !args.listen.ip().is_loopback() {
        tracing::warn!("bearer tokens over plaintext: terminate TLS in front of this server");
    }
    let nonzero = |d: Duration| (!d.is_zero()).then_some(d);
    Ok(ServerOptions {
        tls,
        tokens,
        certificate_roles,
        insecure_allow_remote: args.insecure_allow_remote,
        limits: Limits {
            max_message_size: args.max_message_size,
            max_concurrent_streams: args.max_concurrent_streams,
            max_in_flight: args.max_in_flight,
            keepalive_interval: nonzero(args.keepalive_interval),
            keepalive_timeout: args.keepalive_timeout,
            max_connection_age: nonzero(args.max_connection_age),
        },
        shutdown_grace: args.shutdown_grace,
    })
}

/// Runs `entitlements migrate`: applies the migrations under sqlx's advisory lock, so
/// that concurrent runs (several replicas, a hook job) wait for each other.
pub async fn migrate(args: MigrateArgs) -> Result<(), Box<dyn std::error::Error>> {
    PostgresStore::migrate(&args.database_url).await?;
    tracing::info!("migrations applied");
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
    let mut endpoint = tonic::transport::Endpoint::from_shared(args.addr.clone())?
        .connect_timeout(timeout)
        .timeout(timeout);
    if args.tls_ca.is_some() || args.tls_cert.is_some() || args.tls_domain.is_some() {
        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &args.tls_ca {
            tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
        }
        if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
            tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        if let Some(domain) = &args.tls_domain {
            tls = tls.domain_name(domain.clone());
        }
        endpoint = endpoint.tls_config(tls)?;
    }
    let channel = endpoint.connect().await?;
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: args.service.clone(),
    });
    if let Some(path) = &args.token_file {
        let token =
            String::from_utf8(read(path)?).map_err(|_| format!("{}: not UTF-8", path.display()))?;
        let value = format!("Bearer {}", token.trim())
            .parse()
            .map_err(|_| format!("{}: not a valid token", path.display()))?;
        request.metadata_mut().insert("authorization", value);
    }
    let resp = HealthClient::new(channel)
        .check(request)
        .await?
        .into_inner();
    let serving =
        resp.status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    println!("{}", if serving { "SERVING" } else { "NOT_SERVING" });
    Ok(serving)
}
