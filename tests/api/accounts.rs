//! AccountService: accounts, their calendar reference, listing and deletion.

use crate::helpers::*;

// ---- Arrangement ----

/// accounts/acme, created with a name and an etag the server must ignore.
async fn create_acme(server: &TestServer) -> pb::Account {
    create_account(
        server,
        "acme",
        pb::Account {
            name: "accounts/ignored".into(),
            display_name: "ACME GmbH".into(),
            time_zone: "Europe/Berlin".into(),
            etag: "\"bogus\"".into(),
            ..Default::default()
        },
    )
    .await
    .expect("CreateAccount")
}

fn in_utc() -> pb::Account {
    account_in("UTC")
}

fn account_in(time_zone: &str) -> pb::Account {
    pb::Account {
        time_zone: time_zone.into(),
        ..Default::default()
    }
}

fn acme_with(account: pb::Account) -> pb::Account {
    pb::Account {
        name: "accounts/acme".into(),
        ..account
    }
}

fn update_request(account: pb::Account, paths: Option<&[&str]>) -> pb::UpdateAccountRequest {
    pb::UpdateAccountRequest {
        request_id: String::new(),
        account: Some(account),
        update_mask: paths.and_then(mask),
    }
}

async fn update_account(
    server: &TestServer,
    account: pb::Account,
    paths: Option<&[&str]>,
) -> Result<pb::Account, tonic::Status> {
    server
        .accounts()
        .update_account(update_request(account, paths))
        .await
        .map(|r| r.into_inner().account.expect("account"))
}

/// acme as created, and after a masked update of its display name to "ACME AG" (the
/// request also carries a time zone, not in the mask).
async fn acme_renamed(server: &TestServer) -> (pb::Account, pb::Account) {
    let acme = create_acme(server).await;
    let renamed = acme_with(pb::Account {
        display_name: "ACME AG".into(),
        time_zone: "Asia/Seoul".into(),
        etag: acme.etag.clone(),
        ..Default::default()
    });
    let updated = update_account(server, renamed, Some(&["display_name"]))
        .await
        .expect("UpdateAccount");
    (acme, updated)
}

/// [`acme_renamed`], then moved to Seoul without a mask: (created, moved).
async fn acme_moved_to_seoul(server: &TestServer) -> (pb::Account, pb::Account) {
    let (acme, _) = acme_renamed(server).await;
    let moved = update_account(server, acme_with(account_in("Asia/Seoul")), None)
        .await
        .unwrap();
    (acme, moved)
}

fn create_request(id: &str, account: pb::Account) -> pb::CreateAccountRequest {
    pb::CreateAccountRequest {
        request_id: String::new(),
        account_id: id.into(),
        account: Some(account),
    }
}

fn delete_acme(etag: &str) -> pb::DeleteAccountRequest {
    pb::DeleteAccountRequest {
        request_id: String::new(),
        name: "accounts/acme".into(),
        etag: etag.into(),
    }
}

fn get_request(name: &str) -> pb::GetAccountRequest {
    pb::GetAccountRequest { name: name.into() }
}

// ---- CreateAccount and GetAccount ----

#[tokio::test]
async fn a_created_account_is_named_from_its_id_and_read_back_unchanged() {
    let server = TestServer::start().await;
    let acme = create_acme(&server).await;
    assert_eq!(acme.name, "accounts/acme");
    assert_eq!(acme.display_name, "ACME GmbH");
    assert_eq!(acme.time_zone, "Europe/Berlin");
    assert_eq!(acme.calendar, "", "default office hours");
    assert!(!acme.etag.is_empty() && acme.etag != "\"bogus\"");
    assert!(acme.create_time.is_some());
    assert_eq!(acme.create_time, acme.update_time);
    assert_eq!(get_account(&server, "accounts/acme").await, acme);
    server.stop().await;
}

#[tokio::test]
async fn creating_a_taken_account_id_is_already_exists_and_keeps_the_stored_one() {
    let server = TestServer::start().await;
    let acme = create_acme(&server).await;
    let e = create_account(&server, "acme", in_utc()).await.unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    assert_eq!(get_account(&server, "accounts/acme").await, acme);
    server.stop().await;
}

