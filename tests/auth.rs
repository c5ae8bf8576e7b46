//! Authentication and roles through the real server over TLS (certificates made here with
//! rcgen): bearer tokens, client certificates (mTLS) and both together; every method of
//! every service against every role; the principal on contract revisions; health and
//! reflection open; no non-loopback listener without authentication; the `health`
//! subcommand over mTLS and with a token; tokens never in the logs.

mod binary;
mod common;
mod hardening;

use std::path::Path;

use common::fixtures::{account_request, contract_body, contract_request};
use common::{details, ts};
use entitlements::grpc::auth::{CertificateRoles, TokenTable};
use entitlements::grpc::pb;
use entitlements::server::{ServerOptions, TlsFiles};
use hardening::{Binary, Ca, Running, SERVER_NAME};
use prost::Message;
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const READER_TOKEN: &str = "reader-token-0123456789";
const WRITER_TOKEN: &str = "writer-token-0123456789";
const ADMIN_TOKEN: &str = "admin-token-01234567890";

fn tokens() -> TokenTable {
    TokenTable::parse(
        &format!(
            "# role principal token\nreader phone-system {READER_TOKEN}\n\
             writer portal {WRITER_TOKEN}\nadmin ops {ADMIN_TOKEN}\n"
        ),
        Path::new("tokens"),
    )
    .unwrap()
}

fn tls(ca: &Ca, client_ca: Option<&Ca>) -> TlsFiles {
    let server = ca.server();
    TlsFiles {
        cert: server.cert.into_bytes(),
        key: server.key.into_bytes(),
        client_ca: client_ca.map(|c| c.pem().into_bytes()),
    }
}

/// Methods that need more than the reader role, as the issue lists them.
const WRITER_METHODS: [&str; 21] = [
    "CreateCase",
    "UpdateCase",
    "DeleteCase",
    "RecordFirstResponse",
    "RecordUpdate",
    "PauseCase",
    "ResumeCase",
    "ChangeCasePriority",
    "ResolveCase",
    "CreateAccount",
    "UpdateAccount",
    "DeleteAccount",
    "CreateCalendar",
    "UpdateCalendar",
    "DeleteCalendar",
    "CreateContract",
    "UpdateContract",
    "TerminateContract",
    "AddDesignatedContact",
    "RemoveDesignatedContact",
    "RecordObligationCompletion",
];
const ADMIN_METHODS: [&str; 2] = ["CreatePlan", "UpdatePlan"];

/// Every method of every entitlements service, as `/package.Service/Method`.
fn all_methods() -> Vec<(String, &'static str)> {
    let set = prost_types::FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET).unwrap();
    let mut out = Vec::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                let name = method.name();
                let needs = if ADMIN_METHODS.contains(&name) {
                    "admin"
                } else if WRITER_METHODS.contains(&name) {
                    "writer"
                } else {
                    "reader"
                };
                out.push((
                    format!("/{}.{}/{name}", file.package(), service.name()),
                    needs,
                ));
            }
        }
    }
    assert_eq!(out.len(), 44, "{out:?}");
    out
}

fn bearer<T>(mut req: tonic::Request<T>, token: Option<&str>) -> tonic::Request<T> {
    if let Some(token) = token {
        req.metadata_mut().insert(
            "authorization",
            MetadataValue::try_from(format!("Bearer {token}")).unwrap(),
        );
    }
    req
}

/// Calls `path` with an empty request message; the status code (OK included).
async fn call_empty(channel: &Channel, path: &str, token: Option<&str>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let path = http::uri::PathAndQuery::try_from(path.to_owned()).unwrap();
    match grpc
        .unary(bearer(tonic::Request::new(()), token), path, codec)
        .await
    {
        Ok(_) => tonic::Status::ok(""),
        Err(status) => status,
    }
}

fn rank(role: &str) -> u8 {
    match role {
        "reader" => 0,
        "writer" => 1,
        "admin" => 2,
        _ => unreachable!(),
    }
}

async fn health_status(channel: &Channel) -> Result<ServingStatus, tonic::Status> {
    let resp = HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await?;
    Ok(ServingStatus::try_from(resp.into_inner().status).unwrap())
}

