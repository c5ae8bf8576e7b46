//! AccountService: accounts, their calendar reference, listing and deletion.

use crate::helpers::*;

// ---- AccountService: accounts ----

#[tokio::test]
async fn account_create_get_update_delete() {
    let server = TestServer::start().await;
    let mut accounts = server.accounts();

    let acme = create_account(
        &server,
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
    .expect("CreateAccount");
    assert_eq!(acme.name, "accounts/acme");
    assert_eq!(acme.display_name, "ACME GmbH");
    assert_eq!(acme.time_zone, "Europe/Berlin");
    assert_eq!(acme.calendar, "", "default office hours");
    assert!(!acme.etag.is_empty() && acme.etag != "\"bogus\"");
    assert!(acme.create_time.is_some());
    assert_eq!(acme.create_time, acme.update_time);
    assert_eq!(get_account(&server, "accounts/acme").await, acme);

    // Create errors.
    let e = create_account(
        &server,
        "acme",
        pb::Account {
            time_zone: "UTC".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    assert_eq!(get_account(&server, "accounts/acme").await, acme);
    for tz in ["Mars/Olympus_Mons", ""] {
        let e = create_account(
            &server,
            "globex",
            pb::Account {
                time_zone: tz.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_invalid_field(&e, "account.time_zone");
    }
    for bad_id in [
        "",
        "Globex",
        "globex_corp",
        "-globex",
        "globex-",
        &"g".repeat(64),
    ] {
        let e = create_account(
            &server,
            bad_id,
            pb::Account {
                time_zone: "UTC".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_invalid_field(&e, "account_id");
    }
    let e = accounts
        .create_account(pb::CreateAccountRequest {
            request_id: String::new(),
            account_id: "globex".into(),
            account: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "account");

    // Get errors.
    let e = accounts
        .get_account(pb::GetAccountRequest {
            name: "accounts/globex".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = accounts
        .get_account(pb::GetAccountRequest {
            name: "acme".into(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "name");

    // Update with a mask: only display_name changes.
    let updated = accounts
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                display_name: "ACME AG".into(),
                time_zone: "Asia/Seoul".into(),
                etag: acme.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .expect("UpdateAccount")
        .into_inner()
        .account
        .unwrap();
    assert_eq!(updated.display_name, "ACME AG");
    assert_eq!(updated.time_zone, "Europe/Berlin", "not in the mask");
    assert_ne!(updated.etag, acme.etag);
    assert_eq!(updated.create_time, acme.create_time);

    // Stale etag: ABORTED and nothing written.
    let e = accounts
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                display_name: "Stale".into(),
                etag: acme.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(get_account(&server, "accounts/acme").await, updated);

    // No mask: every populated field.
    let moved = accounts
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                time_zone: "Asia/Seoul".into(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(moved.time_zone, "Asia/Seoul");
    assert_eq!(moved.display_name, "ACME AG", "not populated: kept");

    // Update errors.
    let e = accounts
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                time_zone: "Nowhere/Town".into(),
                ..Default::default()
            }),
            update_mask: mask(&["time_zone"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "account.time_zone");
    let e = accounts
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                ..Default::default()
            }),
            update_mask: mask(&["no_such_field"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "update_mask");
    let e = accounts
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/globex".into(),
                display_name: "Globex".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    assert_eq!(get_account(&server, "accounts/acme").await, moved);

    // Delete: stale etag refused, then deleted, then gone.
    let e = accounts
        .delete_account(pb::DeleteAccountRequest {
            request_id: String::new(),
            name: "accounts/acme".into(),
            etag: acme.etag.clone(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    get_account(&server, "accounts/acme").await;
    accounts
        .delete_account(pb::DeleteAccountRequest {
            request_id: String::new(),
            name: "accounts/acme".into(),
            etag: moved.etag.clone(),
        })
        .await
        .expect("DeleteAccount");
    let e = accounts
        .get_account(pb::GetAccountRequest {
            name: "accounts/acme".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = accounts
        .delete_account(pb::DeleteAccountRequest {
            request_id: String::new(),
            name: "accounts/acme".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn account_calendar_reference_must_exist() {
    // types.proto: "A reference inside a resource body (Account.calendar,
    // Contract.plan) to a resource that does not exist is INVALID_ARGUMENT naming that
    // field"; account_service.proto says the same for CreateAccount.
    let server = TestServer::start().await;
    let e = create_account(
        &server,
        "acme",
        pb::Account {
            time_zone: "Europe/Berlin".into(),
            calendar: "calendars/nope".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "account.calendar");
    let e = create_account(
        &server,
        "acme",
        pb::Account {
            time_zone: "Europe/Berlin".into(),
            calendar: "nope".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "account.calendar");

    let acme = new_account(&server, "acme").await;
    let e = server
        .accounts()
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                calendar: "calendars/nope".into(),
                ..Default::default()
            }),
            update_mask: mask(&["calendar"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "account.calendar");
    assert_eq!(get_account(&server, "accounts/acme").await, acme);

    // With an existing calendar it works, and an empty one selects the default again.
    create_calendar(&server, "emea", office_calendar("Europe/Berlin"))
        .await
        .unwrap();
    let on_emea = server
        .accounts()
        .update_account(pb::UpdateAccountRequest {
            request_id: String::new(),
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                calendar: "calendars/emea".into(),
                ..Default::default()
            }),
            update_mask: mask(&["calendar"]),
        })
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(on_emea.calendar, "calendars/emea");
    let globex = create_account(
        &server,
        "globex",
        pb::Account {
            time_zone: "America/New_York".into(),
            calendar: "calendars/emea".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(globex.calendar, "calendars/emea");
    server.stop().await;
}

#[tokio::test]
async fn list_accounts_pages_through_120_accounts() {
    let server = TestServer::start().await;
    // Created out of order: the list is ordered by resource name regardless.
    let mut ids: Vec<String> = (0..120).map(|i| format!("acct-{i:03}")).collect();
    ids.reverse();
    ids.rotate_left(37);
    for id in &ids {
        new_account(&server, id).await;
    }
    let mut accounts = server.accounts();
    let mut seen: Vec<String> = Vec::new();
    let mut sizes = Vec::new();
    let mut token = String::new();
    loop {
        let page = accounts
            .list_accounts(pb::ListAccountsRequest {
                page_size: 0,
                page_token: token.clone(),
            })
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

    let all = accounts
        .list_accounts(pb::ListAccountsRequest {
            page_size: 1001,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.accounts.len(), 120);
    assert_eq!(all.next_page_token, "");

    let e = accounts
        .list_accounts(pb::ListAccountsRequest {
            page_size: 10,
            page_token: "not-a-token".into(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_token");
    let e = accounts
        .list_accounts(pb::ListAccountsRequest {
            page_size: -5,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_size");
    server.stop().await;
}

#[tokio::test]
async fn delete_account_is_refused_while_a_contract_is_active_or_suspended() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let c = new_contract(
        &server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let mut accounts = server.accounts();
    let e = accounts
        .delete_account(pb::DeleteAccountRequest {
            request_id: String::new(),
            name: "accounts/acme".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_precondition(&e, &c.name);

    let suspended = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            state: pb::ContractState::Suspended.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap();
    assert_eq!(suspended.state, i32::from(pb::ContractState::Suspended));
    let e = accounts
        .delete_account(pb::DeleteAccountRequest {
            request_id: String::new(),
            name: "accounts/acme".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_precondition(&e, &c.name);
    get_account(&server, "accounts/acme").await;
    get_contract(&server, &c.name).await;
    server.stop().await;
}

#[tokio::test]
async fn delete_account_removes_its_terminated_contracts() {
    // account_service.proto: DeleteAccount "Deletes an account together with its
    // terminated contracts, their revisions and their recorded obligation completions.
    // FAILED_PRECONDITION if the account has a contract in state ACTIVE or SUSPENDED".
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let c = new_contract(
        &server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    terminate(&server, &c.name, Some("2026-06-01T00:00:00Z"), "")
        .await
        .unwrap();
    server
        .accounts()
        .delete_account(pb::DeleteAccountRequest {
            request_id: String::new(),
            name: "accounts/acme".into(),
            etag: String::new(),
        })
        .await
        .expect("an account with only terminated contracts can be deleted");
    let e = server
        .contracts()
        .get_contract(pb::GetContractRequest {
            name: c.name.clone(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);

    // A new account with the same ID starts without the old contracts.
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
