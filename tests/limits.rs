//! Limits through the real server: load shedding past the in-flight limit
//! (RESOURCE_EXHAUSTED, health exempt), the caller's deadline passed on to store work
//! (DEADLINE_EXCEEDED, the write abandoned), a panicking handler (INTERNAL, the server
//! goes on), the maximum message size, the per-connection stream limit as the server
//! announces it, HTTP/2 keepalive (PINGs, and a connection that does not answer them is
//! closed) and the maximum connection age (GOAWAY).

mod binary;
mod common;
mod hardening;

use std::sync::Arc;
use std::time::Duration;

use common::fixtures::account_request;
use common::{details, ts};
use entitlements::grpc::pb;
use entitlements::server::{Limits, ServerOptions};
use hardening::{GatedStore, PanickingStore, Running};
use prost::Message as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn limits(f: impl FnOnce(&mut Limits)) -> ServerOptions {
    let mut options = ServerOptions::default();
    f(&mut options.limits);
    options
}

async fn health(channel: &Channel) -> ServingStatus {
    let resp = HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health answers")
        .into_inner();
    ServingStatus::try_from(resp.status).unwrap()
}

async fn list_plans(channel: &Channel) -> Result<pb::ListPlansResponse, tonic::Status> {
    pb::catalog_service_client::CatalogServiceClient::new(channel.clone())
        .list_plans(pb::ListPlansRequest::default())
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn past_the_in_flight_limit_calls_are_shed_and_health_still_answers() {
    let (store, mut gate) = GatedStore::new();
    let server = Running::start(store, limits(|l| l.max_in_flight = 2)).await;
    let channel = server.plain().await;
    // Two writes held in the store: the server is at capacity.
    let held: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|id| {
            let mut accounts =
                pb::account_service_client::AccountServiceClient::new(channel.clone());
            tokio::spawn(async move {
                accounts
                    .create_account(account_request(id, "Europe/Berlin"))
                    .await
            })
        })
        .collect();
    assert_eq!(gate.arrived().await, "apply");
    assert_eq!(gate.arrived().await, "apply");

    let status = list_plans(&channel).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let d = details(&status);
    let info = d.error_info().expect("ErrorInfo");
    assert_eq!(
        (info.domain.as_str(), info.reason.as_str()),
        ("entitlements", "OVERLOADED")
    );
    assert!(d.retry_info().is_some(), "RetryInfo");
    // A second connection is shed too: the limit is the server's, not the connection's.
    let other = server.plain().await;
    assert_eq!(
        list_plans(&other).await.unwrap_err().code(),
        Code::ResourceExhausted
    );
    // Probes are never shed.
    assert_eq!(health(&channel).await, ServingStatus::Serving);

    gate.open();
    for call in held {
        call.await.unwrap().expect("held calls complete");
    }
    assert_eq!(list_plans(&channel).await.unwrap().plans.len(), 3);
    server.stop().await;
}

/// One unary call over a bare HTTP/2 connection, with `headers` added: its status. (A
/// tonic client enforces `grpc-timeout` itself and would give up before the server
/// answers; this one waits for the server's status.)
async fn raw_unary(
    server: &Running,
    path: &str,
    message: impl prost::Message,
    headers: &[(&str, &str)],
) -> tonic::Status {
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(conn);
    let mut client = client.ready().await.unwrap();
    let mut req = http::Request::post(format!("http://{}{path}", server.addr))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let (response, mut send) = client.send_request(req.body(()).unwrap(), false).unwrap();
    let body = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&body);
    send.send_data(bytes::Bytes::from(frame), true).unwrap();
    let (parts, mut body) = response.await.unwrap().into_parts();
    let trailers = if parts.headers.contains_key("grpc-status") {
        parts.headers
    } else {
        while let Some(data) = body.data().await {
            data.unwrap();
        }
        body.trailers().await.unwrap().expect("trailers")
    };
    tonic::Status::from_header_map(&trailers).expect("grpc-status")
}

