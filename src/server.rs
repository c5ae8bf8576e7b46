//! The server: every gRPC service, health and reflection on one listener, with graceful
//! shutdown. Tests and `main` both call [`serve`] with an already bound listener.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::server::NamedService;
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::grpc::account::AccountApi;
use crate::grpc::catalog::CatalogApi;
use crate::grpc::contract::ContractApi;
use crate::grpc::entitlement::EntitlementApi;
use crate::grpc::pb;
use crate::grpc::sla::SlaApi;
use crate::store::Store;

use pb::account_service_server::AccountServiceServer;
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
}

/// The health service names this server reports, besides the overall "" entry.
pub const SERVICE_NAMES: [&str; 5] = [
    <EntitlementServiceServer<EntitlementApi> as NamedService>::NAME,
    <SlaServiceServer<SlaApi> as NamedService>::NAME,
    <CatalogServiceServer<CatalogApi> as NamedService>::NAME,
    <AccountServiceServer<AccountApi> as NamedService>::NAME,
    <ContractServiceServer<ContractApi> as NamedService>::NAME,
];

async fn set_all(health: &HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    for name in SERVICE_NAMES {
        health.set_service_status(name, status).await;
    }
}

/// Serves every service on `listener` until `shutdown` completes; then health turns
/// NOT_SERVING, new connections are refused and in-flight calls finish.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
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
        addr = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        store = store.kind(),
        "serving"
    );
    let health_on_shutdown = health.clone();
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: health NOT_SERVING, finishing in-flight calls");
        set_all(&health_on_shutdown, ServingStatus::NotServing).await;
    };
    Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(EntitlementServiceServer::new(EntitlementApi::new(
            store.clone(),
        )))
        .add_service(SlaServiceServer::new(SlaApi::new(store.clone())))
        .add_service(CatalogServiceServer::new(CatalogApi::new(store.clone())))
        .add_service(AccountServiceServer::new(AccountApi::new(store.clone())))
        .add_service(ContractServiceServer::new(ContractApi::new(store)))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
