//! ContractService: creating, reading and listing contracts.

use crate::helpers::*;

// ---- ContractService ----

#[tokio::test]
async fn contract_create_get_and_validation() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;

    let c = create_contract(
        &server,
        "acme",
        "2026",
        pb::Contract {
            name: "accounts/x/contracts/ignored".into(),
            plan: "plans/premium".into(),
            start_time: Some(ts("2026-01-01T00:00:00Z")),
            end_time: Some(ts("2027-01-01T00:00:00Z")),
            version: 42,
            designated_contacts: vec![pb::DesignatedContact {
                email: "ignored@example.com".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
    )
    .await
    .expect("CreateContract");
    assert_eq!(c.name, "accounts/acme/contracts/2026");
    assert_eq!(c.plan, "plans/premium");
    assert_eq!(c.start_time, Some(ts("2026-01-01T00:00:00Z")));
    assert_eq!(c.end_time, Some(ts("2027-01-01T00:00:00Z")));
    assert_eq!(c.state, i32::from(pb::ContractState::Active));
    assert_eq!(c.terminate_time, None);
    assert_eq!(c.version, 1);
    assert!(c.designated_contacts.is_empty(), "output only");
    assert!(!c.etag.is_empty());
    assert!(c.create_time.is_some());
    assert_eq!(c.create_time, c.update_time);
    assert_eq!(get_contract(&server, &c.name).await, c);

    // Created suspended on request; fractions of a second are truncated.
    new_account(&server, "globex").await;
    let s = create_contract(
        &server,
        "globex",
        "g-1",
        pb::Contract {
            state: pb::ContractState::Suspended.into(),
            start_time: Some(prost_types::Timestamp {
                seconds: ts("2026-01-01T00:00:00Z").seconds,
                nanos: 999_000_000,
            }),
            ..contract_body("plans/standard", "2026-01-01T00:00:00Z", None)
        },
    )
    .await
    .unwrap();
    assert_eq!(s.state, i32::from(pb::ContractState::Suspended));
    assert_eq!(s.start_time, Some(ts("2026-01-01T00:00:00Z")));
    assert_eq!(s.end_time, None, "open ended");

    // Errors.
    let body = || contract_body("plans/standard", "2030-01-01T00:00:00Z", None);
    let e = create_contract(&server, "nobody", "2030", body())
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = create_contract(
        &server,
        "acme",
        "2026",
        contract_body("plans/standard", "2040-01-01T00:00:00Z", None),
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    for bad_id in ["", "Y2030", "y_2030", "2030-"] {
        let e = create_contract(&server, "acme", bad_id, body())
            .await
            .unwrap_err();
        assert_invalid_field(&e, "contract_id");
    }
    let e = server
        .contracts()
        .create_contract(pb::CreateContractRequest {
            request_id: String::new(),
            parent: "acme".into(),
            contract_id: "2030".into(),
            contract: Some(body()),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "parent");
    let e = server
        .contracts()
        .create_contract(pb::CreateContractRequest {
            request_id: String::new(),
            parent: "accounts/acme".into(),
            contract_id: "2030".into(),
            contract: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contract");
    let e = create_contract(
        &server,
        "acme",
        "2030",
        pb::Contract {
            start_time: None,
            ..body()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "contract.start_time");
    let e = create_contract(
        &server,
        "acme",
        "2030",
        pb::Contract {
            plan: String::new(),
            ..body()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "contract.plan");
    let e = create_contract(
        &server,
        "acme",
        "2030",
        contract_body(
            "plans/standard",
            "2030-01-01T00:00:00Z",
            Some("2029-01-01T00:00:00Z"),
        ),
    )
    .await
    .unwrap_err();
    assert_invalid_field_under(&e, "contract");
    let e = create_contract(
        &server,
        "acme",
        "2030",
        pb::Contract {
            state: pb::ContractState::Terminated.into(),
            ..body()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "contract.state");
    let e = create_contract(
        &server,
        "acme",
        "2030",
        pb::Contract {
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["free_lunch".into()],
                ..Default::default()
            }),
            ..body()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field_under(&e, "contract.overrides.added_benefits");
    let e = create_contract(
        &server,
        "acme",
        "2030",
        pb::Contract {
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["upgrade_support".into()],
                removed_benefits: vec!["upgrade_support".into()],
                ..Default::default()
            }),
            ..body()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field_under(&e, "contract.overrides");
    let e = create_contract(
        &server,
        "acme",
        "2030",
        pb::Contract {
            overrides: Some(pb::ContractOverrides {
                extra_designated_contacts: -1,
                ..Default::default()
            }),
            ..body()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "contract.overrides.extra_designated_contacts");

    // GetContract errors.
    let mut contracts = server.contracts();
    let e = contracts
        .get_contract(pb::GetContractRequest {
            name: "accounts/acme/contracts/2030".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    for bad in [
        "",
        "accounts/acme",
        "accounts/acme/contracts/",
        "contracts/2026",
    ] {
        let e = contracts
            .get_contract(pb::GetContractRequest { name: bad.into() })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "name");
    }
    server.stop().await;
}

#[tokio::test]
async fn contract_plan_reference_must_exist() {
    // types.proto: a Contract.plan naming a plan that does not exist is
    // INVALID_ARGUMENT naming `contract.plan` (not NOT_FOUND).
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let e = create_contract(
        &server,
        "acme",
        "2026",
        contract_body("plans/platinum", "2026-01-01T00:00:00Z", None),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "contract.plan");

    let c = new_contract(
        &server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let e = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            plan: "plans/platinum".into(),
            ..Default::default()
        },
        &["plan"],
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "contract.plan");
    assert_eq!(get_contract(&server, &c.name).await, c);
    server.stop().await;
}

#[tokio::test]
async fn list_contracts_orders_by_start_time_then_name() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    new_account(&server, "other").await;
    // IDs deliberately sort the other way round than the start times.
    new_contract(
        &server,
        "acme",
        "a-2026",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    new_contract(
        &server,
        "acme",
        "m-2025",
        "plans/extended",
        "2025-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;
    new_contract(
        &server,
        "acme",
        "z-2024",
        "plans/standard",
        "2024-01-01T00:00:00Z",
        Some("2025-01-01T00:00:00Z"),
    )
    .await;
    new_contract(
        &server,
        "other",
        "x",
        "plans/standard",
        "2020-01-01T00:00:00Z",
        None,
    )
    .await;

    let mut contracts = server.contracts();
    let all = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/acme".into(),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = all.contracts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "accounts/acme/contracts/z-2024",
            "accounts/acme/contracts/m-2025",
            "accounts/acme/contracts/a-2026"
        ]
    );
    assert_eq!(all.next_page_token, "");

    // Same start time: by name.
    new_account(&server, "twins").await;
    for id in ["twin-b", "twin-a"] {
        let c = new_contract(
            &server,
            "twins",
            id,
            "plans/standard",
            "2026-01-01T00:00:00Z",
            None,
        )
        .await;
        // Suspended contracts keep their period, so only one can exist at a time.
        terminate(&server, &c.name, Some("2026-01-01T00:00:00Z"), "")
            .await
            .unwrap();
    }
    let twins = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/twins".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = twins.contracts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "accounts/twins/contracts/twin-a",
            "accounts/twins/contracts/twin-b"
        ]
    );

    // Pages of two.
    let first = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/acme".into(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    let second = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/acme".into(),
            page_size: 2,
            page_token: first.next_page_token.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.next_page_token, "");
    let paged: Vec<String> = first
        .contracts
        .iter()
        .chain(&second.contracts)
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(paged, names_of(&all.contracts));

    // Errors.
    let e = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/nobody".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/acme".into(),
            page_size: -1,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_size");
    let e = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/acme".into(),
            page_size: 2,
            page_token: "bogus".into(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_token");
    let e = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "acme".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "parent");
    server.stop().await;
}

fn names_of(list: &[pb::Contract]) -> Vec<String> {
    list.iter().map(|c| c.name.clone()).collect()
}

#[tokio::test]
async fn list_page_token_is_bound_to_the_parent() {
    // types.proto: with a page_token "the other request fields must equal those of
    // that call, otherwise INVALID_ARGUMENT".
    let server = TestServer::start().await;
    for account in ["acme", "globex"] {
        new_account(&server, account).await;
        for (id, start, end) in [
            (
                "y2024",
                "2024-01-01T00:00:00Z",
                Some("2025-01-01T00:00:00Z"),
            ),
            (
                "y2025",
                "2025-01-01T00:00:00Z",
                Some("2026-01-01T00:00:00Z"),
            ),
            ("y2026", "2026-01-01T00:00:00Z", None),
        ] {
            new_contract(&server, account, id, "plans/standard", start, end).await;
        }
    }
    let mut contracts = server.contracts();
    let first = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/acme".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    let e = contracts
        .list_contracts(pb::ListContractsRequest {
            parent: "accounts/globex".into(),
            page_size: 1,
            page_token: first.next_page_token,
        })
        .await
        .unwrap_err();
    assert_invalid_field_under(&e, "page_token");
    server.stop().await;
}