#[tokio::test]
async fn the_callers_deadline_bounds_store_work() {
    let (store, mut gate) = GatedStore::new();
    let server = Running::start(store.clone(), ServerOptions::default()).await;
    let deadline = [("grpc-timeout", "300m")];

    let (status, arrived) = tokio::join!(
        raw_unary(
            &server,
            "/entitlements.v1.AccountService/CreateAccount",
            account_request("late", "Europe/Berlin"),
            &deadline
        ),
        gate.arrived()
    );
    assert_eq!(arrived, "apply");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        details(&status).error_info().expect("ErrorInfo").reason,
        "DEADLINE_EXCEEDED"
    );

    // A read waiting for a consistency token: the same.
    let headers = [deadline[0], ("x-consistency-token", "0")];
    let (status, arrived) = tokio::join!(
        raw_unary(
            &server,
            "/entitlements.v1.CatalogService/ListPlans",
            pb::ListPlansRequest::default(),
            &headers
        ),
        gate.arrived()
    );
    assert_eq!(arrived, "wait_for");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");

    // The write was abandoned at the deadline: opening the gate does not apply it.
    gate.open();
    let mut accounts = pb::account_service_client::AccountServiceClient::new(server.plain().await);
    let status = accounts
        .get_account(pb::GetAccountRequest {
            name: "accounts/late".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    // Within the deadline, the same write succeeds.
    let status = raw_unary(
        &server,
        "/entitlements.v1.AccountService/CreateAccount",
        account_request("late", "Europe/Berlin"),
        &[("grpc-timeout", "30S")],
    )
    .await;
    assert_eq!(status.code(), Code::Ok, "{status:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_panicking_handler_fails_internal_and_the_server_goes_on() {
    let store = Arc::new(PanickingStore::default());
    let server = Running::start(store, ServerOptions::default()).await;
    let channel = server.plain().await;
    let mut accounts = pb::account_service_client::AccountServiceClient::new(channel.clone());
    for _ in 0..3 {
        let status = accounts
            .create_account(account_request("boom", "Europe/Berlin"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Internal, "{status:?}");
        assert_eq!(
            status.message(),
            "internal error",
            "the panic is not sent to clients"
        );
        assert_eq!(
            details(&status).error_info().expect("ErrorInfo").reason,
            "INTERNAL"
        );
        // The same connection, and the server, go on.
        assert_eq!(list_plans(&channel).await.unwrap().plans.len(), 3);
        assert_eq!(health(&channel).await, ServingStatus::Serving);
    }
    server.stop().await;
}

fn check(account: &str) -> pb::CheckEntitlementRequest {
    pb::CheckEntitlementRequest {
        account: account.into(),
        benefit: "technical_account_manager".into(),
        check_time: Some(ts("2026-06-01T10:00:00Z")),
        ..Default::default()
    }
}

#[tokio::test]
async fn requests_over_the_maximum_message_size_are_refused() {
    let server = Running::demo(limits(|l| l.max_message_size = 4096)).await;
    let channel = server.plain().await;
    let mut entitlements =
        pb::entitlement_service_client::EntitlementServiceClient::new(channel.clone());
    let small = pb::BatchCheckEntitlementsRequest {
        requests: vec![check("accounts/acme"); 10],
    };
    assert!(small.encoded_len() < 4096);
    let answers = entitlements
        .batch_check_entitlements(small)
        .await
        .expect("under the limit")
        .into_inner();
    assert_eq!(answers.responses.len(), 10);
    let large = pb::BatchCheckEntitlementsRequest {
        requests: vec![check("accounts/acme"); 200],
    };
    assert!(large.encoded_len() > 4096);
    let status = entitlements
        .batch_check_entitlements(large)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    // The connection is fine afterwards.
    assert_eq!(health(&channel).await, ServingStatus::Serving);
    server.stop().await;
}

#[tokio::test]
async fn the_server_announces_its_per_connection_stream_limit() {
    let server = Running::start(
        hardening::demo_store().await,
        limits(|l| l.max_concurrent_streams = 7),
    )
    .await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (client, mut conn) = h2::client::handshake(tcp).await.unwrap();
    // A PING round trip: the server's SETTINGS come before its PONG.
    let mut ping_pong = conn.ping_pong().expect("ping_pong");
    tokio::select! {
        ended = &mut conn => panic!("connection ended: {ended:?}"),
        pong = ping_pong.ping(h2::Ping::opaque()) => {
            pong.expect("PONG");
        }
    }
    assert_eq!(conn.max_concurrent_send_streams(), 7);
    drop((client, conn));
    server.stop().await;
}

/// A hand-driven HTTP/2 client connection: sends the preface and SETTINGS, acknowledges
/// the server's SETTINGS, and answers nothing else.
struct RawH2 {
    tcp: TcpStream,
}

/// HTTP/2 frame types used here.
const SETTINGS: u8 = 4;
const PING: u8 = 6;
const GOAWAY: u8 = 7;
const ACK: u8 = 1;

impl RawH2 {
    async fn connect(server: &Running) -> RawH2 {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .unwrap();
        tcp.write_all(&[0, 0, 0, SETTINGS, 0, 0, 0, 0, 0])
            .await
            .unwrap();
        RawH2 { tcp }
    }

    /// The next frame's type and flags; `None` once the server closed the connection.
    async fn next_frame(&mut self) -> Option<(u8, u8)> {
        let mut header = [0u8; 9];
        if self.tcp.read_exact(&mut header).await.is_err() {
            return None;
        }
        let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let mut payload = vec![0u8; len];
        if self.tcp.read_exact(&mut payload).await.is_err() {
            return None;
        }
        let (kind, flags) = (header[3], header[4]);
        if kind == SETTINGS && flags & ACK == 0 {
            self.tcp
                .write_all(&[0, 0, 0, SETTINGS, ACK, 0, 0, 0, 0])
                .await
                .unwrap();
        }
        Some((kind, flags))
    }
}

#[tokio::test]
async fn keepalive_pings_and_closes_a_connection_that_does_not_answer() {
    let server = Running::start(
        hardening::demo_store().await,
        limits(|l| {
            l.keepalive_interval = Some(Duration::from_millis(200));
            l.keepalive_timeout = Duration::from_millis(200);
        }),
    )
    .await;
    let mut raw = RawH2::connect(&server).await;
    let mut pinged = false;
    while let Some((kind, flags)) = raw.next_frame().await {
        if kind == PING && flags & ACK == 0 {
            pinged = true;
        }
    }
    assert!(
        pinged,
        "the server closed the connection without a keepalive PING"
    );
    // Connections that answer are kept: a normal client is still served.
    assert_eq!(health(&server.plain().await).await, ServingStatus::Serving);
    server.stop().await;
}

#[tokio::test]
async fn connections_past_the_maximum_age_get_goaway() {
    let server = Running::start(
        hardening::demo_store().await,
        limits(|l| l.max_connection_age = Some(Duration::from_millis(300))),
    )
    .await;
    let mut raw = RawH2::connect(&server).await;
    loop {
        match raw.next_frame().await {
            Some((GOAWAY, _)) => break,
            Some(_) => {}
            None => panic!("closed without GOAWAY"),
        }
    }
    drop(raw);
    server.stop().await;
}