async fn reflection_lists_services(channel: &Channel) -> Vec<String> {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(channel.clone())
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .expect("reflection open to callers without credentials")
        .into_inner();
    let resp = stream
        .message()
        .await
        .unwrap()
        .expect("a reflection answer");
    match resp.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

fn assert_denied(status: &tonic::Status, principal: &str, needed: &str) {
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let info = details(status).error_info().cloned().expect("ErrorInfo");
    assert_eq!(info.domain, "entitlements");
    assert_eq!(info.reason, "PERMISSION_DENIED");
    assert_eq!(info.metadata["principal"], principal);
    assert_eq!(info.metadata["required_role"], needed);
}

fn new_contract(account: &str) -> pb::CreateContractRequest {
    contract_request(
        account,
        "main",
        contract_body("plans/premium", "2026-01-01T00:00:00Z", None),
    )
}

fn new_plan(id: &str) -> pb::CreatePlanRequest {
    pb::CreatePlanRequest {
        request_id: String::new(),
        plan_id: id.into(),
        plan: Some(pb::Plan {
            benefits: vec!["technical_account_manager".into()],
            ..Default::default()
        }),
    }
}

async fn revision_principals(
    channel: &Channel,
    token: Option<&str>,
    contract: &str,
) -> Vec<String> {
    pb::contract_service_client::ContractServiceClient::new(channel.clone())
        .list_contract_revisions(bearer(
            tonic::Request::new(pb::ListContractRevisionsRequest {
                name: contract.into(),
                ..Default::default()
            }),
            token,
        ))
        .await
        .expect("ListContractRevisions")
        .into_inner()
        .revisions
        .into_iter()
        .map(|r| r.principal)
        .collect()
}

#[tokio::test]
async fn bearer_tokens_over_tls_every_method_against_every_role() {
    let ca = Ca::new("server CA");
    let server = Running::demo(ServerOptions {
        tls: Some(tls(&ca, None)),
        tokens: Some(tokens()),
        ..Default::default()
    })
    .await;
    let channel = server.tls(&ca, None).await.expect("TLS connect");

    // Plaintext is not spoken on a TLS port.
    let plain = tonic::transport::Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect()
        .await;
    if let Ok(plain) = plain {
        assert!(
            health_status(&plain).await.is_err(),
            "answered plaintext on a TLS port"
        );
    }

    // Health and reflection need no credentials.
    assert_eq!(
        health_status(&channel).await.unwrap(),
        ServingStatus::Serving
    );
    let services = reflection_lists_services(&channel).await;
    assert!(
        services.contains(&"entitlements.v1.ContractService".to_owned()),
        "{services:?}"
    );

    for (path, needs) in all_methods() {
        let status = call_empty(&channel, &path, None).await;
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{path} without a token"
        );
        let info = details(&status).error_info().cloned().expect("ErrorInfo");
        assert_eq!(info.domain, "entitlements");
        let status = call_empty(&channel, &path, Some("not-a-token-of-this-server")).await;
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{path} with a wrong token"
        );
        for (role, token, principal) in [
            ("reader", READER_TOKEN, "phone-system"),
            ("writer", WRITER_TOKEN, "portal"),
            ("admin", ADMIN_TOKEN, "ops"),
        ] {
            let status = call_empty(&channel, &path, Some(token)).await;
            if rank(role) < rank(needs) {
                assert_denied(&status, principal, needs);
            } else {
                assert!(
                    !matches!(
                        status.code(),
                        Code::PermissionDenied | Code::Unauthenticated | Code::Unimplemented
                    ),
                    "{path} as {role}: {status:?}"
                );
            }
        }
    }

    // A malformed authorization header is not a token.
    let mut req = tonic::Request::new(pb::ListPlansRequest::default());
    req.metadata_mut().insert(
        "authorization",
        MetadataValue::from_static("Basic cG9ydGFsOnNlY3JldA=="),
    );
    let status = pb::catalog_service_client::CatalogServiceClient::new(channel.clone())
        .list_plans(req)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    // The writer's writes record its principal; the reader may read them, not write.
    let mut accounts = pb::account_service_client::AccountServiceClient::new(channel.clone());
    let mut contracts = pb::contract_service_client::ContractServiceClient::new(channel.clone());
    let status = accounts
        .create_account(bearer(
            tonic::Request::new(account_request("hooli", "Europe/Berlin")),
            Some(READER_TOKEN),
        ))
        .await
        .unwrap_err();
    assert_denied(&status, "phone-system", "writer");
    accounts
        .create_account(bearer(
            tonic::Request::new(account_request("hooli", "Europe/Berlin")),
            Some(WRITER_TOKEN),
        ))
        .await
        .expect("writer creates an account");
    contracts
        .create_contract(bearer(
            tonic::Request::new(new_contract("hooli")),
            Some(WRITER_TOKEN),
        ))
        .await
        .expect("writer creates a contract");
    contracts
        .add_designated_contact(bearer(
            tonic::Request::new(pb::AddDesignatedContactRequest {
                request_id: String::new(),
                contract: "accounts/hooli/contracts/main".into(),
                contact: Some(pb::DesignatedContact {
                    email: "gavin@hooli.example".into(),
                    ..Default::default()
                }),
            }),
            Some(ADMIN_TOKEN),
        ))
        .await
        .expect("admin includes writer");
    assert_eq!(
        revision_principals(
            &channel,
            Some(READER_TOKEN),
            "accounts/hooli/contracts/main"
        )
        .await,
        ["portal", "ops"]
    );

    // Plans are the admin's.
    let mut catalog = pb::catalog_service_client::CatalogServiceClient::new(channel.clone());
    let status = catalog
        .create_plan(bearer(
            tonic::Request::new(new_plan("gold")),
            Some(WRITER_TOKEN),
        ))
        .await
        .unwrap_err();
    assert_denied(&status, "portal", "admin");
    catalog
        .create_plan(bearer(
            tonic::Request::new(new_plan("gold")),
            Some(ADMIN_TOKEN),
        ))
        .await
        .expect("admin creates a plan");
    server.stop().await;
}

