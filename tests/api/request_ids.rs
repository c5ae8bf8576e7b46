//! Retried writes with a `request_id` (AIP-155): the first answer, or the first error,
//! comes back without writing again; an id reused for another request, or one that is
//! not a UUID, is INVALID_ARGUMENT naming `request_id`.

use crate::helpers::*;

const ID: &str = "6f1c28a0-5b3e-4c8e-9a37-0d2f6b1e4c11";

fn create(account: &str, request_id: &str) -> pb::CreateAccountRequest {
    pb::CreateAccountRequest {
        request_id: request_id.into(),
        ..account_request(account, "UTC")
    }
}

fn add(i: usize, request_id: &str) -> pb::AddDesignatedContactRequest {
    pb::AddDesignatedContactRequest {
        contract: "accounts/acme/contracts/main".into(),
        contact: Some(pb::DesignatedContact {
            email: format!("person{i}@acme.example"),
            display_name: format!("Person {i}"),
            add_time: None,
        }),
        request_id: request_id.into(),
    }
}

async fn premium(server: &TestServer) {
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

#[tokio::test]
async fn a_retried_create_returns_the_first_answer_and_writes_once() {
    let server = TestServer::start().await;
    let mut accounts = server.accounts();
    let first = accounts
        .create_account(create("acme", ID))
        .await
        .unwrap()
        .into_inner();
    let retry = accounts
        .create_account(create("acme", ID))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first);
    // Without the id, the same create is refused: the account exists once.
    let again = accounts
        .create_account(create("acme", ""))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    server.stop().await;
}

#[tokio::test]
async fn a_retried_add_adds_the_contact_once() {
    let server = TestServer::start().await;
    premium(&server).await;
    let mut contracts = server.contracts();
    let first = contracts
        .add_designated_contact(add(1, ID))
        .await
        .unwrap()
        .into_inner();
    let retry = contracts
        .add_designated_contact(add(1, ID))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first);
    let stored = get_contract(&server, "accounts/acme/contracts/main").await;
    assert_eq!(emails(&stored), vec!["person1@acme.example"]);
    assert_eq!(stored.version, first.contract.unwrap().version);
    server.stop().await;
}

#[tokio::test]
async fn a_retry_gets_the_first_error_even_when_the_write_would_now_succeed() {
    let server = TestServer::start().await;
    let mut accounts = server.accounts();
    let existing = new_account_in(&server, "acme", "UTC").await;
    let first = accounts
        .create_account(create("acme", ID))
        .await
        .unwrap_err();
    assert_eq!(first.code(), Code::AlreadyExists);
    accounts
        .delete_account(pb::DeleteAccountRequest {
            name: "accounts/acme".into(),
            etag: existing.etag,
            request_id: String::new(),
        })
        .await
        .unwrap();
    let retry = accounts
        .create_account(create("acme", ID))
        .await
        .unwrap_err();
    assert_eq!(retry.code(), first.code());
    assert_eq!(retry.message(), first.message());
    assert_eq!(retry.details(), first.details());
    // Nothing was written by the retry.
    let gone = accounts
        .get_account(pb::GetAccountRequest {
            name: "accounts/acme".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn a_request_id_reused_for_another_request_is_refused() {
    let server = TestServer::start().await;
    let mut accounts = server.accounts();
    accounts.create_account(create("acme", ID)).await.unwrap();
    for (what, result) in [
        (
            "other fields",
            accounts
                .create_account(create("globex", ID))
                .await
                .map(|_| ()),
        ),
        (
            "another method",
            server
                .accounts()
                .create_calendar(pb::CreateCalendarRequest {
                    calendar_id: "office".into(),
                    calendar: Some(office_calendar("UTC")),
                    request_id: ID.into(),
                })
                .await
                .map(|_| ()),
        ),
    ] {
        let e = result.expect_err(what);
        assert_invalid_field(&e, "request_id");
        assert_eq!(
            details(&e).error_info().unwrap().reason,
            "REQUEST_ID_REUSED",
            "{what}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_request_id_that_is_not_a_uuid_is_refused_naming_it() {
    let server = TestServer::start().await;
    let mut accounts = server.accounts();
    for bad in [
        "retry-1",
        "6f1c28a0-5b3e-4c8e-9a37",
        "zzzzzzzz-5b3e-4c8e-9a37-0d2f6b1e4c11",
    ] {
        let e = accounts
            .create_account(create("acme", bad))
            .await
            .unwrap_err();
        assert_invalid_field(&e, "request_id");
    }
    server.stop().await;
}
