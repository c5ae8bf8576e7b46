//! CatalogService: the built-in plans, listing, custom plans, plan updates.

use crate::helpers::*;

// ---- CatalogService ----

/// The expected terms of one priority: coverage, first response, update cadence.
type Expected = (pb::Coverage, i64, i64);

fn assert_terms(plan: &pb::Plan, p: pb::Priority, (coverage, first, update): Expected) {
    let t = terms_of(plan, p).unwrap_or_else(|| panic!("{} has no {p:?} terms", plan.name));
    assert_eq!(t.coverage, i32::from(coverage), "{} {p:?}", plan.name);
    assert_eq!(
        t.first_response_target,
        Some(secs(first)),
        "{} {p:?}",
        plan.name
    );
    assert_eq!(t.update_cadence, Some(secs(update)), "{} {p:?}", plan.name);
}

/// Built-in plans have no terms for P3 and P4: either no entry, or an entry without
/// targets on business hours.
fn assert_no_terms(plan: &pb::Plan, p: pb::Priority) {
    if let Some(t) = terms_of(plan, p) {
        assert_eq!(t.first_response_target, None, "{} {p:?}", plan.name);
        assert_eq!(t.update_cadence, None, "{} {p:?}", plan.name);
        assert_eq!(
            t.coverage,
            i32::from(pb::Coverage::BusinessHours),
            "{} {p:?}",
            plan.name
        );
    }
}

