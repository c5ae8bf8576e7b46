//! Shared by the modules of the Postgres store binary: the consistency-token header,
//! the premium contract every test seeds, a designated-contact request, and a health
//! check of one service.

use entitlements::grpc::pb;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::common::TestServer;
use crate::common::fixtures::{new_account, new_contract};

pub(crate) const TOKEN: &str = "x-consistency-token";

pub(crate) async fn seed_premium(server: &TestServer) {
    new_account(server, "acme").await;
    new_contract(
        server,
        "acme",
        "main",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
}

pub(crate) fn contact_request(i: usize) -> pb::AddDesignatedContactRequest {
    pb::AddDesignatedContactRequest {
        request_id: String::new(),
        contract: "accounts/acme/contracts/main".into(),
        contact: Some(pb::DesignatedContact {
            email: format!("person{i}@acme.example"),
            display_name: format!("Person {i}"),
            add_time: None,
        }),
    }
}

pub(crate) async fn health(server: &TestServer, service: &str) -> ServingStatus {
    let mut client = HealthClient::new(server.channel.clone());
    let status = client
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    ServingStatus::try_from(status).unwrap()
}
