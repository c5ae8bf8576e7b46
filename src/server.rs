//! The server: every gRPC service, health and reflection on one listener, with TLS,
//! authentication, limits and graceful shutdown. Tests and `main` both call [`serve`] (or
//! [`serve_with`], with [`ServerOptions`]) with an already bound listener.
//!
//! Around every call, from the outside in: the telemetry span, the [guard](crate::grpc::guard)
//! (deadline, load shedding, panics), [authentication](crate::grpc::auth), then
//! consistency tokens.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::server::NamedService;
use tonic::transport::Server;
use tonic::transport::server::{ServerTlsConfig, TcpIncoming};
use tonic::transport::{Certificate, Identity};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::grpc::account::AccountApi;
use crate::grpc::auth::{AuthLayer, Authenticator, CertificateRoles, TokenTable};
use crate::grpc::case::CaseApi;
use crate::grpc::catalog::CatalogApi;
use crate::grpc::consistency::ConsistencyLayer;
use crate::grpc::contract::ContractApi;
use crate::grpc::entitlement::EntitlementApi;
use crate::grpc::guard::GuardLayer;
use crate::grpc::pb;
use crate::grpc::sla::SlaApi;
use crate::store::Store;

use pb::account_service_server::AccountServiceServer;
use pb::case_service_server::CaseServiceServer;
use pb::catalog_service_server::CatalogServiceServer;
use pb::contract_service_server::ContractServiceServer;
use pb::entitlement_service_server::EntitlementServiceServer;
use pb::sla_service_server::SlaServiceServer;

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The transport failed.
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Reflection could not be built from the descriptor sets.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The listener's address cannot be read.
    #[error("listener: {0}")]
    Listener(#[from] std::io::Error),
    /// A non-loopback address without authentication and without
    /// [`ServerOptions::insecure_allow_remote`].
    #[error(
        "refusing to listen on {0} without authentication: configure client certificates \
         (--tls-client-ca) or bearer tokens (--tokens-file), listen on loopback, or pass \
         --insecure-allow-remote"
    )]
    RemoteWithoutAuthentication(SocketAddr),
}

// The defaults the command line shows are the configuration's; the server only uses them.
pub use crate::config::{
    DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_MESSAGE_SIZE,
};

/// Default [`Limits::keepalive_interval`].
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
/// Default [`Limits::keepalive_timeout`].
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// Default [`Limits::max_connection_age`]: 30 minutes.
pub const DEFAULT_MAX_CONNECTION_AGE: Duration = Duration::from_secs(30 * 60);
/// Default [`ServerOptions::shutdown_grace`]; below Kubernetes' default 30 s termination
/// grace period.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// How long a client has to complete its TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's TLS material, PEM-encoded.
#[derive(Clone)]
pub struct TlsFiles {
    /// The server's certificate chain.
    pub cert: Vec<u8>,
    /// The server's private key.
    pub key: Vec<u8>,
    /// CA certificates that client certificates are verified against (mTLS); the
    /// certificate's CN (or first DNS name) is then the caller's principal.
    pub client_ca: Option<Vec<u8>>,
}

impl fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsFiles")
            .field("client_ca", &self.client_ca.is_some())
            .finish_non_exhaustive()
    }
}

/// What one caller or connection may take from the server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request message accepted, in bytes; a larger one fails OUT_OF_RANGE before
    /// it is decoded.
    pub max_message_size: usize,
    /// Calls in flight per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS); the
    /// client holds further calls until one finishes.
    pub max_concurrent_streams: u32,
    /// Calls in flight in the whole server; past it calls fail RESOURCE_EXHAUSTED.
    pub max_in_flight: usize,
    /// HTTP/2 PING interval on idle connections; `None` sends none.
    pub keepalive_interval: Option<Duration>,
    /// How long a PING may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// Connections older than this are asked to reconnect (GOAWAY), so that clients
    /// spread over new replicas; `None` keeps them. Calls still running on the old
    /// connection finish there.
    pub max_connection_age: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            keepalive_interval: Some(DEFAULT_KEEPALIVE_INTERVAL),
            keepalive_timeout: DEFAULT_KEEPALIVE_TIMEOUT,
            max_connection_age: Some(DEFAULT_MAX_CONNECTION_AGE),
        }
    }
}

