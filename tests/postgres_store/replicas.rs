//! Two server processes on one database: a write retried on the other replica gets the
//! first answer, and a write through one is visible through the other within a bound,
//! and at once with its consistency token (a token from the future is refused).

use std::time::{Duration, Instant};

use entitlements::grpc::pb;
use entitlements::store::postgres::{PostgresSettings, PostgresStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tonic::Code;

use crate::common::TestServer;
use crate::common::fixtures::check_req;
use crate::helpers::{TOKEN, contact_request, seed_premium};

async fn check_tam(server: &TestServer, token: Option<&str>) -> pb::CheckEntitlementResponse {
    let mut req = tonic::Request::new(check_req(
        "acme",
        "technical_account_manager",
        Some("2026-06-01T00:00:00Z"),
        None,
    ));
    if let Some(t) = token {
        req.metadata_mut().insert(TOKEN, t.parse().unwrap());
    }
    server
        .entitlements()
        .check_entitlement(req)
        .await
        .unwrap()
        .into_inner()
}

#[sqlx::test(migrations = false)]
async fn a_write_retried_on_another_replica_gets_the_first_answer(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let replica = || async {
        TestServer::start_with(
            PostgresStore::connect_with(options.clone(), PostgresSettings::new(true))
                .await
                .unwrap(),
        )
        .await
    };
    let (a, b) = (replica().await, replica().await);
    seed_premium(&a).await;
    let request = pb::AddDesignatedContactRequest {
        request_id: "3b9e2f6a-0c71-4d58-a2e4-8f1d6c0b7a95".into(),
        ..contact_request(0)
    };
    let first = a
        .contracts()
        .add_designated_contact(request.clone())
        .await
        .unwrap()
        .into_inner();
    // B may not have A's write in its snapshot yet: the id is looked up in Postgres.
    let retry = b
        .contracts()
        .add_designated_contact(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first);
    let stored = PostgresStore::connect_with(options.clone(), PostgresSettings::new(false))
        .await
        .unwrap();
    let contacts = {
        let state = entitlements::store::Store::snapshot(stored.as_ref()).read();
        state
            .contract("acme", "main")
            .unwrap()
            .contract
            .contacts
            .len()
    };
    assert_eq!(contacts, 1);
    a.stop().await;
    b.stop().await;
}

#[sqlx::test(migrations = false)]
async fn two_servers_on_one_database(_: PgPoolOptions, options: PgConnectOptions) {
    let a = TestServer::start_with(
        PostgresStore::connect_with(options.clone(), PostgresSettings::new(true))
            .await
            .unwrap(),
    )
    .await;
    let b = TestServer::start_with(
        PostgresStore::connect_with(options.clone(), PostgresSettings::new(true))
            .await
            .unwrap(),
    )
    .await;
    seed_premium(&a).await;

    // Without a token, B sees A's write within a bound (the NOTIFY round trip).
    let start = Instant::now();
    loop {
        if check_tam(&b, None).await.allowed {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "B never saw A's write"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // With the token of A's write, B answers from a snapshot at least that fresh, at once.
    for round in 0..20 {
        let resp = a
            .contracts()
            .update_contract(pb::UpdateContractRequest {
                request_id: String::new(),
                contract: Some(pb::Contract {
                    name: "accounts/acme/contracts/main".into(),
                    state: if round % 2 == 0 {
                        pb::ContractState::Suspended
                    } else {
                        pb::ContractState::Active
                    } as i32,
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["state".into()],
                }),
            })
            .await
            .unwrap();
        let token = resp
            .metadata()
            .get(TOKEN)
            .expect("writes carry a consistency token")
            .to_str()
            .unwrap()
            .to_owned();
        let seen = check_tam(&b, Some(&token)).await;
        let suspended = round % 2 == 0;
        assert_eq!(
            seen.allowed, !suspended,
            "round {round}: B answered from a stale snapshot"
        );
    }
    // A token from the future is refused rather than answered stale.
    let mut req = tonic::Request::new(pb::GetEntitlementsRequest {
        account: "accounts/acme".into(),
        check_time: None,
    });
    req.metadata_mut()
        .insert(TOKEN, "999999999".parse().unwrap());
    let err = b.entitlements().get_entitlements(req).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    a.stop().await;
    b.stop().await;
}
