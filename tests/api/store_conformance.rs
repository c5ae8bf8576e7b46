//! The store conformance suite (tests/common/conformance.rs) on the memory store and on
//! a fresh Postgres database, through the real server.

use std::sync::Arc;

use crate::common::TestServer;
use entitlements::store::postgres::{PostgresSettings, PostgresStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

#[tokio::test]
async fn memory_store_conforms() {
    let server = TestServer::start().await;
    crate::common::conformance::run(&server).await;
    crate::common::case_conformance::run(&server).await;
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn postgres_store_conforms(_: PgPoolOptions, options: PgConnectOptions) {
    let store = PostgresStore::connect_with(options.clone(), PostgresSettings::new(true))
        .await
        .unwrap();
    let server = TestServer::start_with(store).await;
    crate::common::conformance::run(&server).await;
    crate::common::case_conformance::run(&server).await;
    server.stop().await;
    // Everything acknowledged is in Postgres: a new store loading from scratch sees it.
    let reloaded = PostgresStore::connect_with(options, PostgresSettings::new(true))
        .await
        .unwrap();
    use entitlements::store::Store as _;
    let account = crate::common::case_conformance::ACCOUNT;
    {
        let state = entitlements::store::Store::snapshot(reloaded.as_ref()).read();
        let c = state.contract("acme", "2026").expect("contract persisted");
        assert_eq!(c.contract.contacts.len(), 5);
        assert_eq!(c.contract.version, 7);
        assert_eq!(state.completions("acme", "2026").len(), 1);
        assert_eq!(
            state.account("acme").unwrap().calendar_id.as_deref(),
            Some("berlin")
        );
        // Open cases are in the snapshot again; resolved ones only in Postgres, read
        // through.
        assert!(state.case(account, "k2").is_some(), "open case loaded");
        assert!(
            state.case(account, "k1").is_none(),
            "resolved case not in memory"
        );
    }
    let k1 = reloaded
        .read_case(account, "k1")
        .await
        .unwrap()
        .expect("k1 persisted");
    assert_eq!(k1.case_timeline().updates.len(), 3);
    let _ = Arc::clone(&reloaded);
}
