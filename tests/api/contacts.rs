//! ContractService: designated contacts and their limit, display-name limits.

use crate::helpers::*;

// ---- Arrangement ----

const THREE: [&str; 3] = [
    "first@example.com",
    "  Second@Example.COM ",
    "third@example.com",
];

/// acme's open-ended standard contract from 2026 (three designated contacts allowed).
async fn acme_standard(server: &TestServer) -> pb::Contract {
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

/// [`acme_standard`] with the [`THREE`] contacts: (as created, after the third add).
async fn acme_with_three(server: &TestServer) -> (pb::Contract, pb::Contract) {
    let c = acme_standard(server).await;
    let mut last = c.clone();
    for email in THREE {
        last = add_contact(server, &c.name, email).await.expect("add");
    }
    (c, last)
}

/// [`acme_with_three`], second@ removed and fourth@ added in its place: (as created,
/// after the add).
async fn acme_with_fourth_instead_of_second(server: &TestServer) -> (pb::Contract, pb::Contract) {
    let (c, _) = acme_with_three(server).await;
    remove_contact(server, &c.name, "second@example.com")
        .await
        .unwrap();
    let again = add_contact(server, &c.name, "fourth@example.com")
        .await
        .unwrap();
    (c, again)
}

/// An update of `contract`'s extra_designated_contacts override.
async fn set_extra_contacts(server: &TestServer, contract: &str, extra: i32) -> pb::Contract {
    update_contract(
        server,
        pb::Contract {
            name: contract.into(),
            overrides: Some(pb::ContractOverrides {
                extra_designated_contacts: extra,
                ..Default::default()
            }),
            ..Default::default()
        },
        &["overrides.extra_designated_contacts"],
    )
    .await
    .unwrap()
}

fn add_request(contract: &str, email: &str) -> pb::AddDesignatedContactRequest {
    pb::AddDesignatedContactRequest {
        request_id: String::new(),
        contract: contract.into(),
        contact: Some(pb::DesignatedContact {
            email: email.into(),
            display_name: format!("Contact {email}"),
            add_time: None,
        }),
    }
}

// ---- AddDesignatedContact ----

#[tokio::test]
async fn added_contacts_are_trimmed_lowered_stamped_and_kept_in_order() {
    // Standard allows three.
    let server = TestServer::start().await;
    let c = acme_standard(&server).await;
    let mut last = c.clone();
    for (i, email) in THREE.into_iter().enumerate() {
        last = add_contact(&server, &c.name, email).await.expect("add");
        assert_eq!(last.version, i as i64 + 2);
        let added = last.designated_contacts.last().unwrap();
        assert_eq!(added.email, email.trim().to_lowercase(), "trimmed, lowered");
        assert_eq!(added.display_name, format!("Contact {email}"));
        assert!(added.add_time.is_some(), "set by the server");
    }
    assert_eq!(
        emails(&last),
        [
            "first@example.com",
            "second@example.com",
            "third@example.com"
        ],
        "in the order added"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_contact_over_the_plans_limit_is_refused_and_nothing_is_written() {
    let server = TestServer::start().await;
    let (c, last) = acme_with_three(&server).await;
    let e = add_contact(&server, &c.name, "fourth@example.com")
        .await
        .unwrap_err();
    assert_quota(&e, &c.name);
    assert_eq!(get_contract(&server, &c.name).await, last, "unchanged");
    server.stop().await;
}

#[tokio::test]
async fn a_duplicate_contact_in_any_case_is_already_exists() {
    let server = TestServer::start().await;
    let (c, _) = acme_with_three(&server).await;
    let e = add_contact(&server, &c.name, "FIRST@example.com")
        .await
        .unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    server.stop().await;
}

#[tokio::test]
async fn bad_contacts_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let (c, _) = acme_with_three(&server).await;
    let mut table: Vec<_> = [
        "not-an-email",
        "a@@example.com",
        "@example.com",
        "a@",
        "   ",
    ]
    .into_iter()
    .map(|bad| (add_request(&c.name, bad), "contact.email"))
    .collect();
    table.push((
        pb::AddDesignatedContactRequest {
            request_id: String::new(),
            contract: c.name.clone(),
            contact: None,
        },
        "contact",
    ));
    table.push((add_request("nope", "x@example.com"), "contract"));
    for (request, field) in table {
        let e = server
            .contracts()
            .add_designated_contact(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

#[tokio::test]
async fn adding_a_contact_to_an_unknown_contract_is_not_found() {
    let server = TestServer::start().await;
    acme_with_three(&server).await;
    let e = add_contact(&server, "accounts/acme/contracts/nope", "x@example.com")
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn only_designated_contacts_may_use_a_benefit_when_a_contact_is_given() {
    let server = TestServer::start().await;
    acme_with_three(&server).await;
    let at = "2026-03-02T10:00:00Z";
    let r = check(
        &server,
        "acme",
        "online_support",
        at,
        Some("SECOND@example.com"),
    )
    .await;
    assert!(r.allowed, "{r:?}");
    let r = check(
        &server,
        "acme",
        "online_support",
        at,
        Some("fourth@example.com"),
    )
    .await;
    assert!(!r.allowed);
    assert_eq!(
        r.reason,
        i32::from(pb::DecisionReason::ContactNotDesignated)
    );
    server.stop().await;
}

// ---- RemoveDesignatedContact ----

#[tokio::test]
async fn removing_a_contact_is_trimmed_and_case_insensitive() {
    let server = TestServer::start().await;
    let (c, last) = acme_with_three(&server).await;
    let removed = remove_contact(&server, &c.name, " Second@EXAMPLE.com")
        .await
        .expect("RemoveDesignatedContact");
    assert_eq!(removed.version, last.version + 1);
    assert_eq!(emails(&removed), ["first@example.com", "third@example.com"]);
    server.stop().await;
}

#[tokio::test]
async fn removing_an_absent_contact_or_from_an_unknown_contract_is_not_found() {
    let server = TestServer::start().await;
    let (c, _) = acme_with_three(&server).await;
    remove_contact(&server, &c.name, " Second@EXAMPLE.com")
        .await
        .unwrap();
    for (contract, email) in [
        (c.name.as_str(), "second@example.com"),
        (c.name.as_str(), "nobody@example.com"),
        ("accounts/acme/contracts/nope", "a@example.com"),
    ] {
        let e = remove_contact(&server, contract, email).await.unwrap_err();
        assert_status(&e, Code::NotFound);
    }
    server.stop().await;
}

#[tokio::test]
async fn removing_without_an_email_names_the_email() {
    let server = TestServer::start().await;
    let (c, _) = acme_with_three(&server).await;
    let e = remove_contact(&server, &c.name, "").await.unwrap_err();
    assert_invalid_field(&e, "email");
    server.stop().await;
}

#[tokio::test]
async fn a_removed_contacts_slot_is_free_again() {
    let server = TestServer::start().await;
    let (_, again) = acme_with_fourth_instead_of_second(&server).await;
    assert_eq!(
        emails(&again),
        [
            "first@example.com",
            "third@example.com",
            "fourth@example.com"
        ]
    );
    server.stop().await;
}

// ---- The limit and the extra_designated_contacts override ----

#[tokio::test]
async fn extra_designated_contacts_raises_the_limit() {
    let server = TestServer::start().await;
    let (c, again) = acme_with_fourth_instead_of_second(&server).await;
    let raised = set_extra_contacts(&server, &c.name, 2).await;
    assert_eq!(raised.overrides.unwrap().extra_designated_contacts, 2);
    assert_eq!(
        raised.designated_contacts, again.designated_contacts,
        "kept"
    );
    for email in ["five@example.com", "six@example.com"] {
        add_contact(&server, &c.name, email).await.unwrap();
    }
    let e = add_contact(&server, &c.name, "seven@example.com")
        .await
        .unwrap_err();
    assert_quota(&e, &c.name);
    server.stop().await;
}

#[tokio::test]
async fn lowering_the_limit_keeps_the_contacts_but_refuses_further_adds() {
    let server = TestServer::start().await;
    let (c, _) = acme_with_fourth_instead_of_second(&server).await;
    set_extra_contacts(&server, &c.name, 2).await;
    for email in ["five@example.com", "six@example.com"] {
        add_contact(&server, &c.name, email).await.unwrap();
    }
    let lowered = set_extra_contacts(&server, &c.name, 0).await;
    assert_eq!(lowered.designated_contacts.len(), 5);
    remove_contact(&server, &c.name, "five@example.com")
        .await
        .unwrap();
    let e = add_contact(&server, &c.name, "seven@example.com")
        .await
        .unwrap_err();
    assert_quota(&e, &c.name);
    server.stop().await;
}

// ---- concurrency ----

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_adds_never_exceed_the_contact_limit() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let c = new_contract(
        &server,
        "acme",
        "2026",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;

    let start = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let mut client = server.contracts();
            let name = c.name.clone();
            let start = start.clone();
            tokio::spawn(async move {
                let email = format!("user{i:02}@example.com");
                start.wait().await;
                let result = client
                    .add_designated_contact(pb::AddDesignatedContactRequest {
                        request_id: String::new(),
                        contract: name,
                        contact: Some(pb::DesignatedContact {
                            email: email.clone(),
                            ..Default::default()
                        }),
                    })
                    .await;
                (email, result)
            })
        })
        .collect();

    let mut winners = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let (email, result) = task.await.expect("task");
        match result {
            Ok(_) => winners.push(email),
            Err(e) => {
                assert_quota(&e, &c.name);
                refused += 1;
            }
        }
    }
    assert_eq!(winners.len(), 5, "premium allows exactly five contacts");
    assert_eq!(refused, 45);

    let after = get_contract(&server, &c.name).await;
    assert_eq!(after.version, 6, "one version per successful add");
    let mut stored: Vec<String> = emails(&after).into_iter().map(str::to_owned).collect();
    stored.sort();
    winners.sort();
    assert_eq!(stored, winners);
    let revs = server
        .contracts()
        .list_contract_revisions(pb::ListContractRevisionsRequest {
            name: c.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    let versions: Vec<i64> = revs.iter().map(|r| r.version).collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
    server.stop().await;
}

// ---- Display-name limits ----
//
// types.proto: Plan, Calendar, Account and DesignatedContact display names are
// "Optional, at most 200 characters"; anything else malformed is INVALID_ARGUMENT
// naming the field.

fn display_name_of_200() -> String {
    "é".repeat(200)
}

fn display_name_of_201() -> String {
    "x".repeat(201)
}

#[tokio::test]
async fn plan_display_names_longer_than_200_characters_are_refused() {
    let server = TestServer::start().await;
    let plan = |display_name: &str| pb::Plan {
        display_name: display_name.into(),
        ..Default::default()
    };
    create_plan(&server, "p200", plan(&display_name_of_200()))
        .await
        .unwrap();
    let e = create_plan(&server, "p201", plan(&display_name_of_201()))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan.display_name");
    server.stop().await;
}

#[tokio::test]
async fn calendar_display_names_longer_than_200_characters_are_refused() {
    let server = TestServer::start().await;
    let calendar = |display_name: &str| pb::Calendar {
        display_name: display_name.into(),
        ..office_calendar("UTC")
    };
    create_calendar(&server, "ok", calendar(&display_name_of_200()))
        .await
        .unwrap();
    let e = create_calendar(&server, "long", calendar(&display_name_of_201()))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.display_name");
    server.stop().await;
}

fn utc_account(display_name: &str) -> pb::Account {
    pb::Account {
        display_name: display_name.into(),
        time_zone: "UTC".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn account_display_names_longer_than_200_characters_are_refused() {
    let server = TestServer::start().await;
    create_account(&server, "ok", utc_account(&display_name_of_200()))
        .await
        .unwrap();
    let e = create_account(&server, "long", utc_account(&display_name_of_201()))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "account.display_name");
    server.stop().await;
}

#[tokio::test]
async fn contact_display_names_longer_than_200_characters_are_refused() {
    let server = TestServer::start().await;
    create_account(&server, "ok", utc_account(&display_name_of_200()))
        .await
        .unwrap();
    let c = new_contract(
        &server,
        "ok",
        "2026",
        "plans/premium",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let e = server
        .contracts()
        .add_designated_contact(pb::AddDesignatedContactRequest {
            request_id: String::new(),
            contract: c.name.clone(),
            contact: Some(pb::DesignatedContact {
                email: "long@example.com".into(),
                display_name: display_name_of_201(),
                add_time: None,
            }),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contact.display_name");
    server.stop().await;
}
