//! ContractService: creating, reading and listing contracts.

use crate::helpers::*;

// ---- CreateContract and GetContract ----

/// acme's premium contract for 2026, created with fields the server must ignore.
async fn create_acme_2026(server: &TestServer) -> pb::Contract {
    new_account(server, "acme").await;
    create_contract(
        server,
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
    .expect("CreateContract")
}

/// A valid standard contract from 2030 on.
fn body_2030() -> pb::Contract {
    contract_body("plans/standard", "2030-01-01T00:00:00Z", None)
}

fn overriding(overrides: pb::ContractOverrides) -> pb::Contract {
    pb::Contract {
        overrides: Some(overrides),
        ..body_2030()
    }
}

#[tokio::test]
async fn a_created_contract_is_active_at_version_one_and_read_back_unchanged() {
    let server = TestServer::start().await;
    let c = create_acme_2026(&server).await;
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
    server.stop().await;
}

#[tokio::test]
async fn a_contract_is_created_suspended_on_request_with_seconds_truncated() {
    // Fractions of a second are truncated.
    let server = TestServer::start().await;
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
    server.stop().await;
}

#[tokio::test]
async fn a_contract_for_an_unknown_account_is_not_found() {
    let server = TestServer::start().await;
    let e = create_contract(&server, "nobody", "2030", body_2030())
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn creating_a_taken_contract_id_is_already_exists() {
    let server = TestServer::start().await;
    create_acme_2026(&server).await;
    let later = contract_body("plans/standard", "2040-01-01T00:00:00Z", None);
    let e = create_contract(&server, "acme", "2026", later)
        .await
        .unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    server.stop().await;
}

#[tokio::test]
async fn bad_contracts_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    create_acme_2026(&server).await;
    let acme = |c: pb::Contract| contract_request("acme", "2030", c);
    let mut exact = vec![
        (
            pb::CreateContractRequest {
                parent: "acme".into(),
                ..acme(body_2030())
            },
            "parent",
        ),
        (
            pb::CreateContractRequest {
                contract: None,
                ..acme(body_2030())
            },
            "contract",
        ),
        (
            acme(pb::Contract {
                start_time: None,
                ..body_2030()
            }),
            "contract.start_time",
        ),
        (
            acme(pb::Contract {
                plan: String::new(),
                ..body_2030()
            }),
            "contract.plan",
        ),
        (
            acme(pb::Contract {
                state: pb::ContractState::Terminated.into(),
                ..body_2030()
            }),
            "contract.state",
        ),
        (
            acme(overriding(pb::ContractOverrides {
                extra_designated_contacts: -1,
                ..Default::default()
            })),
            "contract.overrides.extra_designated_contacts",
        ),
    ];
    for bad_id in ["", "Y2030", "y_2030", "2030-"] {
        exact.push((contract_request("acme", bad_id, body_2030()), "contract_id"));
    }
    for (request, field) in exact {
        let e = server
            .contracts()
            .create_contract(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    let under = [
        (
            acme(contract_body(
                "plans/standard",
                "2030-01-01T00:00:00Z",
                Some("2029-01-01T00:00:00Z"),
            )),
            "contract",
        ),
        (
            acme(overriding(pb::ContractOverrides {
                added_benefits: vec!["free_lunch".into()],
                ..Default::default()
            })),
            "contract.overrides.added_benefits",
        ),
        (
            acme(overriding(pb::ContractOverrides {
                added_benefits: vec!["upgrade_support".into()],
                removed_benefits: vec!["upgrade_support".into()],
                ..Default::default()
            })),
            "contract.overrides",
        ),
    ];
    for (request, prefix) in under {
        let e = server
            .contracts()
            .create_contract(request)
            .await
            .unwrap_err();
        assert_invalid_field_under(&e, prefix);
    }
    server.stop().await;
}

#[tokio::test]
async fn getting_an_unknown_contract_is_not_found() {
    let server = TestServer::start().await;
    create_acme_2026(&server).await;
    let e = server
        .contracts()
        .get_contract(pb::GetContractRequest {
            name: "accounts/acme/contracts/2030".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn malformed_contract_names_are_refused_naming_the_name() {
    let server = TestServer::start().await;
    create_acme_2026(&server).await;
    for bad in [
        "",
        "accounts/acme",
        "accounts/acme/contracts/",
        "contracts/2026",
    ] {
        let e = server
            .contracts()
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

// ---- ListContracts ----

/// accounts/acme with three contracts whose IDs sort the other way round than their
/// start times (2024, 2025, 2026), and accounts/other with one from 2020.
async fn acme_with_three_years(server: &TestServer) {
    new_account(server, "acme").await;
    new_account(server, "other").await;
    for (id, plan, start, end) in [
        ("a-2026", "plans/premium", "2026-01-01T00:00:00Z", None),
        (
            "m-2025",
            "plans/extended",
            "2025-01-01T00:00:00Z",
            Some("2026-01-01T00:00:00Z"),
        ),
        (
            "z-2024",
            "plans/standard",
            "2024-01-01T00:00:00Z",
            Some("2025-01-01T00:00:00Z"),
        ),
    ] {
        new_contract(server, "acme", id, plan, start, end).await;
    }
    new_contract(
        server,
        "other",
        "x",
        "plans/standard",
        "2020-01-01T00:00:00Z",
        None,
    )
    .await;
}

fn list_request(parent: &str, page_size: i32, page_token: &str) -> pb::ListContractsRequest {
    pb::ListContractsRequest {
        parent: parent.into(),
        page_size,
        page_token: page_token.into(),
    }
}

async fn list_contracts(
    server: &TestServer,
    request: pb::ListContractsRequest,
) -> pb::ListContractsResponse {
    server
        .contracts()
        .list_contracts(request)
        .await
        .expect("ListContracts")
        .into_inner()
}

#[tokio::test]
async fn list_contracts_orders_by_start_time() {
    let server = TestServer::start().await;
    acme_with_three_years(&server).await;
    let all = list_contracts(&server, list_request("accounts/acme", 0, "")).await;
    assert_eq!(
        names_of(&all.contracts),
        [
            "accounts/acme/contracts/z-2024",
            "accounts/acme/contracts/m-2025",
            "accounts/acme/contracts/a-2026"
        ]
    );
    assert_eq!(all.next_page_token, "");
    server.stop().await;
}

#[tokio::test]
async fn contracts_with_the_same_start_time_are_listed_by_name() {
    let server = TestServer::start().await;
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
    let twins = list_contracts(&server, list_request("accounts/twins", 0, "")).await;
    assert_eq!(
        names_of(&twins.contracts),
        [
            "accounts/twins/contracts/twin-a",
            "accounts/twins/contracts/twin-b"
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn pages_of_two_list_the_same_contracts_in_the_same_order() {
    let server = TestServer::start().await;
    acme_with_three_years(&server).await;
    let all = list_contracts(&server, list_request("accounts/acme", 0, "")).await;
    let first = list_contracts(&server, list_request("accounts/acme", 2, "")).await;
    assert!(!first.next_page_token.is_empty());
    let second = list_contracts(
        &server,
        list_request("accounts/acme", 2, &first.next_page_token),
    )
    .await;
    assert_eq!(second.next_page_token, "");
    let paged: Vec<String> = first
        .contracts
        .iter()
        .chain(&second.contracts)
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(paged, names_of(&all.contracts));
    server.stop().await;
}

#[tokio::test]
async fn listing_the_contracts_of_an_unknown_account_is_not_found() {
    let server = TestServer::start().await;
    acme_with_three_years(&server).await;
    let e = server
        .contracts()
        .list_contracts(list_request("accounts/nobody", 0, ""))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn bad_list_contracts_requests_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    acme_with_three_years(&server).await;
    for (request, field) in [
        (list_request("accounts/acme", -1, ""), "page_size"),
        (list_request("accounts/acme", 2, "bogus"), "page_token"),
        (list_request("acme", 0, ""), "parent"),
    ] {
        let e = server
            .contracts()
            .list_contracts(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
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
