//! The demo seed (`examples/demo-seed.yaml`) loads and the real server answers on it: a
//! health check and a CheckEntitlement. The only tests that read the demo file.

use crate::common::{TestServer, ts};
use entitlements::grpc::pb;

#[tokio::test]
async fn health_and_one_check() {
    let server = TestServer::start_demo().await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel.clone());
    let resp = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "entitlements.v1.EntitlementService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        resp.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    let resp = server
        .entitlements()
        .check_entitlement(pb::CheckEntitlementRequest {
            account: "accounts/acme".into(),
            benefit: "technical_account_manager".into(),
            check_time: Some(ts("2026-06-01T10:00:00Z")),
            contact: None,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.allowed);
    assert_eq!(
        resp.contract.unwrap().contract,
        "accounts/acme/contracts/2026"
    );
    server.stop().await;
}
