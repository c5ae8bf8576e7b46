//! CatalogService.UpdatePlan: masks, etags, read-only built-ins, and plan changes reaching
//! the contracts on the plan.

use crate::helpers::*;

// ---- Arrangement ----

fn silver_named(plan: pb::Plan) -> pb::Plan {
    pb::Plan {
        name: "plans/silver".into(),
        ..plan
    }
}

/// plans/silver as created, and after a masked update of display name and contact limit
/// (to "Silver Plus" and 3) whose request carries other values too.
async fn silver_plus(server: &TestServer) -> (pb::Plan, pb::Plan) {
    let silver = pb::Plan {
        display_name: "Silver".into(),
        benefits: vec!["online_support".into()],
        designated_contact_limit: 2,
        ..Default::default()
    };
    let silver = create_plan(server, "silver", silver).await.unwrap();
    let plus = silver_named(pb::Plan {
        display_name: "Silver Plus".into(),
        benefits: vec!["phone_support".into()],
        designated_contact_limit: 3,
        etag: silver.etag.clone(),
        ..Default::default()
    });
    let updated = update_plan(
        server,
        plus,
        Some(&["display_name", "designated_contact_limit"]),
    )
    .await
    .expect("UpdatePlan");
    (silver, updated)
}

// ---- UpdatePlan ----

#[tokio::test]
async fn update_plan_changes_only_the_masked_fields() {
    let server = TestServer::start().await;
    let (silver, updated) = silver_plus(&server).await;
    assert_eq!(updated.display_name, "Silver Plus");
    assert_eq!(updated.designated_contact_limit, 3);
    assert_eq!(updated.benefits, ["online_support"], "benefits not in mask");
    assert_eq!(updated.channels, [i32::from(pb::Channel::Online)]);
    assert_ne!(updated.etag, silver.etag, "etag changes on every update");
    assert_eq!(updated.create_time, silver.create_time);
    assert!(updated.update_time.unwrap().seconds >= silver.update_time.unwrap().seconds);
    assert_eq!(get_plan(&server, "plans/silver").await, updated);
    server.stop().await;
}