#[tokio::test]
async fn client_certificates_identify_callers_and_the_roles_file_grants_roles() {
    let server_ca = Ca::new("server CA");
    let client_ca = Ca::new("client CA");
    let roles = CertificateRoles::parse(
        "# role principal\nwriter portal\nadmin ops.internal.example\n",
        Path::new("roles"),
    )
    .unwrap();
    let server = Running::demo(ServerOptions {
        tls: Some(tls(&server_ca, Some(&client_ca))),
        certificate_roles: roles,
        ..Default::default()
    })
    .await;

    // No certificate, or one from another CA: no connection, not even for health.
    match server.tls(&server_ca, None).await {
        Err(_) => {}
        Ok(channel) => assert!(
            health_status(&channel).await.is_err(),
            "served without a certificate"
        ),
    }
    let stranger = Ca::new("someone else's CA").client(Some("portal"), &[]);
    match server.tls(&server_ca, Some(&stranger)).await {
        Err(_) => {}
        Ok(channel) => assert!(
            health_status(&channel).await.is_err(),
            "served a certificate from another CA"
        ),
    }

    // The subject CN is the principal; the roles file makes it a writer.
    let portal = server
        .tls(
            &server_ca,
            Some(&client_ca.client(Some("portal"), &["portal.example"])),
        )
        .await
        .unwrap();
    assert_eq!(
        health_status(&portal).await.unwrap(),
        ServingStatus::Serving
    );
    let mut accounts = pb::account_service_client::AccountServiceClient::new(portal.clone());
    accounts
        .create_account(account_request("hooli", "Europe/Berlin"))
        .await
        .expect("portal writes");
    pb::contract_service_client::ContractServiceClient::new(portal.clone())
        .create_contract(new_contract("hooli"))
        .await
        .expect("portal writes");
    assert_eq!(
        revision_principals(&portal, None, "accounts/hooli/contracts/main").await,
        ["portal"]
    );
    let status = pb::catalog_service_client::CatalogServiceClient::new(portal.clone())
        .create_plan(new_plan("gold"))
        .await
        .unwrap_err();
    assert_denied(&status, "portal", "admin");

    // No CN: the first DNS name is the principal (an admin here).
    let ops = server
        .tls(
            &server_ca,
            Some(&client_ca.client(None, &["ops.internal.example", "other.example"])),
        )
        .await
        .unwrap();
    pb::catalog_service_client::CatalogServiceClient::new(ops.clone())
        .create_plan(new_plan("gold"))
        .await
        .expect("ops administers plans");
    pb::contract_service_client::ContractServiceClient::new(ops.clone())
        .terminate_contract(pb::TerminateContractRequest {
            name: "accounts/hooli/contracts/main".into(),
            ..Default::default()
        })
        .await
        .expect("admin includes writer");
    assert_eq!(
        revision_principals(&ops, None, "accounts/hooli/contracts/main").await,
        ["portal", "ops.internal.example"]
    );

    // A verified certificate not in the roles file reads, and only reads.
    let unlisted = server
        .tls(&server_ca, Some(&client_ca.client(Some("billing"), &[])))
        .await
        .unwrap();
    let check = pb::entitlement_service_client::EntitlementServiceClient::new(unlisted.clone())
        .check_entitlement(pb::CheckEntitlementRequest {
            account: "accounts/acme".into(),
            benefit: "technical_account_manager".into(),
            check_time: Some(ts("2026-06-01T10:00:00Z")),
            ..Default::default()
        })
        .await
        .expect("an unlisted certificate reads")
        .into_inner();
    assert!(check.allowed);
    let status = pb::account_service_client::AccountServiceClient::new(unlisted)
        .create_account(account_request("initrode", "Europe/Berlin"))
        .await
        .unwrap_err();
    assert_denied(&status, "billing", "writer");
    server.stop().await;
}

