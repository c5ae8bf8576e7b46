//! Shared test harness: starts the real server on a real socket (127.0.0.1, port 0) on the
//! embedded store, optionally loaded with the demo seed, and hands out connected clients.

#![allow(dead_code, unreachable_pub)]

pub mod case_conformance;
pub mod conformance;
pub mod fixtures;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use entitlements::app::seed::SeedFile;
use entitlements::grpc::pb;
use entitlements::store::Store;
use entitlements::store::memory::MemoryStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// A running server; dropping it does not stop it, call [`TestServer::stop`].
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A connected channel.
    pub channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

/// The demo seed shipped in examples/.
pub fn demo_seed() -> SeedFile {
    SeedFile::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-seed.yaml"))
        .expect("demo seed parses")
}

impl TestServer {
    /// Starts a server on an empty store (built-in plans only).
    pub async fn start() -> TestServer {
        Self::start_with(Arc::new(MemoryStore::new())).await
    }

    /// Starts a server on a store loaded with the demo seed.
    pub async fn start_demo() -> TestServer {
        let store = Arc::new(MemoryStore::new());
        demo_seed()
            .load_into(store.as_ref())
            .await
            .expect("demo seed loads");
        Self::start_with(store).await
    }

    /// Starts a server on `store`.
    pub async fn start_with(store: Arc<dyn Store>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            entitlements::server::serve(listener, store, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect");
        TestServer {
            addr,
            channel,
            stop: Some(tx),
            task,
        }
    }

    /// Asks the server to shut down and waits until it has.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }

    pub fn entitlements(
        &self,
    ) -> pb::entitlement_service_client::EntitlementServiceClient<Channel> {
        pb::entitlement_service_client::EntitlementServiceClient::new(self.channel.clone())
    }
    pub fn sla(&self) -> pb::sla_service_client::SlaServiceClient<Channel> {
        pb::sla_service_client::SlaServiceClient::new(self.channel.clone())
    }
    pub fn catalog(&self) -> pb::catalog_service_client::CatalogServiceClient<Channel> {
        pb::catalog_service_client::CatalogServiceClient::new(self.channel.clone())
    }
    pub fn accounts(&self) -> pb::account_service_client::AccountServiceClient<Channel> {
        pb::account_service_client::AccountServiceClient::new(self.channel.clone())
    }
    pub fn contracts(&self) -> pb::contract_service_client::ContractServiceClient<Channel> {
        pb::contract_service_client::ContractServiceClient::new(self.channel.clone())
    }
    pub fn cases(&self) -> pb::case_service_client::CaseServiceClient<Channel> {
        pb::case_service_client::CaseServiceClient::new(self.channel.clone())
    }
}

/// A protobuf timestamp from RFC 3339 text.
pub fn ts(rfc3339: &str) -> prost_types::Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("RFC 3339");
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// A protobuf duration of whole seconds.
pub fn secs(s: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: s,
        nanos: 0,
    }
}

/// The rich error details of a status.
pub fn details(status: &tonic::Status) -> tonic_types::ErrorDetails {
    use tonic_types::StatusExt;
    status.get_error_details()
}

/// Asserts a status is INVALID_ARGUMENT naming `field` in a BadRequest violation, with an
/// ErrorInfo in the `entitlements` domain.
pub fn assert_invalid_field(status: &tonic::Status, field: &str) {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let d = details(status);
    let br = d
        .bad_request()
        .unwrap_or_else(|| panic!("no BadRequest in {status:?}"));
    assert!(
        br.field_violations.iter().any(|v| v.field == field),
        "expected a violation on {field}, got {:?}",
        br.field_violations
    );
    assert_eq!(d.error_info().expect("ErrorInfo").domain, "entitlements");
}
