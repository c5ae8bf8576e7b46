//! Support for the hardening tests (auth, limits, shutdown): test certificates made with
//! rcgen, a server started in-process with [`ServerOptions`], TLS channels, stores that
//! hold or panic on demand, and the real binary with its logs captured.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use entitlements::server::ServerOptions;
use entitlements::store::memory::MemoryStore;
use entitlements::store::records::Revision;
use entitlements::store::request_ids::{Answer, Recorded, Render, RequestKey};
use entitlements::store::{Applied, Decide, Snapshot, Store, StoreError};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// The name the test server certificate is issued for.
pub const SERVER_NAME: &str = "entitlements.test";

/// A PEM certificate and its key.
#[derive(Clone, Debug)]
pub struct Pem {
    pub cert: String,
    pub key: String,
}

impl Pem {
    pub fn identity(&self) -> Identity {
        Identity::from_pem(&self.cert, &self.key)
    }

    /// Writes `name.crt` and `name.key` into `dir`; returns their paths.
    pub fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, &self.cert).unwrap();
        std::fs::write(&key, &self.key).unwrap();
        (cert, key)
    }
}

/// A certificate authority made for one test.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn leaf(&self, cn: Option<&str>, dns: &[&str], usage: ExtendedKeyUsagePurpose) -> Pem {
        let mut params =
            CertificateParams::new(dns.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name = DistinguishedName::new();
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
        }
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// A server certificate for [`SERVER_NAME`].
    pub fn server(&self) -> Pem {
        self.leaf(
            Some("entitlements server"),
            &[SERVER_NAME],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A client certificate with this subject CN and DNS names.
    pub fn client(&self, cn: Option<&str>, dns: &[&str]) -> Pem {
        self.leaf(cn, dns, ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// A server running in this process.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), entitlements::server::ServeError>>,
}

impl Running {
    /// Starts a server on `store` with `options`, on 127.0.0.1.
    pub async fn start(store: Arc<dyn Store>, options: ServerOptions) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(entitlements::server::serve_with(
            listener,
            store,
            options,
            async {
                let _ = rx.await;
            },
        ));
        Running {
            addr,
            stop: Some(tx),
            task,
        }
    }

    /// Starts a server on the demo seed.
    pub async fn demo(options: ServerOptions) -> Running {
        Self::start(demo_store().await, options).await
    }

    /// Begins the shutdown.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Shuts down and waits for `serve_with` to return.
    pub async fn stop(mut self) {
        self.begin_shutdown();
        self.task.await.expect("server task").expect("server ran");
    }

    /// A plaintext channel.
    pub async fn plain(&self) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("connect")
    }

    /// A TLS channel trusting `ca`, presenting `client` if given.
    pub async fn tls(
        &self,
        ca: &Ca,
        client: Option<&Pem>,
    ) -> Result<Channel, tonic::transport::Error> {
        tls_channel(&self.addr.to_string(), ca, client).await
    }
}

/// A TLS channel to the server at `addr` (`host:port`), trusting `ca` for
/// [`SERVER_NAME`], presenting `client` if given.
pub async fn tls_channel(
    addr: &str,
    ca: &Ca,
    client: Option<&Pem>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca.pem()))
        .domain_name(SERVER_NAME);
    if let Some(client) = client {
        tls = tls.identity(client.identity());
    }
    Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

/// The memory store loaded with the demo seed.
pub async fn demo_store() -> Arc<dyn Store> {
    let store = Arc::new(MemoryStore::new());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-seed.yaml");
    entitlements::app::seed::SeedFile::read(&path)
        .unwrap()
        .load_into(store.as_ref())
        .await
        .unwrap();
    store
}

/// A memory store whose writes and consistency waits, while the gate is closed, report
/// that they arrived and then wait for the gate to open.
#[derive(Debug)]
pub struct GatedStore {
    inner: MemoryStore,
    open: watch::Receiver<bool>,
    arrived: mpsc::UnboundedSender<&'static str>,
}

/// The test's side of a [`GatedStore`].
pub struct Gate {
    open: watch::Sender<bool>,
    arrived: mpsc::UnboundedReceiver<&'static str>,
}

impl Gate {
    /// Waits until a write or wait has arrived at the closed gate; returns which.
    pub async fn arrived(&mut self) -> &'static str {
        self.arrived.recv().await.expect("store dropped")
    }

    /// Lets every held and later call through.
    pub fn open(&self) {
        self.open.send_replace(true);
    }
}