#[tokio::test]
async fn bad_accounts_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let long_id = "g".repeat(64);
    let mut table = vec![
        (
            create_request("globex", account_in("Mars/Olympus_Mons")),
            "account.time_zone",
        ),
        (
            create_request("globex", account_in("")),
            "account.time_zone",
        ),
        (
            pb::CreateAccountRequest {
                request_id: String::new(),
                account_id: "globex".into(),
                account: None,
            },
            "account",
        ),
    ];
    for bad_id in ["", "Globex", "globex_corp", "-globex", "globex-", &long_id] {
        table.push((create_request(bad_id, in_utc()), "account_id"));
    }
    for (request, field) in table {
        let e = server.accounts().create_account(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn getting_an_unknown_account_is_not_found() {
    let server = TestServer::start().await;
    let e = server
        .accounts()
        .get_account(get_request("accounts/globex"))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn getting_a_malformed_account_name_names_the_name() {
    let server = TestServer::start().await;
    let e = server
        .accounts()
        .get_account(get_request("acme"))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "name");
    server.stop().await;
}

// ---- UpdateAccount ----

#[tokio::test]
async fn update_account_with_a_mask_changes_only_the_masked_fields() {
    let server = TestServer::start().await;
    let (acme, updated) = acme_renamed(&server).await;
    assert_eq!(updated.display_name, "ACME AG");
    assert_eq!(updated.time_zone, "Europe/Berlin", "not in the mask");
    assert_ne!(updated.etag, acme.etag);
    assert_eq!(updated.create_time, acme.create_time);
    server.stop().await;
}

#[tokio::test]
async fn updating_an_account_with_a_stale_etag_is_aborted_and_writes_nothing() {
    let server = TestServer::start().await;
    let (acme, updated) = acme_renamed(&server).await;
    let stale = acme_with(pb::Account {
        display_name: "Stale".into(),
        etag: acme.etag.clone(),
        ..Default::default()
    });
    let e = update_account(&server, stale, Some(&["display_name"]))
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(get_account(&server, "accounts/acme").await, updated);
    server.stop().await;
}

#[tokio::test]
async fn without_a_mask_every_populated_account_field_is_updated() {
    let server = TestServer::start().await;
    let (_, moved) = acme_moved_to_seoul(&server).await;
    assert_eq!(moved.time_zone, "Asia/Seoul");
    assert_eq!(moved.display_name, "ACME AG", "not populated: kept");
    server.stop().await;
}

#[tokio::test]
async fn bad_account_updates_are_refused_naming_the_field_and_write_nothing() {
    let server = TestServer::start().await;
    let (_, moved) = acme_moved_to_seoul(&server).await;
    for (request, field) in [
        (
            update_request(acme_with(account_in("Nowhere/Town")), Some(&["time_zone"])),
            "account.time_zone",
        ),
        (
            update_request(acme_with(Default::default()), Some(&["no_such_field"])),
            "update_mask",
        ),
    ] {
        let e = server.accounts().update_account(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    assert_eq!(get_account(&server, "accounts/acme").await, moved);
    server.stop().await;
}

#[tokio::test]
async fn updating_an_unknown_account_is_not_found() {
    let server = TestServer::start().await;
    let (_, moved) = acme_moved_to_seoul(&server).await;
    let globex = pb::Account {
        name: "accounts/globex".into(),
        display_name: "Globex".into(),
        ..Default::default()
    };
    let e = update_account(&server, globex, Some(&["display_name"]))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    assert_eq!(get_account(&server, "accounts/acme").await, moved);
    server.stop().await;
}

// ---- DeleteAccount ----

#[tokio::test]
async fn deleting_an_account_with_a_stale_etag_is_aborted_and_keeps_it() {
    let server = TestServer::start().await;
    let (acme, _) = acme_moved_to_seoul(&server).await;
    let e = server
        .accounts()
        .delete_account(delete_acme(&acme.etag))
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    get_account(&server, "accounts/acme").await;
    server.stop().await;
}

#[tokio::test]
async fn a_deleted_account_is_not_found() {
    let server = TestServer::start().await;
    let (_, moved) = acme_moved_to_seoul(&server).await;
    let mut accounts = server.accounts();
    accounts
        .delete_account(delete_acme(&moved.etag))
        .await
        .expect("DeleteAccount");
    let e = accounts
        .get_account(get_request("accounts/acme"))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_deleted_account_is_not_found() {
    let server = TestServer::start().await;
    let (_, moved) = acme_moved_to_seoul(&server).await;
    let mut accounts = server.accounts();
    accounts
        .delete_account(delete_acme(&moved.etag))
        .await
        .expect("DeleteAccount");
    let e = accounts.delete_account(delete_acme("")).await.unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

// ---- The calendar reference ----

#[tokio::test]
async fn account_calendar_reference_must_exist() {
    // types.proto: "A reference inside a resource body (Account.calendar,
    // Contract.plan) to a resource that does not exist is INVALID_ARGUMENT naming that
    // field"; account_service.proto says the same for CreateAccount.
    let server = TestServer::start().await;
    for calendar in ["calendars/nope", "nope"] {
        let body = pb::Account {
            calendar: calendar.into(),
            ..account_in("Europe/Berlin")
        };
        let e = create_account(&server, "acme", body).await.unwrap_err();
        assert_invalid_field(&e, "account.calendar");
    }
    server.stop().await;
}

fn acme_on(calendar: &str) -> pb::Account {
    acme_with(pb::Account {
        calendar: calendar.into(),
        ..Default::default()
    })
}

#[tokio::test]
async fn an_update_to_a_missing_calendar_is_refused_naming_it_and_writes_nothing() {
    let server = TestServer::start().await;
    let acme = new_account(&server, "acme").await;
    let e = update_account(&server, acme_on("calendars/nope"), Some(&["calendar"]))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "account.calendar");
    assert_eq!(get_account(&server, "accounts/acme").await, acme);
    server.stop().await;
}

#[tokio::test]
async fn accounts_can_use_an_existing_calendar_on_update_and_on_create() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    create_calendar(&server, "emea", office_calendar("Europe/Berlin"))
        .await
        .unwrap();
    let on_emea = update_account(&server, acme_on("calendars/emea"), Some(&["calendar"]))
        .await
        .unwrap();
    assert_eq!(on_emea.calendar, "calendars/emea");
    let globex = pb::Account {
        calendar: "calendars/emea".into(),
        ..account_in("America/New_York")
    };
    let globex = create_account(&server, "globex", globex).await.unwrap();
    assert_eq!(globex.calendar, "calendars/emea");
    server.stop().await;
}

// ---- ListAccounts ----

fn list_request(page_size: i32, page_token: &str) -> pb::ListAccountsRequest {
    pb::ListAccountsRequest {
        page_size,
        page_token: page_token.into(),
    }
}

/// accounts/acct-000 to acct-119, created out of order.
async fn hundred_and_twenty_accounts(server: &TestServer) {
    let mut ids: Vec<String> = (0..120).map(|i| format!("acct-{i:03}")).collect();
    ids.reverse();
    ids.rotate_left(37);
    for id in &ids {
        new_account(server, id).await;
    }
}

#[tokio::test]
async fn list_accounts_pages_through_120_accounts() {
    // Created out of order: the list is ordered by resource name regardless.
    let server = TestServer::start().await;
    hundred_and_twenty_accounts(&server).await;
    let mut accounts = server.accounts();
    let mut seen: Vec<String> = Vec::new();
    let mut sizes = Vec::new();
    let mut token = String::new();
    loop {
        let page = accounts
            .list_accounts(list_request(0, &token))
            .await
            .unwrap()
            .into_inner();
        sizes.push(page.accounts.len());
        seen.extend(page.accounts.into_iter().map(|a| a.name));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
        assert!(sizes.len() < 10, "pagination does not terminate");
    }
    assert_eq!(sizes, [50, 50, 20], "default page size 50");
    let mut expected: Vec<String> = (0..120).map(|i| format!("accounts/acct-{i:03}")).collect();
    expected.sort();
    assert_eq!(seen, expected, "every account once, sorted by name");
    server.stop().await;
}

#[tokio::test]
async fn a_page_size_over_1000_lists_all_120_accounts() {
    let server = TestServer::start().await;
    hundred_and_twenty_accounts(&server).await;
    let all = server
        .accounts()
        .list_accounts(list_request(1001, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.accounts.len(), 120);
    assert_eq!(all.next_page_token, "");
    server.stop().await;
}

#[tokio::test]
async fn bad_list_accounts_paging_is_refused_naming_the_field() {
    let server = TestServer::start().await;
    for (request, field) in [
        (list_request(10, "not-a-token"), "page_token"),
        (list_request(-5, ""), "page_size"),
    ] {
        let e = server.accounts().list_accounts(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

// ---- DeleteAccount and contracts ----

/// accounts/acme with its open-ended standard contract from 2026.
async fn acme_with_a_contract(server: &TestServer) -> pb::Contract {
    new_account(server, "acme").await;
    new_contract(
        server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await
}

#[tokio::test]
async fn delete_account_is_refused_while_a_contract_is_active() {
    let server = TestServer::start().await;
    let c = acme_with_a_contract(&server).await;
    let e = server
        .accounts()
        .delete_account(delete_acme(""))
        .await
        .unwrap_err();
    assert_precondition(&e, &c.name);
    get_account(&server, "accounts/acme").await;
    get_contract(&server, &c.name).await;
    server.stop().await;
}

#[tokio::test]
async fn delete_account_is_refused_while_a_contract_is_suspended() {
    let server = TestServer::start().await;
    let c = acme_with_a_contract(&server).await;
    let suspend = pb::Contract {
        name: c.name.clone(),
        state: pb::ContractState::Suspended.into(),
        ..Default::default()
    };
    let suspended = update_contract(&server, suspend, &["state"]).await.unwrap();
    assert_eq!(suspended.state, i32::from(pb::ContractState::Suspended));
    let e = server
        .accounts()
        .delete_account(delete_acme(""))
        .await
        .unwrap_err();
    assert_precondition(&e, &c.name);
    get_account(&server, "accounts/acme").await;
    get_contract(&server, &c.name).await;
    server.stop().await;
}

/// [`acme_with_a_contract`], the contract terminated and the account deleted.
async fn acme_deleted_after_termination(server: &TestServer) -> pb::Contract {
    let c = acme_with_a_contract(server).await;
    terminate(server, &c.name, Some("2026-06-01T00:00:00Z"), "")
        .await
        .unwrap();
    server
        .accounts()
        .delete_account(delete_acme(""))
        .await
        .expect("an account with only terminated contracts can be deleted");
    c
}

#[tokio::test]
async fn delete_account_removes_its_terminated_contracts() {
    // account_service.proto: DeleteAccount "Deletes an account together with its
    // terminated contracts, their revisions and their recorded obligation completions.
    // FAILED_PRECONDITION if the account has a contract in state ACTIVE or SUSPENDED".
    let server = TestServer::start().await;
    let c = acme_deleted_after_termination(&server).await;
    let e = server
        .contracts()
        .get_contract(pb::GetContractRequest {
            name: c.name.clone(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn a_new_account_with_a_deleted_id_starts_without_the_old_contracts() {
    let server = TestServer::start().await;
    let c = acme_deleted_after_termination(&server).await;
    new_account(&server, "acme").await;
    let list = server
        .contracts()
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/acme".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(list.contracts.is_empty(), "{:?}", list.contracts);
    let revs = server
        .contracts()
        .list_contract_revisions(pb::ListContractRevisionsRequest {
            name: c.name.clone(),
            ..Default::default()
        })
        .await;
    assert_status(&revs.unwrap_err(), Code::NotFound);
    server.stop().await;
}
