//! ContractService: the revision log of a contract.

use crate::helpers::*;

// ---- Arrangement ----

const ACME: &str = "accounts/acme/contracts/2026";

/// acme's standard contract from 2026 through five mutations: created, an added
/// benefit, a contact added and removed, terminated on 2026-09-01. Returns the contract
/// after each.
async fn five_mutations(server: &TestServer) -> [pb::Contract; 5] {
    new_account(server, "acme").await;
    let created = new_contract(
        server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    let upgrade = pb::Contract {
        name: ACME.into(),
        overrides: Some(pb::ContractOverrides {
            added_benefits: vec!["upgrade_support".into()],
            ..Default::default()
        }),
        ..Default::default()
    };
    let updated = update_contract(server, upgrade, &["overrides.added_benefits"])
        .await
        .unwrap();
    let added = add_contact(server, ACME, "ops@example.com").await.unwrap();
    let removed = remove_contact(server, ACME, "ops@example.com")
        .await
        .unwrap();
    let terminated = terminate(server, ACME, Some("2026-09-01T00:00:00Z"), "")
        .await
        .unwrap();
    [created, updated, added, removed, terminated]
}

fn list_request(name: &str, page_size: i32, page_token: &str) -> pb::ListContractRevisionsRequest {
    pb::ListContractRevisionsRequest {
        name: name.into(),
        page_size,
        page_token: page_token.into(),
    }
}

/// Every revision of acme's contract, in pages of two: (the versions of each page, the
/// revisions).
async fn revisions_in_pages_of_two(
    server: &TestServer,
) -> (Vec<Vec<i64>>, Vec<pb::ContractRevision>) {
    let mut contracts = server.contracts();
    let mut revisions = Vec::new();
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = contracts
            .list_contract_revisions(list_request(ACME, 2, &token))
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
    (pages, revisions)
}

/// Every revision of acme's contract after [`five_mutations`].
async fn five_revisions(server: &TestServer) -> Vec<pb::ContractRevision> {
    five_mutations(server).await;
    revisions_in_pages_of_two(server).await.1
}

// ---- ListContractRevisions ----

#[tokio::test]
async fn every_mutation_is_a_revision_paged_in_version_order() {
    let server = TestServer::start().await;
    let [.., terminated] = five_mutations(&server).await;
    assert_eq!(terminated.version, 5);
    let (pages, revisions) = revisions_in_pages_of_two(&server).await;
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
    server.stop().await;
}

#[tokio::test]
async fn each_revision_holds_the_contract_before_and_after_its_mutation() {
    let server = TestServer::start().await;
    let states = five_mutations(&server).await;
    let (_, revisions) = revisions_in_pages_of_two(&server).await;
    for (i, rev) in revisions.iter().enumerate() {
        let version = i as i64 + 1;
        assert_eq!(rev.version, version);
        // No authentication is configured: every caller is "anonymous" (types.proto).
        assert_eq!(rev.principal, "anonymous", "revision {version}");
        assert!(rev.create_time.is_some());
        let after = rev.after.as_ref().expect("after");
        assert_eq!(after.version, version);
        assert_eq!(after.name, ACME);
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
    server.stop().await;
}

#[tokio::test]
async fn the_update_revision_holds_the_overrides_before_the_added_benefit() {
    let server = TestServer::start().await;
    let revisions = five_revisions(&server).await;
    assert!(
        revisions[1]
            .before
            .as_ref()
            .unwrap()
            .overrides
            .as_ref()
            .is_none_or(|o| o.added_benefits.is_empty())
    );
    server.stop().await;
}

#[tokio::test]
async fn contact_revisions_hold_the_contact_after_its_add_and_before_its_removal() {
    let server = TestServer::start().await;
    let revisions = five_revisions(&server).await;
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
    server.stop().await;
}

#[tokio::test]
async fn the_terminate_revision_holds_the_terminated_contract() {
    let server = TestServer::start().await;
    let revisions = five_revisions(&server).await;
    let last = revisions[4].after.as_ref().unwrap();
    assert_eq!(last.state, i32::from(pb::ContractState::Terminated));
    assert_eq!(last.terminate_time, Some(ts("2026-09-01T00:00:00Z")));
    server.stop().await;
}

#[tokio::test]
async fn the_default_page_size_returns_all_revisions_at_once() {
    let server = TestServer::start().await;
    let revisions = five_revisions(&server).await;
    let all = server
        .contracts()
        .list_contract_revisions(list_request(ACME, 0, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.revisions, revisions);
    assert_eq!(all.next_page_token, "");
    server.stop().await;
}

#[tokio::test]
async fn revisions_of_an_unknown_contract_are_not_found() {
    let server = TestServer::start().await;
    five_mutations(&server).await;
    let e = server
        .contracts()
        .list_contract_revisions(list_request("accounts/acme/contracts/nope", 0, ""))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn bad_revision_list_requests_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    five_mutations(&server).await;
    for (request, field) in [
        (list_request(ACME, -2, ""), "page_size"),
        (list_request(ACME, 2, "bogus"), "page_token"),
        (list_request("accounts/acme", 0, ""), "name"),
    ] {
        let e = server
            .contracts()
            .list_contract_revisions(request)
            .await
            .unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}