impl GatedStore {
    pub fn new() -> (Arc<GatedStore>, Gate) {
        let (open_tx, open_rx) = watch::channel(false);
        let (arrived_tx, arrived_rx) = mpsc::unbounded_channel();
        (
            Arc::new(GatedStore {
                inner: MemoryStore::new(),
                open: open_rx,
                arrived: arrived_tx,
            }),
            Gate {
                open: open_tx,
                arrived: arrived_rx,
            },
        )
    }

    async fn pass(&self, what: &'static str) {
        if !*self.open.borrow() {
            let _ = self.arrived.send(what);
            let mut open = self.open.clone();
            let _ = open.wait_for(|o| *o).await;
        }
    }
}

#[async_trait::async_trait]
impl Store for GatedStore {
    fn snapshot(&self) -> &Snapshot {
        self.inner.snapshot()
    }
    async fn apply(&self, decide: Decide<'_>) -> Result<Applied, StoreError> {
        self.pass("apply").await;
        self.inner.apply(decide).await
    }
    async fn recall(&self, id: &uuid::Uuid) -> Result<Option<Recorded>, StoreError> {
        self.inner.recall(id).await
    }
    async fn apply_once(
        &self,
        decide: Decide<'_>,
        key: &RequestKey,
        render: Render<'_>,
    ) -> Result<Vec<u8>, StoreError> {
        self.pass("apply").await;
        self.inner.apply_once(decide, key, render).await
    }
    async fn remember(&self, key: &RequestKey, answer: Answer) -> Result<(), StoreError> {
        self.inner.remember(key, answer).await
    }
    fn kind(&self) -> &'static str {
        "gated"
    }
    fn consistency_token(&self) -> u64 {
        self.inner.consistency_token()
    }
    async fn wait_for(&self, token: u64) -> Result<(), StoreError> {
        self.pass("wait_for").await;
        self.inner.wait_for(token).await
    }
    fn writable(&self) -> watch::Receiver<bool> {
        self.inner.writable()
    }
    async fn revisions(&self, account_id: &str, id: &str) -> Result<Vec<Revision>, StoreError> {
        self.inner.revisions(account_id, id).await
    }
}

/// A memory store whose every write panics: a handler path that panics, for the test of
/// panic handling (no production code has one).
#[derive(Debug, Default)]
pub struct PanickingStore {
    inner: MemoryStore,
}

#[async_trait::async_trait]
impl Store for PanickingStore {
    fn snapshot(&self) -> &Snapshot {
        self.inner.snapshot()
    }
    async fn apply(&self, _: Decide<'_>) -> Result<Applied, StoreError> {
        panic!("test store: writes panic");
    }
    async fn recall(&self, id: &uuid::Uuid) -> Result<Option<Recorded>, StoreError> {
        self.inner.recall(id).await
    }
    async fn apply_once(
        &self,
        _: Decide<'_>,
        _: &RequestKey,
        _: Render<'_>,
    ) -> Result<Vec<u8>, StoreError> {
        panic!("test store: writes panic");
    }
    async fn remember(&self, key: &RequestKey, answer: Answer) -> Result<(), StoreError> {
        self.inner.remember(key, answer).await
    }
    fn kind(&self) -> &'static str {
        "panicking"
    }
    fn consistency_token(&self) -> u64 {
        self.inner.consistency_token()
    }
    async fn wait_for(&self, token: u64) -> Result<(), StoreError> {
        self.inner.wait_for(token).await
    }
    fn writable(&self) -> watch::Receiver<bool> {
        self.inner.writable()
    }
}

/// The real binary, `serve` with JSON logs on a free port, its log lines kept.
pub struct Binary {
    pub child: Child,
    pub addr: SocketAddr,
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl Binary {
    /// Starts `entitlements serve --log-format json` with `args` and `env` (and none of
    /// this process's `DATABASE_URL`, `ENTITLEMENTS_*` or `OTEL_*`); waits for the
    /// "serving" line. Fails with the logs if the process exits first.
    pub fn serve(args: &[&str], env: &[(&str, &str)]) -> Result<Binary, String> {
        let mut cmd = crate::binary::command();
        cmd.args(["serve", "--log-format", "json"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the binary");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let err_logs = logs.clone();
        let stderr_thread = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                err_logs.lock().unwrap().push(line);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.wait();
                // The process is gone: stderr ends, and its thread with it.
                let _ = stderr_thread.join();
                return Err(logs.lock().unwrap().join("\n"));
            };
            logs.lock().unwrap().push(line.clone());
            if let Some(addr) = crate::binary::serving_addr(&line) {
                break addr.parse().expect("socket addr");
            }
        };
        let out_logs = logs.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                out_logs.lock().unwrap().push(line);
            }
        });
        Ok(Binary { child, addr, logs })
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait")
    }

    /// Every log line so far.
    pub fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