#[tokio::test]
async fn updating_a_plan_with_a_stale_etag_is_aborted_and_writes_nothing() {
    let server = TestServer::start().await;
    let (silver, updated) = silver_plus(&server).await;
    let stale = silver_named(pb::Plan {
        display_name: "Stale".into(),
        designated_contact_limit: 9,
        etag: silver.etag.clone(),
        ..Default::default()
    });
    let e = update_plan(
        &server,
        stale,
        Some(&["display_name", "designated_contact_limit"]),
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(
        get_plan(&server, "plans/silver").await,
        updated,
        "unchanged"
    );
    server.stop().await;
}

#[tokio::test]
async fn without_a_mask_every_populated_field_is_updated_unconditionally() {
    // No mask: every populated field; an empty etag is unconditional.
    let server = TestServer::start().await;
    silver_plus(&server).await;
    let benefits = silver_named(pb::Plan {
        benefits: vec!["online_support".into(), "phone_support".into()],
        ..Default::default()
    });
    let replaced = update_plan(&server, benefits, None).await.unwrap();
    assert_eq!(replaced.display_name, "Silver Plus", "not populated: kept");
    assert_eq!(replaced.designated_contact_limit, 3, "not populated: kept");
    assert_eq!(replaced.benefits, ["online_support", "phone_support"]);
    assert_eq!(
        replaced.channels,
        [
            i32::from(pb::Channel::Online),
            i32::from(pb::Channel::Phone)
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn builtin_plans_are_read_only() {
    let server = TestServer::start().await;
    for builtin in ["plans/standard", "plans/extended", "plans/premium"] {
        let before = get_plan(&server, builtin).await;
        let hacked = pb::Plan {
            name: builtin.into(),
            display_name: "Hacked".into(),
            designated_contact_limit: 99,
            ..Default::default()
        };
        let e = update_plan(
            &server,
            hacked,
            Some(&["display_name", "designated_contact_limit"]),
        )
        .await
        .unwrap_err();
        assert_precondition(&e, builtin);
        assert_eq!(get_plan(&server, builtin).await, before, "unchanged");
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_plan_updates_are_refused_naming_the_field_and_write_nothing() {
    let server = TestServer::start().await;
    let (_, updated) = silver_plus(&server).await;
    let request = |plan: pb::Plan, paths: &[&str]| pb::UpdatePlanRequest {
        request_id: String::new(),
        plan: Some(silver_named(plan)),
        update_mask: mask(paths),
    };
    let table = [
        (
            request(
                pb::Plan {
                    display_name: "X".into(),
                    ..Default::default()
                },
                &["display_name", "no_such_field"],
            ),
            "update_mask",
        ),
        (
            pb::UpdatePlanRequest {
                request_id: String::new(),
                plan: None,
                update_mask: None,
            },
            "plan",
        ),
        (
            request(
                pb::Plan {
                    benefits: vec!["free_lunch".into()],
                    ..Default::default()
                },
                &["benefits"],
            ),
            "plan.benefits[0]",
        ),
    ];
    for (request, field) in table {
        let e = server.catalog().update_plan(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    assert_eq!(
        get_plan(&server, "plans/silver").await,
        updated,
        "unchanged"
    );
    server.stop().await;
}

#[tokio::test]
async fn updating_an_unknown_plan_is_not_found() {
    let server = TestServer::start().await;
    let bronze = pb::Plan {
        name: "plans/bronze".into(),
        display_name: "X".into(),
        ..Default::default()
    };
    let e = update_plan(&server, bronze, Some(&["display_name"]))
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn update_plan_ignores_output_only_mask_paths() {
    // types.proto: "Unknown paths are INVALID_ARGUMENT; paths of output-only fields
    // are ignored."
    let server = TestServer::start().await;
    create_plan(&server, "silver", pb::Plan::default())
        .await
        .unwrap();
    let named = silver_named(pb::Plan {
        display_name: "Silver".into(),
        ..Default::default()
    });
    let updated = update_plan(
        &server,
        named,
        Some(&["display_name", "etag", "update_time", "built_in"]),
    )
    .await
    .expect("output-only mask paths are ignored");
    assert_eq!(updated.display_name, "Silver");
    assert!(!updated.built_in);
    server.stop().await;
}

// ---- Plan changes and contracts ----

/// plans/tiny (online support, one designated contact) and acme's contract on it, with
/// a@example.com as its one contact.
async fn acme_on_tiny_with_a_contact(server: &TestServer) -> pb::Contract {
    let tiny = pb::Plan {
        benefits: vec!["online_support".into()],
        designated_contact_limit: 1,
        ..Default::default()
    };
    create_plan(server, "tiny", tiny).await.unwrap();
    new_account(server, "acme").await;
    let c = new_contract(
        server,
        "acme",
        "2026",
        "plans/tiny",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    add_contact(server, &c.name, "a@example.com").await.unwrap();
    c
}

#[tokio::test]
async fn a_contract_is_held_to_the_contact_limit_of_its_custom_plan() {
    let server = TestServer::start().await;
    let c = acme_on_tiny_with_a_contact(&server).await;
    let e = add_contact(&server, &c.name, "b@example.com")
        .await
        .unwrap_err();
    assert_quota(&e, &c.name);
    server.stop().await;
}

#[tokio::test]
async fn plan_changes_apply_to_contracts_without_a_new_version() {
    let server = TestServer::start().await;
    let c = acme_on_tiny_with_a_contact(&server).await;
    let raised = pb::Plan {
        name: "plans/tiny".into(),
        designated_contact_limit: 2,
        benefits: vec!["online_support".into(), "upgrade_support".into()],
        ..Default::default()
    };
    update_plan(
        &server,
        raised,
        Some(&["designated_contact_limit", "benefits"]),
    )
    .await
    .unwrap();
    assert_eq!(
        get_contract(&server, &c.name).await.version,
        2,
        "a plan change does not bump contract versions"
    );
    let r = check(
        &server,
        "acme",
        "upgrade_support",
        "2026-03-01T10:00:00Z",
        None,
    )
    .await;
    assert!(r.allowed, "{r:?}");
    let after = add_contact(&server, &c.name, "b@example.com")
        .await
        .expect("the raised limit applies at once");
    assert_eq!(emails(&after), ["a@example.com", "b@example.com"]);
    assert_eq!(after.version, 3);
    server.stop().await;
}