/// How a server is secured and limited. The default is plaintext, no authentication
/// (every caller is `anonymous` with every role, loopback only) and [`Limits::default`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// TLS, and with a client CA, mTLS.
    pub tls: Option<TlsFiles>,
    /// Bearer tokens accepted.
    pub tokens: Option<TokenTable>,
    /// Roles of client-certificate principals (used under mTLS).
    pub certificate_roles: CertificateRoles,
    /// Serve a non-loopback address even without authentication.
    pub insecure_allow_remote: bool,
    /// Message, concurrency and connection limits.
    pub limits: Limits,
    /// How long in-flight calls get to finish once shutdown begins.
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            tls: None,
            tokens: None,
            certificate_roles: CertificateRoles::default(),
            insecure_allow_remote: false,
            limits: Limits::default(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// The health service names this server reports, besides the overall "" entry.
pub const SERVICE_NAMES: [&str; 6] = [
    <EntitlementServiceServer<EntitlementApi> as NamedService>::NAME,
    <SlaServiceServer<SlaApi> as NamedService>::NAME,
    <CatalogServiceServer<CatalogApi> as NamedService>::NAME,
    <AccountServiceServer<AccountApi> as NamedService>::NAME,
    <ContractServiceServer<ContractApi> as NamedService>::NAME,
    <CaseServiceServer<CaseApi> as NamedService>::NAME,
];

async fn set_all(health: &HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    for name in SERVICE_NAMES {
        health.set_service_status(name, status).await;
    }
}

/// The services that write to the store: NOT_SERVING while the store cannot take writes
/// (e.g. Postgres is down), while checks and deadlines go on from the snapshot.
pub const WRITE_SERVICES: [&str; 4] = [
    <CatalogServiceServer<CatalogApi> as NamedService>::NAME,
    <AccountServiceServer<AccountApi> as NamedService>::NAME,
    <ContractServiceServer<ContractApi> as NamedService>::NAME,
    <CaseServiceServer<CaseApi> as NamedService>::NAME,
];

/// Keeps the write services' health in step with the store's writability until the
/// server stops.
async fn follow_writability(
    mut writable: tokio::sync::watch::Receiver<bool>,
    health: HealthReporter,
    stopping: Arc<AtomicBool>,
) {
    loop {
        let ok = *writable.borrow_and_update();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let status = if ok {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        for name in WRITE_SERVICES {
            health.set_service_status(name, status).await;
        }
        if writable.changed().await.is_err() {
            return;
        }
    }
}

/// Serves every service on `listener` with [`ServerOptions::default`] until `shutdown`
/// completes; see [`serve_with`].
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_with(listener, store, ServerOptions::default(), shutdown).await
}

/// Serves every service on `listener` until `shutdown` completes; then health turns
/// NOT_SERVING, the listener closes (new connections are refused), connections get
/// GOAWAY (new calls on them are refused) and in-flight calls get
/// [`ServerOptions::shutdown_grace`] to finish, after which this returns anyway.
pub async fn serve_with(
    listener: TcpListener,
    store: Arc<dyn Store>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let auth = Authenticator::new(
        options.tokens.clone(),
        options
            .tls
            .as_ref()
            .and_then(|t| t.client_ca.as_ref())
            .map(|_| options.certificate_roles.clone()),
    );
    let addr = listener.local_addr()?;
    if !auth.is_enabled() && !addr.ip().is_loopback() && !options.insecure_allow_remote {
        return Err(ServeError::RemoteWithoutAuthentication(addr));
    }
    let limits = &options.limits;
    let mut builder = Server::builder()
        .max_concurrent_streams(limits.max_concurrent_streams)
        .http2_keepalive_interval(limits.keepalive_interval)
        .http2_keepalive_timeout(Some(limits.keepalive_timeout));
    if let Some(age) = limits.max_connection_age {
        // No `max_connection_age_grace`: with it, tonic skips the GOAWAY and cuts the
        // connection at age + grace instead, failing the calls on it.
        builder = builder.max_connection_age(age);
    }
    if let Some(tls) = &options.tls {
        let mut config = ServerTlsConfig::new()
            .identity(Identity::from_pem(&tls.cert, &tls.key))
            .timeout(TLS_HANDSHAKE_TIMEOUT);
        if let Some(ca) = &tls.client_ca {
            // With tokens as well, a caller may present either: the handshake then lets
            // a client without a certificate through, and the auth layer asks for a token.
            config = config
                .client_ca_root(Certificate::from_pem(ca))
                .client_auth_optional(auth.accepts_tokens());
        }
        builder = builder.tls_config(config)?;
    }
    let max_message = limits.max_message_size;
    let (health, health_service) = tonic_health::server::health_reporter();
    // NOT_SERVING until the store is ready; the store handed in here is loaded.
    set_all(&health, ServingStatus::NotServing).await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    set_all(&health, ServingStatus::Serving).await;
    tracing::info!(
        addr = %addr,
        store = store.kind(),
        tls = options.tls.is_some(),
        client_certificates = auth.accepts_certificates(),
        tokens = options.tokens.as_ref().map_or(0, TokenTable::len),
        "serving"
    );
    let stopping = Arc::new(AtomicBool::new(false));
    tokio::spawn(follow_writability(
        store.writable(),
        health.clone(),
        stopping.clone(),
    ));
    let health_on_shutdown = health.clone();
    let grace = options.shutdown_grace;
    let (begun_tx, begun_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        tracing::info!(
            grace_ms = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX),
            "shutting down: health NOT_SERVING, refusing new calls, finishing in-flight calls"
        );
        stopping.store(true, Ordering::SeqCst);
        set_all(&health_on_shutdown, ServingStatus::NotServing).await;
        let _ = begun_tx.send(());
    };
    // Unblocks `grace` after the shutdown began; never if the server stopped otherwise.
    let grace_over = async move {
        if begun_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let serving = builder
        .layer(crate::telemetry::rpc::RpcLayer::new(&store))
        .layer(GuardLayer::new(limits.max_in_flight))
        .layer(AuthLayer::new(auth))
        .layer(ConsistencyLayer::new(store.clone()))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            EntitlementServiceServer::new(EntitlementApi::new(store.clone()))
                .max_decoding_message_size(max_message),
        )
        .add_service(
            SlaServiceServer::new(SlaApi::new(store.clone()))
                .max_decoding_message_size(max_message),
        )
        .add_service(
            CatalogServiceServer::new(CatalogApi::new(store.clone()))
                .max_decoding_message_size(max_message),
        )
        .add_service(
            AccountServiceServer::new(AccountApi::new(store.clone()))
                .max_decoding_message_size(max_message),
        )
        .add_service(
            ContractServiceServer::new(ContractApi::new(store.clone()))
                .max_decoding_message_size(max_message),
        )
        .add_service(
            CaseServiceServer::new(CaseApi::new(store)).max_decoding_message_size(max_message),
        )
        // TCP_NODELAY: the builder's `tcp_nodelay` does not apply to an incoming stream, and
        // without it Nagle holds back a response's last segment until the client's delayed
        // ACK, adding 40 ms to every answer longer than one segment.
        .serve_with_incoming_shutdown(
            tokio_stream::StreamExt::map(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                |accepted| accepted.map(CoalescingIo::new),
            ),
            shutdown,
        );
    tokio::select! {
        served = serving => served?,
        () = grace_over => tracing::warn!(
            "shutdown grace period over: closing the calls still in flight"
        ),
    }
    Ok(())
}

/// An accepted connection as HTTP/2 sees it: what h2 writes between two flushes leaves in
/// one `write`, and the socket reports no vectored writes.
///
/// Why: with vectored writes, h2 copies a DATA frame into its write buffer only up to 256
/// bytes; a bigger one (a ComputeDeadline answer is about 550 bytes) must be written out on
/// its own before the next frame can be buffered, which made one `writev` per answer
/// instead of one per batch of answers (measured: 1.9 per ComputeDeadline answer against
/// 1.0 per health check). Without them the threshold is 1 KiB, and the buffer here keeps
/// bigger frames to one syscall per flush as well.
#[derive(Debug)]
struct CoalescingIo(tokio::io::BufWriter<tokio::net::TcpStream>);

impl CoalescingIo {
    fn new(stream: tokio::net::TcpStream) -> Self {
        CoalescingIo(tokio::io::BufWriter::with_capacity(64 * 1024, stream))
    }
}

impl tonic::transport::server::Connected for CoalescingIo {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.0.get_ref().connect_info()
    }
}

impl tokio::io::AsyncRead for CoalescingIo {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for CoalescingIo {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}