#[tokio::test]
async fn certificates_and_tokens_together_either_identifies_and_a_token_decides() {
    let server_ca = Ca::new("server CA");
    let client_ca = Ca::new("client CA");
    let server = Running::demo(ServerOptions {
        tls: Some(tls(&server_ca, Some(&client_ca))),
        tokens: Some(tokens()),
        ..Default::default()
    })
    .await;
    // Without a certificate the handshake succeeds; the token identifies the caller.
    let no_cert = server
        .tls(&server_ca, None)
        .await
        .expect("TLS without a certificate");
    assert_eq!(
        health_status(&no_cert).await.unwrap(),
        ServingStatus::Serving
    );
    assert_eq!(
        call_empty(&no_cert, "/entitlements.v1.CatalogService/ListPlans", None)
            .await
            .code(),
        Code::Unauthenticated
    );
    pb::account_service_client::AccountServiceClient::new(no_cert.clone())
        .create_account(bearer(
            tonic::Request::new(account_request("hooli", "Europe/Berlin")),
            Some(WRITER_TOKEN),
        ))
        .await
        .expect("a token without a certificate");

    // A certificate alone identifies (a reader by default) ...
    let reader_cert = client_ca.client(Some("dashboard"), &[]);
    let with_cert = server.tls(&server_ca, Some(&reader_cert)).await.unwrap();
    assert_eq!(
        call_empty(
            &with_cert,
            "/entitlements.v1.CatalogService/ListPlans",
            None
        )
        .await
        .code(),
        Code::Ok
    );
    let status = pb::contract_service_client::ContractServiceClient::new(with_cert.clone())
        .create_contract(new_contract("hooli"))
        .await
        .unwrap_err();
    assert_denied(&status, "dashboard", "writer");
    // ... and a token sent with it decides: its principal is recorded.
    pb::contract_service_client::ContractServiceClient::new(with_cert.clone())
        .create_contract(bearer(
            tonic::Request::new(new_contract("hooli")),
            Some(WRITER_TOKEN),
        ))
        .await
        .expect("the token's role");
    assert_eq!(
        revision_principals(&with_cert, None, "accounts/hooli/contracts/main").await,
        ["portal"]
    );
    // A wrong token is refused even with a valid certificate.
    assert_eq!(
        call_empty(
            &with_cert,
            "/entitlements.v1.CatalogService/ListPlans",
            Some("not-a-token-of-this-server")
        )
        .await
        .code(),
        Code::Unauthenticated
    );
    server.stop().await;
}

#[tokio::test]
async fn without_authentication_callers_are_anonymous_and_may_do_everything() {
    let server = Running::demo(ServerOptions::default()).await;
    let channel = server.plain().await;
    pb::account_service_client::AccountServiceClient::new(channel.clone())
        .create_account(account_request("hooli", "Europe/Berlin"))
        .await
        .unwrap();
    pb::contract_service_client::ContractServiceClient::new(channel.clone())
        .create_contract(new_contract("hooli"))
        .await
        .unwrap();
    pb::catalog_service_client::CatalogServiceClient::new(channel.clone())
        .create_plan(new_plan("gold"))
        .await
        .unwrap();
    assert_eq!(
        revision_principals(&channel, None, "accounts/hooli/contracts/main").await,
        ["anonymous"]
    );
    server.stop().await;
}