#[tokio::test]
async fn get_plan_returns_the_builtin_tiers_of_the_spec_table() {
    use pb::Coverage::{BusinessHours as Bh, Coverage24x7 as H24};
    use pb::Priority::{P1, P2, P3, P4};
    let server = TestServer::start().await;

    let standard = get_plan(&server, "plans/standard").await;
    let extended = get_plan(&server, "plans/extended").await;
    let premium = get_plan(&server, "plans/premium").await;

    for plan in [&standard, &extended, &premium] {
        assert!(plan.built_in, "{}", plan.name);
        assert!(!plan.display_name.is_empty());
        assert!(!plan.etag.is_empty());
        assert!(plan.create_time.is_some() && plan.update_time.is_some());
        let order: Vec<i32> = plan.priority_terms.iter().map(|t| t.priority).collect();
        let mut sorted = order.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(order, sorted, "terms ordered P1 to P4 without duplicates");
        assert_no_terms(plan, P3);
        assert_no_terms(plan, P4);
    }

    assert_eq!(standard.name, "plans/standard");
    assert_eq!(
        standard.benefits,
        ["community_knowledge_base", "online_support"]
    );
    assert_eq!(standard.channels, [i32::from(pb::Channel::Online)]);
    assert_terms(&standard, P1, (Bh, 8 * HOUR, 24 * HOUR));
    assert_terms(&standard, P2, (Bh, 24 * HOUR, 72 * HOUR));
    assert_eq!(standard.designated_contact_limit, 3);

    assert_eq!(extended.name, "plans/extended");
    assert_eq!(
        extended.benefits,
        ["community_knowledge_base", "online_support"]
    );
    assert_eq!(extended.channels, [i32::from(pb::Channel::Online)]);
    assert_terms(&extended, P1, (H24, 2 * HOUR, 24 * HOUR));
    assert_terms(&extended, P2, (Bh, 8 * HOUR, 48 * HOUR));
    assert_eq!(extended.designated_contact_limit, 5);

    assert_eq!(premium.name, "plans/premium");
    assert_eq!(premium.benefits, ALL_BENEFITS);
    assert_eq!(
        premium.channels,
        [
            i32::from(pb::Channel::Online),
            i32::from(pb::Channel::Phone)
        ]
    );
    assert_terms(&premium, P1, (H24, 30 * 60, 12 * HOUR));
    assert_terms(&premium, P2, (H24, 2 * HOUR, 24 * HOUR));
    assert_eq!(premium.designated_contact_limit, 5);

    // Errors: unknown plan, malformed names.
    let mut catalog = server.catalog();
    let e = catalog
        .get_plan(pb::GetPlanRequest {
            name: "plans/platinum".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    for bad in ["", "platinum", "accounts/premium", "plans/Premium"] {
        let e = catalog
            .get_plan(pb::GetPlanRequest { name: bad.into() })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "name");
    }
    server.stop().await;
}

#[tokio::test]
async fn list_plans_pages_in_name_order() {
    let server = TestServer::start().await;
    let mut catalog = server.catalog();

    let first = catalog
        .list_plans(pb::ListPlansRequest {
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = first.plans.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["plans/extended", "plans/premium"]);
    assert!(!first.next_page_token.is_empty());

    let second = catalog
        .list_plans(pb::ListPlansRequest {
            page_size: 2,
            page_token: first.next_page_token.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = second.plans.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["plans/standard"]);
    assert_eq!(second.next_page_token, "", "no more plans");

    // 0 is the default page size; above 1000 is coerced, not refused.
    for page_size in [0, 5000] {
        let all = catalog
            .list_plans(pb::ListPlansRequest {
                page_size,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.plans.len(), 3);
        assert_eq!(all.next_page_token, "");
    }

    // A custom plan sorts in by name.
    catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "gold".into(),
            plan: Some(pb::Plan {
                benefits: vec!["online_support".into()],
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let all = catalog
        .list_plans(pb::ListPlansRequest::default())
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = all.plans.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "plans/extended",
            "plans/gold",
            "plans/premium",
            "plans/standard"
        ]
    );

    for token in ["garbage", "!!!", "YWZ0ZXI"] {
        let e = catalog
            .list_plans(pb::ListPlansRequest {
                page_size: 2,
                page_token: token.into(),
            })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "page_token");
    }
    let e = catalog
        .list_plans(pb::ListPlansRequest {
            page_size: -1,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_size");
    server.stop().await;
}

#[tokio::test]
async fn create_plan_adds_a_custom_plan_and_validates_it() {
    use pb::Priority::{P1, P3};
    let server = TestServer::start().await;
    let mut catalog = server.catalog();

    let gold = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "gold".into(),
            plan: Some(pb::Plan {
                name: "plans/ignored".into(),
                display_name: "Gold".into(),
                built_in: true,
                benefits: vec![
                    "technical_account_manager".into(),
                    "online_support".into(),
                    "community_knowledge_base".into(),
                ],
                channels: vec![pb::Channel::Online.into()],
                priority_terms: vec![
                    pb::PriorityTerms {
                        priority: P3.into(),
                        coverage: pb::Coverage::BusinessHours.into(),
                        first_response_target: Some(secs(3 * 24 * HOUR)),
                        update_cadence: Some(secs(5 * 24 * HOUR)),
                        at_risk_thresholds: Vec::new(),
                    },
                    pb::PriorityTerms {
                        priority: P1.into(),
                        coverage: pb::Coverage::Coverage24x7.into(),
                        first_response_target: Some(secs(HOUR)),
                        update_cadence: Some(secs(4 * HOUR)),
                        at_risk_thresholds: Vec::new(),
                    },
                ],
                designated_contact_limit: 4,
                etag: "\"bogus\"".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("CreatePlan")
        .into_inner()
        .plan
        .unwrap();
    assert_eq!(gold.name, "plans/gold");
    assert_eq!(gold.display_name, "Gold");
    assert!(!gold.built_in, "built_in is output only");
    assert_eq!(
        gold.benefits,
        [
            "community_knowledge_base",
            "online_support",
            "technical_account_manager"
        ],
        "benefits come back in catalog order"
    );
    assert_eq!(gold.channels, [i32::from(pb::Channel::Online)]);
    assert_eq!(gold.designated_contact_limit, 4);
    assert!(!gold.etag.is_empty() && gold.etag != "\"bogus\"");
    assert!(gold.create_time.is_some());
    assert_eq!(gold.create_time, gold.update_time);
    assert_terms(
        &gold,
        P3,
        (pb::Coverage::BusinessHours, 3 * 24 * HOUR, 5 * 24 * HOUR),
    );
    assert_terms(&gold, P1, (pb::Coverage::Coverage24x7, HOUR, 4 * HOUR));
    let order: Vec<i32> = gold.priority_terms.iter().map(|t| t.priority).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "ordered P1 to P4");
    assert_eq!(get_plan(&server, "plans/gold").await, gold);

    // The display name defaults to the ID.
    let bare = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "bare".into(),
            plan: Some(pb::Plan::default()),
        })
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap();
    assert_eq!(bare.display_name, "bare");
    assert_eq!(bare.designated_contact_limit, 0);

    // Coverage UNSPECIFIED is business hours on input; an absent target is no target.
    let plain = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "plain".into(),
            plan: Some(pb::Plan {
                priority_terms: vec![pb::PriorityTerms {
                    priority: pb::Priority::P4.into(),
                    coverage: pb::Coverage::Unspecified.into(),
                    first_response_target: Some(secs(5 * 24 * HOUR)),
                    update_cadence: None,
                    at_risk_thresholds: Vec::new(),
                }],
                ..Default::default()
            }),
        })
        .await
        .expect("coverage may be left unspecified")
        .into_inner()
        .plan
        .unwrap();
    let p4 = terms_of(&plain, pb::Priority::P4).expect("P4 terms");
    assert_eq!(p4.coverage, i32::from(pb::Coverage::BusinessHours));
    assert_eq!(p4.first_response_target, Some(secs(5 * 24 * HOUR)));
    assert_eq!(p4.update_cadence, None);

    // ALREADY_EXISTS for a custom and for a built-in ID.
    for id in ["gold", "premium", "standard", "extended"] {
        let e = catalog
            .create_plan(pb::CreatePlanRequest {
                request_id: String::new(),
                plan_id: id.into(),
                plan: Some(pb::Plan::default()),
            })
            .await
            .unwrap_err();
        assert_status(&e, Code::AlreadyExists);
    }
    assert_eq!(get_plan(&server, "plans/gold").await, gold, "unchanged");

    // Validation errors name the field.
    let e = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: Some(pb::Plan {
                benefits: vec!["online_support".into(), "free_lunch".into()],
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan.benefits[1]");

    let e = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan");

    for bad_id in ["", "Silver", "-silver", "silver-", "sil_ver"] {
        let e = catalog
            .create_plan(pb::CreatePlanRequest {
                request_id: String::new(),
                plan_id: bad_id.into(),
                plan: Some(pb::Plan::default()),
            })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "plan_id");
    }

    let e = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: Some(pb::Plan {
                channels: vec![pb::Channel::Unspecified.into()],
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan.channels[0]");

    let e = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: Some(pb::Plan {
                designated_contact_limit: -1,
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan.designated_contact_limit");

    let e = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: Some(pb::Plan {
                priority_terms: vec![pb::PriorityTerms {
                    priority: P1.into(),
                    coverage: pb::Coverage::Coverage24x7.into(),
                    first_response_target: Some(secs(0)),
                    update_cadence: None,
                    at_risk_thresholds: Vec::new(),
                }],
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan.priority_terms[0].first_response_target");

    let e = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: Some(pb::Plan {
                priority_terms: vec![pb::PriorityTerms {
                    priority: pb::Priority::Unspecified.into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan.priority_terms[0].priority");

    // A duplicate priority is refused (the proto does not say which sub-path it names).
    let p1 = pb::PriorityTerms {
        priority: P1.into(),
        ..Default::default()
    };
    let e = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: Some(pb::Plan {
                priority_terms: vec![p1.clone(), p1],
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_invalid_field_under(&e, "plan");

    // Nothing was created by the failed calls.
    let e = catalog
        .get_plan(pb::GetPlanRequest {
            name: "plans/silver".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn update_plan_honours_mask_and_etag_and_refuses_builtins() {
    let server = TestServer::start().await;
    let mut catalog = server.catalog();
    let silver = catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: Some(pb::Plan {
                display_name: "Silver".into(),
                benefits: vec!["online_support".into()],
                designated_contact_limit: 2,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap();

    // Only the masked fields change, although the request carries other values too.
    let updated = catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(pb::Plan {
                name: "plans/silver".into(),
                display_name: "Silver Plus".into(),
                benefits: vec!["phone_support".into()],
                designated_contact_limit: 3,
                etag: silver.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "designated_contact_limit"]),
        })
        .await
        .expect("UpdatePlan")
        .into_inner()
        .plan
        .unwrap();
    assert_eq!(updated.display_name, "Silver Plus");
    assert_eq!(updated.designated_contact_limit, 3);
    assert_eq!(updated.benefits, ["online_support"], "benefits not in mask");
    assert_eq!(updated.channels, [i32::from(pb::Channel::Online)]);
    assert_ne!(updated.etag, silver.etag, "etag changes on every update");
    assert_eq!(updated.create_time, silver.create_time);
    assert!(updated.update_time.unwrap().seconds >= silver.update_time.unwrap().seconds);
    assert_eq!(get_plan(&server, "plans/silver").await, updated);

    // Stale etag: ABORTED and nothing written.
    let e = catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(pb::Plan {
                name: "plans/silver".into(),
                display_name: "Stale".into(),
                designated_contact_limit: 9,
                etag: silver.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "designated_contact_limit"]),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(
        get_plan(&server, "plans/silver").await,
        updated,
        "unchanged"
    );

    // No mask: every populated field; an empty etag is unconditional.
    let replaced = catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(pb::Plan {
                name: "plans/silver".into(),
                benefits: vec!["online_support".into(), "phone_support".into()],
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap();
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

    // Built-in plans are read-only.
    for builtin in ["plans/standard", "plans/extended", "plans/premium"] {
        let before = get_plan(&server, builtin).await;
        let e = catalog
            .update_plan(pb::UpdatePlanRequest {
                request_id: String::new(),
                plan: Some(pb::Plan {
                    name: builtin.into(),
                    display_name: "Hacked".into(),
                    designated_contact_limit: 99,
                    ..Default::default()
                }),
                update_mask: mask(&["display_name", "designated_contact_limit"]),
            })
            .await
            .unwrap_err();
        assert_precondition(&e, builtin);
        assert_eq!(get_plan(&server, builtin).await, before, "unchanged");
    }

    // Unknown mask path, unknown plan, missing plan, bad values.
    let e = catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(pb::Plan {
                name: "plans/silver".into(),
                display_name: "X".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "no_such_field"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "update_mask");
    let e = catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(pb::Plan {
                name: "plans/bronze".into(),
                display_name: "X".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: None,
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan");
    let e = catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(pb::Plan {
                name: "plans/silver".into(),
                benefits: vec!["free_lunch".into()],
                ..Default::default()
            }),
            update_mask: mask(&["benefits"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan.benefits[0]");
    assert_eq!(
        get_plan(&server, "plans/silver").await,
        replaced,
        "unchanged"
    );
    server.stop().await;
}

#[tokio::test]
async fn update_plan_ignores_output_only_mask_paths() {
    // types.proto: "Unknown paths are INVALID_ARGUMENT; paths of output-only fields
    // are ignored."
    let server = TestServer::start().await;
    let mut catalog = server.catalog();
    catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "silver".into(),
            plan: Some(pb::Plan::default()),
        })
        .await
        .unwrap();
    let updated = catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(pb::Plan {
                name: "plans/silver".into(),
                display_name: "Silver".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "etag", "update_time", "built_in"]),
        })
        .await
        .expect("output-only mask paths are ignored")
        .into_inner()
        .plan
        .unwrap();
    assert_eq!(updated.display_name, "Silver");
    assert!(!updated.built_in);
    server.stop().await;
}

#[tokio::test]
async fn plan_changes_apply_to_contracts_without_a_new_version() {
    let server = TestServer::start().await;
    let mut catalog = server.catalog();
    catalog
        .create_plan(pb::CreatePlanRequest {
            request_id: String::new(),
            plan_id: "tiny".into(),
            plan: Some(pb::Plan {
                benefits: vec!["online_support".into()],
                designated_contact_limit: 1,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    new_account(&server, "acme").await;
    let c = new_contract(
        &server,
        "acme",
        "2026",
        "plans/tiny",
        "2026-01-01T00:00:00Z",
        None,
    )
    .await;
    add_contact(&server, &c.name, "a@example.com")
        .await
        .unwrap();
    let e = add_contact(&server, &c.name, "b@example.com")
        .await
        .unwrap_err();
    assert_quota(&e, &c.name);

    catalog
        .update_plan(pb::UpdatePlanRequest {
            request_id: String::new(),
            plan: Some(pb::Plan {
                name: "plans/tiny".into(),
                designated_contact_limit: 2,
                benefits: vec!["online_support".into(), "upgrade_support".into()],
                ..Default::default()
            }),
            update_mask: mask(&["designated_contact_limit", "benefits"]),
        })
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
