//! ContractService: designated contacts and their limit, display-name limits.

use crate::helpers::*;

#[tokio::test]
async fn designated_contacts_respect_the_limit() {
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

    // Standard allows three.
    let mut last = c.clone();
    for (i, email) in [
        "first@example.com",
        "  Second@Example.COM ",
        "third@example.com",
    ]
    .into_iter()
    .enumerate()
    {
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
    let e = add_contact(&server, &c.name, "fourth@example.com")
        .await
        .unwrap_err();
    assert_quota(&e, &c.name);
    assert_eq!(get_contract(&server, &c.name).await, last, "unchanged");

    // Duplicates (any case) are ALREADY_EXISTS, malformed e-mails INVALID_ARGUMENT.
    let e = add_contact(&server, &c.name, "FIRST@example.com")
        .await
        .unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    for bad in ["not-an-email", "a@@example.com", "@example.com", "a@"] {
        let e = add_contact(&server, &c.name, bad).await.unwrap_err();
        assert_invalid_field(&e, "contact.email");
    }
    let e = add_contact(&server, &c.name, "   ").await.unwrap_err();
    assert_invalid_field(&e, "contact.email");
    let e = server
        .contracts()
        .add_designated_contact(pb::AddDesignatedContactRequest {
            request_id: String::new(),
            contract: c.name.clone(),
            contact: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contact");
    let e = add_contact(&server, "accounts/acme/contracts/nope", "x@example.com")
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = add_contact(&server, "nope", "x@example.com")
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contract");

    // Only designated contacts may use a benefit when a contact is given.
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

    // Remove (trimmed, case-insensitive), then the slot is free again.
    let removed = remove_contact(&server, &c.name, " Second@EXAMPLE.com")
        .await
        .expect("RemoveDesignatedContact");
    assert_eq!(removed.version, last.version + 1);
    assert_eq!(emails(&removed), ["first@example.com", "third@example.com"]);
    let e = remove_contact(&server, &c.name, "second@example.com")
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = remove_contact(&server, &c.name, "nobody@example.com")
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = remove_contact(&server, &c.name, "").await.unwrap_err();
    assert_invalid_field(&e, "email");
    let e = remove_contact(&server, "accounts/acme/contracts/nope", "a@example.com")
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let again = add_contact(&server, &c.name, "fourth@example.com")
        .await
        .unwrap();
    assert_eq!(
        emails(&again),
        [
            "first@example.com",
            "third@example.com",
            "fourth@example.com"
        ]
    );

    // extra_designated_contacts raises the limit.
    let raised = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            overrides: Some(pb::ContractOverrides {
                extra_designated_contacts: 2,
                ..Default::default()
            }),
            ..Default::default()
        },
        &["overrides.extra_designated_contacts"],
    )
    .await
    .unwrap();
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

    // Lowering the limit keeps the existing contacts but refuses further adds.
    let lowered = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            overrides: Some(pb::ContractOverrides::default()),
            ..Default::default()
        },
        &["overrides.extra_designated_contacts"],
    )
    .await
    .unwrap();
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

#[tokio::test]
async fn display_names_longer_than_200_characters_are_refused() {
    // types.proto: Plan, Calendar, Account and DesignatedContact display names are
    // "Optional, at most 200 characters"; anything else malformed is INVALID_ARGUMENT
    // naming the field.
    let server = TestServer::start().await;
    let ok = "é".repeat(200);
    let long = "x".repeat(201);

    let plan = |display_name: &str| pb::CreatePlanRequest {
        request_id: String::new(),
        plan_id: format!("p{}", display_name.chars().count()),
        plan: Some(pb::Plan {
            display_name: display_name.into(),
            ..Default::default()
        }),
    };
    server.catalog().create_plan(plan(&ok)).await.unwrap();
    let e = server.catalog().create_plan(plan(&long)).await.unwrap_err();
    assert_invalid_field(&e, "plan.display_name");

    let calendar = |display_name: &str| pb::Calendar {
        display_name: display_name.into(),
        ..office_calendar("UTC")
    };
    create_calendar(&server, "ok", calendar(&ok)).await.unwrap();
    let e = create_calendar(&server, "long", calendar(&long))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.display_name");

    let account = |display_name: &str| pb::Account {
        display_name: display_name.into(),
        time_zone: "UTC".into(),
        ..Default::default()
    };
    create_account(&server, "ok", account(&ok)).await.unwrap();
    let e = create_account(&server, "long", account(&long))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "account.display_name");

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
                display_name: long.clone(),
                add_time: None,
            }),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contact.display_name");
    server.stop().await;
}