#[test]
fn no_listener_beyond_loopback_without_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("server CA");
    let (cert, key) = ca.server().write(dir.path(), "server");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let client_ca = dir.path().join("client-ca.crt");
    std::fs::write(&client_ca, Ca::new("client CA").pem()).unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("reader phone {READER_TOKEN}\n")).unwrap();

    // Refused: nothing, and TLS alone (it authenticates the server, not the caller).
    for args in [
        vec!["--listen", "0.0.0.0:0"],
        vec![
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ],
    ] {
        let logs = Binary::serve(&args, &[])
            .err()
            .unwrap_or_else(|| panic!("{args:?} served"));
        assert!(
            logs.contains("refusing to listen on 0.0.0.0"),
            "{args:?}: {logs}"
        );
    }
    // Served: asked for, or with client certificates, or with tokens (flags or env).
    for (args, env) in [
        (
            vec!["--listen", "0.0.0.0:0", "--insecure-allow-remote"],
            vec![],
        ),
        (
            vec!["--listen", "0.0.0.0:0"],
            vec![("ENTITLEMENTS_INSECURE_ALLOW_REMOTE", "true")],
        ),
        (
            vec![
                "--listen",
                "0.0.0.0:0",
                "--tls-cert",
                cert,
                "--tls-key",
                key,
            ],
            vec![("ENTITLEMENTS_TLS_CLIENT_CA", client_ca.to_str().unwrap())],
        ),
        (
            vec!["--listen", "0.0.0.0:0"],
            vec![("ENTITLEMENTS_TOKENS_FILE", tokens.to_str().unwrap())],
        ),
    ] {
        let served = Binary::serve(&args, &env)
            .unwrap_or_else(|logs| panic!("{args:?} {env:?} refused: {logs}"));
        assert!(served.addr.ip().is_unspecified());
    }
    // Loopback needs nothing.
    Binary::serve(&["--listen", "127.0.0.1:0"], &[]).expect("loopback");
}

fn health(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_entitlements"))
        .arg("health")
        .args(args)
        .env_clear()
        .output()
        .expect("run health")
}

#[tokio::test]
async fn health_subcommand_over_mtls_and_tokens_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let server_ca = Ca::new("server CA");
    let client_ca = Ca::new("client CA");
    let (cert, key) = server_ca.server().write(dir.path(), "server");
    let (probe_cert, probe_key) = client_ca
        .client(Some("probe"), &[])
        .write(dir.path(), "probe");
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, server_ca.pem()).unwrap();
    let client_ca_file = dir.path().join("client-ca.crt");
    std::fs::write(&client_ca_file, client_ca.pem()).unwrap();
    let tokens_file = dir.path().join("tokens");
    std::fs::write(
        &tokens_file,
        format!("writer portal {WRITER_TOKEN}\nreader probe {READER_TOKEN}\n"),
    )
    .unwrap();
    let token_file = dir.path().join("probe-token");
    std::fs::write(&token_file, format!("{READER_TOKEN}\n")).unwrap();
    let p = |p: &Path| p.to_str().unwrap().to_owned();

    let mut served = Binary::serve(
        &["--listen", "127.0.0.1:0"],
        &[
            ("RUST_LOG", "debug"),
            ("ENTITLEMENTS_TLS_CERT", &p(&cert)),
            ("ENTITLEMENTS_TLS_KEY", &p(&key)),
            ("ENTITLEMENTS_TLS_CLIENT_CA", &p(&client_ca_file)),
            ("ENTITLEMENTS_TOKENS_FILE", &p(&tokens_file)),
        ],
    )
    .expect("serves");
    let addr = format!("https://127.0.0.1:{}", served.addr.port());
    let base = [
        "--addr",
        &addr,
        "--tls-ca",
        &p(&ca_file),
        "--tls-domain",
        SERVER_NAME,
    ];

    let out = health(
        &[
            &base[..],
            &["--tls-cert", &p(&probe_cert), "--tls-key", &p(&probe_key)],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "SERVING");
    let out = health(&[&base[..], &["--token-file", &p(&token_file)]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server's certificate does not name 127.0.0.1: without --tls-domain, no answer.
    let out = health(&["--addr", &addr, "--tls-ca", &p(&ca_file)]);
    assert!(!out.status.success());

    // Calls with the right and a wrong token, then look for either in the logs.
    let wrong = "wrong-token-abcdefghijklmnop";
    let ca = tonic::transport::Certificate::from_pem(server_ca.pem());
    let channel = tonic::transport::Endpoint::from_shared(addr.clone())
        .unwrap()
        .tls_config(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(ca)
                .domain_name(SERVER_NAME),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut accounts = pb::account_service_client::AccountServiceClient::new(channel.clone());
    accounts
        .create_account(bearer(
            tonic::Request::new(account_request("hooli", "Europe/Berlin")),
            Some(WRITER_TOKEN),
        ))
        .await
        .expect("the writer's token");
    let status = accounts
        .create_account(bearer(
            tonic::Request::new(account_request("initech2", "Europe/Berlin")),
            Some(wrong),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    served.sigterm();
    // Waited for off the runtime, which keeps the client's idle connection answering.
    let (status, logs) = tokio::task::spawn_blocking(move || (served.wait(), served.log_text()))
        .await
        .unwrap();
    assert!(status.success(), "{logs}");
    assert!(logs.contains("serving"), "{logs}");
    for secret in [WRITER_TOKEN, READER_TOKEN, wrong] {
        assert!(!logs.contains(secret), "a token is in the logs:\n{logs}");
    }
}
