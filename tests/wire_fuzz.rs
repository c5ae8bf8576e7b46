//! Hostile bytes on the wire, through the real server on a real socket: every method of
//! every service (ours, health, reflection) gets raw bytes, frames cut short or lying
//! about their length, compression flags it cannot honour, mutated valid messages, and
//! fields holding huge or non-UTF-8 values. No answer may be INTERNAL or UNKNOWN, every
//! error must carry an `ErrorInfo`, and no error's message plus details may reach 2 KiB,
//! so a stock client with default limits reads every one.
//!
//! The suite runs a short pass (`WIRE_FUZZ_CASES` random requests, default 3,000, on top
//! of the fixed table). The long run reported in docs/testing.md:
//!
//! ```sh
//! WIRE_FUZZ_CASES=100000 cargo test --release --test wire_fuzz
//! ```

mod binary;
mod hardening;

use bytes::Bytes;
use entitlements::server::ServerOptions;
use hardening::Running;
use prost::Message;
use tokio::net::TcpStream;
use tonic::Code;

/// The bound on an error's message plus its encoded details.
const MAX_ERROR_BYTES: usize = 2048;

/// Every unary method path the server routes, from the descriptor sets it serves.
fn methods() -> Vec<String> {
    let mut paths = Vec::new();
    for set in [
        entitlements::grpc::pb::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
    ] {
        let fds = prost_types::FileDescriptorSet::decode(set).unwrap();
        for file in fds.file {
            for service in &file.service {
                for method in &service.method {
                    if method.server_streaming() || method.client_streaming() {
                        continue;
                    }
                    paths.push(format!(
                        "/{}.{}/{}",
                        file.package(),
                        service.name(),
                        method.name()
                    ));
                }
            }
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

/// A length-delimited field `number` holding `value`.
fn field(number: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(value.len() as u64, &mut out);
    out.extend_from_slice(value);
    out
}

/// A gRPC frame: flag, length, message.
fn frame(flag: u8, message: &[u8]) -> Vec<u8> {
    let mut out = vec![flag];
    out.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// Valid-looking messages to start mutations from: names in field 1, a nested message
/// in field 2, as most requests have.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![Vec::new()];
    for name in [
        "accounts/acme",
        "plans/premium",
        "calendars/seoul",
        "accounts/acme/contracts/c1",
        "accounts/-",
    ] {
        seeds.push(field(1, name.as_bytes()));
        seeds.push([field(1, name.as_bytes()), field(2, &field(1, b"x"))].concat());
    }
    seeds
}

/// The fixed table of hostile bodies (each a whole request body, frames included).
fn fixed_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let long = "a".repeat(20_000);
    let mut bodies = vec![
        ("invalid varint", frame(0, &[0xff])),
        ("name not UTF-8", frame(0, &[0x0a, 0x02, 0xc3, 0x28])),
        (
            "nested not UTF-8",
            frame(0, &field(2, &[0x0a, 0x02, 0xc3, 0x28])),
        ),
        ("length past the end", frame(0, &[0x0a, 0x7f, b'a'])),
        ("wire type 7", frame(0, &[0x0f])),
        ("tag 0", frame(0, &[0x02, 0x00])),
        ("group end", frame(0, &[0x0c])),
        ("no frame at all", Vec::new()),
        ("frame header cut", vec![0, 0, 0]),
        ("frame shorter than it says", {
            let mut f = frame(0, b"\x0a\x01a");
            f.truncate(6);
            f
        }),
        ("compressed without an encoding", frame(1, b"\x0a\x01a")),
        ("compression flag 2", frame(2, b"")),
        ("claims 4 GiB", vec![0, 0xff, 0xff, 0xff, 0xff, 0x0a]),
        ("two frames", [frame(0, b""), frame(0, b"")].concat()),
        ("20,000-char field 1", frame(0, &field(1, long.as_bytes()))),
        (
            "20,000-char nested field",
            frame(0, &field(2, &field(1, long.as_bytes()))),
        ),
        (
            "deep nesting",
            frame(0, &(0..120).fold(Vec::new(), |inner, _| field(2, &inner))),
        ),
    ];
    for number in 1..=12 {
        bodies.push((
            "20,000 chars in every field number",
            frame(0, &field(number, long.as_bytes())),
        ));
        bodies.push((
            "20,000 chars nested in every field number",
            frame(0, &field(number, &field(1, long.as_bytes()))),
        ));
    }
    bodies
}

/// A small deterministic generator (splitmix64), so a failure replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One random hostile message: random bytes, or a seed mutated a few times.
fn random_message(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if rng.below(4) == 0 {
        let n = rng.below(64);
        return rng.bytes(n);
    }
    let mut m = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        match rng.below(6) {
            0 if !m.is_empty() => {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
            1 if !m.is_empty() => {
                let i = rng.below(m.len());
                m[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(m.len() + 1);
                let n = rng.below(8) + 1;
                let extra = rng.bytes(n);
                m.splice(i..i, extra);
            }
            3 if !m.is_empty() => {
                let i = rng.below(m.len());
                m.truncate(i);
            }
            4 => {
                let number = u32::try_from(rng.below(16) + 1).unwrap();
                let len = rng.below(3000);
                let value = if rng.below(2) == 0 {
                    rng.bytes(len)
                } else {
                    "é".repeat(len).into_bytes()
                };
                m.extend(field(number, &value));
            }
            _ => {
                let copy = m.clone();
                m.extend(copy);
            }
        }
    }
    m
}

/// What the server answered one request.
struct Answer {
    status: tonic::Status,
}

/// Sends `body` (frames included) to `path` on `client`; the status the server answered.
async fn send(client: &mut h2::client::SendRequest<Bytes>, path: &str, body: Vec<u8>) -> Answer {
    let request = http::Request::post(format!("http://entitlements{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let mut ready = client.clone().ready().await.expect("connection open");
    let (response, mut stream) = ready.send_request(request, false).expect("stream opens");
    stream
        .send_data(Bytes::from(body), true)
        .expect("body sent");
    let (parts, mut body) = response.await.expect("the server answers").into_parts();
    let headers = if parts.headers.contains_key("grpc-status") {
        parts.headers
    } else {
        while let Some(data) = body.data().await {
            let data = data.expect("response body");
            let _ = body.flow_control().release_capacity(data.len());
        }
        body.trailers()
            .await
            .expect("trailers")
            .expect("a grpc-status")
    };
    Answer {
        status: tonic::Status::from_header_map(&headers).expect("grpc-status"),
    }
}

/// The problem with `answer` to `what`, if any.
fn problem(what: &str, answer: &Answer) -> Option<String> {
    let status = &answer.status;
    if status.code() == Code::Ok {
        return None;
    }
    if matches!(status.code(), Code::Internal | Code::Unknown) {
        return Some(format!("{what}: {status:?}"));
    }
    let size = status.message().len() + status.details().len();
    if size >= MAX_ERROR_BYTES {
        return Some(format!(
            "{what}: an error of {size} bytes: {:?}",
            status.code()
        ));
    }
    let info = tonic_types::StatusExt::get_error_details(status);
    match info.error_info() {
        Some(info) if !info.reason.is_empty() => None,
        _ => Some(format!("{what}: no ErrorInfo: {status:?}")),
    }
}

async fn connect(server: &Running) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(conn);
    client
}

fn random_cases() -> usize {
    std::env::var("WIRE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[tokio::test]
async fn hostile_bytes_on_every_method_get_bounded_explained_errors() {
    let server = Running::demo(ServerOptions::default()).await;
    let mut client = connect(&server).await;
    let methods = methods();
    assert!(methods.len() > 30, "{methods:?}");
    let mut problems = Vec::new();
    let (mut sent, mut largest, mut codes) = (0usize, 0usize, std::collections::BTreeMap::new());
    let mut note = |answer: &Answer| {
        let status = &answer.status;
        *codes
            .entry(format!("{:?}", status.code()))
            .or_insert(0usize) += 1;
        if status.code() != Code::Ok {
            largest = largest.max(status.message().len() + status.details().len());
        }
    };
    for path in &methods {
        for (what, body) in fixed_bodies() {
            let answer = send(&mut client, path, body).await;
            note(&answer);
            sent += 1;
            problems.extend(problem(&format!("{path} {what}"), &answer));
        }
    }
    let seeds = seeds();
    let mut rng = Rng(0x5eed);
    for i in 0..random_cases() {
        let path = &methods[rng.below(methods.len())];
        let message = random_message(&mut rng, &seeds);
        let answer = send(&mut client, path, frame(0, &message)).await;
        note(&answer);
        sent += 1;
        problems.extend(problem(
            &format!("{path} random #{i} {message:02x?}"),
            &answer,
        ));
    }
    eprintln!("{sent} requests; largest error {largest} bytes; codes {codes:?}");
    problems.truncate(20);
    assert!(problems.is_empty(), "{sent} requests; {problems:#?}");
    server.stop().await;
}

#[tokio::test]
async fn a_message_near_the_size_limit_echoes_a_bounded_value() {
    let server = Running::demo(ServerOptions::default()).await;
    let mut client = connect(&server).await;
    let huge = "c".repeat(4 * 1024 * 1024 - 64);
    for path in [
        "/entitlements.v1.AccountService/CreateAccount",
        "/entitlements.v1.AccountService/CreateCalendar",
        "/entitlements.v1.AccountService/GetAccount",
    ] {
        for body in [
            frame(0, &field(1, huge.as_bytes())),
            frame(0, &field(2, &field(1, huge.as_bytes()))),
        ] {
            let answer = send(&mut client, path, body).await;
            assert_ne!(answer.status.code(), Code::Ok, "{path}");
            assert_eq!(problem(path, &answer), None);
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn decode_failures_are_invalid_argument_naming_the_field() {
    let server = Running::demo(ServerOptions::default()).await;
    let mut client = connect(&server).await;
    let path = "/entitlements.v1.AccountService/GetAccount";
    let answer = send(&mut client, path, frame(0, &[0xff])).await;
    assert_eq!(
        answer.status.code(),
        Code::InvalidArgument,
        "{:?}",
        answer.status
    );
    let details = tonic_types::StatusExt::get_error_details(&answer.status);
    assert_eq!(details.error_info().unwrap().reason, "MALFORMED_REQUEST");
    let answer = send(&mut client, path, frame(0, &[0x0a, 0x02, 0xc3, 0x28])).await;
    assert_eq!(answer.status.code(), Code::InvalidArgument);
    let details = tonic_types::StatusExt::get_error_details(&answer.status);
    assert_eq!(details.error_info().unwrap().reason, "MALFORMED_REQUEST");
    let violations = &details.bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "name");
    server.stop().await;
}

#[tokio::test]
async fn a_message_over_the_limit_is_out_of_range_with_a_reason() {
    let server = Running::demo(ServerOptions::default()).await;
    let mut client = connect(&server).await;
    let path = "/entitlements.v1.EntitlementService/CheckEntitlement";
    let answer = send(&mut client, path, vec![0, 0x7f, 0xff, 0xff, 0xff, 0x0a]).await;
    assert_eq!(
        answer.status.code(),
        Code::OutOfRange,
        "{:?}",
        answer.status
    );
    let details = tonic_types::StatusExt::get_error_details(&answer.status);
    assert_eq!(details.error_info().unwrap().reason, "MESSAGE_TOO_LARGE");
    assert_eq!(details.error_info().unwrap().domain, "entitlements");
    server.stop().await;
}

#[tokio::test]
async fn a_20000_character_id_is_quoted_short() {
    let server = Running::demo(ServerOptions::default()).await;
    let mut accounts = entitlements::grpc::pb::account_service_client::AccountServiceClient::new(
        server.plain().await,
    );
    let status = accounts
        .create_account(entitlements::grpc::pb::CreateAccountRequest {
            account_id: "x".repeat(20_000),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("(20000 characters)"),
        "{}",
        status.message()
    );
    assert!(status.message().len() + status.details().len() < 1024);
    server.stop().await;
}
