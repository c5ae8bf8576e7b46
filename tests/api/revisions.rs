//! ContractService: the revision log of a contract.

use crate::helpers::*;

#[tokio::test]
async fn contract_revisions_record_every_mutation() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let created = new_contract(
        &server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let updated = update_contract(
        &server,
        pb::Contract {
            name: created.name.clone(),
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["upgrade_support".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
        &["overrides.added_benefits"],
    )
    .await
    .unwrap();
    let added = add_contact(&server, &created.name, "ops@example.com")
        .await
        .unwrap();
    let removed = remove_contact(&server, &created.name, "ops@example.com")
        .await
        .unwrap();
    let terminated = terminate(&server, &created.name, Some("2026-09-01T00:00:00Z"), "")
        .await
        .unwrap();
    assert_eq!(terminated.version, 5);
    let states = [&created, &updated, &added, &removed, &terminated];

    let mut contracts = server.contracts();
    let mut revisions = Vec::new();
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = contracts
            .list_contract_revisions(pb::ListContractRevisionsRequest {
                name: created.name.clone(),
                page_size: 2,
                page_token: token.clone(),
            })
            .await
            .expect("ListContractRevisions")
            .into_inner();
        pages.push(page.revisions.iter().map(|r| r.version).collect::<Vec<_>>());
        revisions.extend(page.revisions);
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
        assert!(pages.len() < 10, "pagination does not terminate");
    }
    assert_eq!(pages, [vec![1, 2], vec![3, 4], vec![5]]);
    let actions: Vec<&str> = revisions.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create",
            "update",
            "add_designated_contact",
            "remove_designated_contact",
            "terminate"
        ]
    );
    for (i, rev) in revisions.iter().enumerate() {
        let version = i as i64 + 1;
        assert_eq!(rev.version, version);
        // No authentication is configured: every caller is "anonymous" (types.proto).
        assert_eq!(rev.principal, "anonymous", "revision {version}");
        assert!(rev.create_time.is_some());
        let after = rev.after.as_ref().expect("after");
        assert_eq!(after.version, version);
        assert_eq!(after.name, created.name);
        assert_eq!(after.state, states[i].state);
        assert_eq!(after.overrides, states[i].overrides);
        assert_eq!(
            after.designated_contacts.len(),
            states[i].designated_contacts.len()
        );
        match &rev.before {
            None => assert_eq!(i, 0, "only the create has no before"),
            Some(before) => {
                assert_eq!(before.version, version - 1);
                assert_eq!(before.overrides, states[i - 1].overrides);
            }
        }
    }
    assert!(
        revisions[1]
            .before
            .as_ref()
            .unwrap()
            .overrides
            .as_ref()
            .is_none_or(|o| o.added_benefits.is_empty())
    );
    assert_eq!(
        emails(revisions[2].after.as_ref().unwrap()),
        ["ops@example.com"]
    );
    assert_eq!(
        emails(revisions[3].before.as_ref().unwrap()),
        ["ops@example.com"]
    );
    assert!(
        revisions[3]
            .after
            .as_ref()
            .unwrap()
            .designated_contacts
            .is_empty()
    );
    let last = revisions[4].after.as_ref().unwrap();
    assert_eq!(last.state, i32::from(pb::ContractState::Terminated));
    assert_eq!(last.terminate_time, Some(ts("2026-09-01T00:00:00Z")));

    // Default page size returns all at once.
    let all = contracts
        .list_contract_revisions(pb::ListContractRevisionsRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.revisions, revisions);
    assert_eq!(all.next_page_token, "");

    // Errors.
    let e = contracts
        .list_contract_revisions(pb::ListContractRevisionsRequest {
            name: "accounts/acme/contracts/nope".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = contracts
        .list_contract_revisions(pb::ListContractRevisionsRequest {
            name: created.name.clone(),
            page_size: -2,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_size");
    let e = contracts
        .list_contract_revisions(pb::ListContractRevisionsRequest {
            name: created.name.clone(),
            page_size: 2,
            page_token: "bogus".into(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_token");
    let e = contracts
        .list_contract_revisions(pb::ListContractRevisionsRequest {
            name: "accounts/acme".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "name");
    server.stop().await;
}
