//! CatalogService: the built-in plans, listing, and creating custom plans (updates are in
//! plan_updates.rs).

use crate::helpers::*;

// ---- Assertions on plan terms ----

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

use pb::Coverage::{BusinessHours as Bh, Coverage24x7 as H24};
use pb::Priority::{P1, P2, P3, P4};

// ---- GetPlan: the built-in plans ----

#[tokio::test]
async fn builtin_plans_are_flagged_stamped_and_have_terms_for_p1_and_p2_only() {
    let server = TestServer::start().await;
    for name in ["plans/standard", "plans/extended", "plans/premium"] {
        let plan = &get_plan(&server, name).await;
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
    server.stop().await;
}

#[tokio::test]
async fn the_standard_plan_is_online_on_business_hours() {
    let server = TestServer::start().await;
    let standard = get_plan(&server, "plans/standard").await;
    assert_eq!(standard.name, "plans/standard");
    assert_eq!(
        standard.benefits,
        ["community_knowledge_base", "online_support"]
    );
    assert_eq!(standard.channels, [i32::from(pb::Channel::Online)]);
    assert_terms(&standard, P1, (Bh, 8 * HOUR, 24 * HOUR));
    assert_terms(&standard, P2, (Bh, 24 * HOUR, 72 * HOUR));
    assert_eq!(standard.designated_contact_limit, 3);
    server.stop().await;
}

#[tokio::test]
async fn the_extended_plan_covers_p1_around_the_clock() {
    let server = TestServer::start().await;
    let extended = get_plan(&server, "plans/extended").await;
    assert_eq!(extended.name, "plans/extended");
    assert_eq!(
        extended.benefits,
        ["community_knowledge_base", "online_support"]
    );
    assert_eq!(extended.channels, [i32::from(pb::Channel::Online)]);
    assert_terms(&extended, P1, (H24, 2 * HOUR, 24 * HOUR));
    assert_terms(&extended, P2, (Bh, 8 * HOUR, 48 * HOUR));
    assert_eq!(extended.designated_contact_limit, 5);
    server.stop().await;
}

#[tokio::test]
async fn the_premium_plan_has_every_benefit_and_the_phone() {
    let server = TestServer::start().await;
    let premium = get_plan(&server, "plans/premium").await;
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
    server.stop().await;
}

#[tokio::test]
async fn getting_an_unknown_plan_is_not_found() {
    let server = TestServer::start().await;
    let e = server
        .catalog()
        .get_plan(pb::GetPlanRequest {
            name: "plans/platinum".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn malformed_plan_names_are_refused_naming_the_name() {
    let server = TestServer::start().await;
    for bad in ["", "platinum", "accounts/premium", "plans/Premium"] {
        let e = server
            .catalog()
            .get_plan(pb::GetPlanRequest { name: bad.into() })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "name");
    }
    server.stop().await;
}

// ---- ListPlans ----

fn list_request(page_size: i32, page_token: &str) -> pb::ListPlansRequest {
    pb::ListPlansRequest {
        page_size,
        page_token: page_token.into(),
    }
}

async fn list_plans(server: &TestServer, request: pb::ListPlansRequest) -> pb::ListPlansResponse {
    server
        .catalog()
        .list_plans(request)
        .await
        .expect("ListPlans")
        .into_inner()
}

fn plan_names(r: &pb::ListPlansResponse) -> Vec<&str> {
    r.plans.iter().map(|p| p.name.as_str()).collect()
}

#[tokio::test]
async fn list_plans_pages_in_name_order() {
    let server = TestServer::start().await;
    let first = list_plans(&server, list_request(2, "")).await;
    assert_eq!(plan_names(&first), ["plans/extended", "plans/premium"]);
    assert!(!first.next_page_token.is_empty());
    let second = list_plans(&server, list_request(2, &first.next_page_token)).await;
    assert_eq!(plan_names(&second), ["plans/standard"]);
    assert_eq!(second.next_page_token, "", "no more plans");
    server.stop().await;
}

#[tokio::test]
async fn a_zero_or_oversized_page_size_lists_every_plan() {
    // 0 is the default page size; above 1000 is coerced, not refused.
    let server = TestServer::start().await;
    for page_size in [0, 5000] {
        let all = list_plans(&server, list_request(page_size, "")).await;
        assert_eq!(all.plans.len(), 3);
        assert_eq!(all.next_page_token, "");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_custom_plan_sorts_in_by_name() {
    let server = TestServer::start().await;
    let gold = pb::Plan {
        benefits: vec!["online_support".into()],
        ..Default::default()
    };
    create_plan(&server, "gold", gold).await.unwrap();
    let all = list_plans(&server, pb::ListPlansRequest::default()).await;
    assert_eq!(
        plan_names(&all),
        [
            "plans/extended",
            "plans/gold",
            "plans/premium",
            "plans/standard"
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_list_plans_paging_is_refused_naming_the_field() {
    let server = TestServer::start().await;
    for (request, field) in [
        (list_request(2, "garbage"), "page_token"),
        (list_request(2, "!!!"), "page_token"),
        (list_request(2, "YWZ0ZXI"), "page_token"),
        (list_request(-1, ""), "page_size"),
    ] {
        let e = server.catalog().list_plans(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    server.stop().await;
}

// ---- CreatePlan ----

/// Gold: benefits and terms out of order, and output-only fields set by the client.
fn gold_plan() -> pb::Plan {
    pb::Plan {
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
    }
}

async fn create_gold(server: &TestServer) -> pb::Plan {
    create_plan(server, "gold", gold_plan())
        .await
        .expect("CreatePlan")
}

#[tokio::test]
async fn a_custom_plan_gets_its_name_and_output_only_fields_from_the_server() {
    let server = TestServer::start().await;
    let gold = create_gold(&server).await;
    assert_eq!(gold.name, "plans/gold");
    assert_eq!(gold.display_name, "Gold");
    assert!(!gold.built_in, "built_in is output only");
    assert!(!gold.etag.is_empty() && gold.etag != "\"bogus\"");
    assert!(gold.create_time.is_some());
    assert_eq!(gold.create_time, gold.update_time);
    assert_eq!(get_plan(&server, "plans/gold").await, gold);
    server.stop().await;
}

#[tokio::test]
async fn a_custom_plan_comes_back_in_catalog_and_priority_order() {
    let server = TestServer::start().await;
    let gold = create_gold(&server).await;
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
    assert_terms(
        &gold,
        P3,
        (pb::Coverage::BusinessHours, 3 * 24 * HOUR, 5 * 24 * HOUR),
    );
    assert_terms(&gold, P1, (pb::Coverage::Coverage24x7, HOUR, 4 * HOUR));
    let order: Vec<i32> = gold.priority_terms.iter().map(|t| t.priority).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "ordered P1 to P4");
    server.stop().await;
}

#[tokio::test]
async fn the_display_name_defaults_to_the_id() {
    let server = TestServer::start().await;
    let bare = create_plan(&server, "bare", pb::Plan::default())
        .await
        .unwrap();
    assert_eq!(bare.display_name, "bare");
    assert_eq!(bare.designated_contact_limit, 0);
    server.stop().await;
}

#[tokio::test]
async fn unspecified_coverage_is_business_hours_and_an_absent_target_is_no_target() {
    let server = TestServer::start().await;
    let plain = pb::Plan {
        priority_terms: vec![pb::PriorityTerms {
            priority: pb::Priority::P4.into(),
            coverage: pb::Coverage::Unspecified.into(),
            first_response_target: Some(secs(5 * 24 * HOUR)),
            update_cadence: None,
            at_risk_thresholds: Vec::new(),
        }],
        ..Default::default()
    };
    let plain = create_plan(&server, "plain", plain)
        .await
        .expect("coverage may be left unspecified");
    let p4 = terms_of(&plain, pb::Priority::P4).expect("P4 terms");
    assert_eq!(p4.coverage, i32::from(pb::Coverage::BusinessHours));
    assert_eq!(p4.first_response_target, Some(secs(5 * 24 * HOUR)));
    assert_eq!(p4.update_cadence, None);
    server.stop().await;
}

#[tokio::test]
async fn creating_a_taken_custom_or_builtin_plan_id_is_already_exists() {
    let server = TestServer::start().await;
    let gold = create_gold(&server).await;
    for id in ["gold", "premium", "standard", "extended"] {
        let e = create_plan(&server, id, pb::Plan::default())
            .await
            .unwrap_err();
        assert_status(&e, Code::AlreadyExists);
    }
    assert_eq!(get_plan(&server, "plans/gold").await, gold, "unchanged");
    server.stop().await;
}

fn silver(plan: pb::Plan) -> pb::CreatePlanRequest {
    pb::CreatePlanRequest {
        request_id: String::new(),
        plan_id: "silver".into(),
        plan: Some(plan),
    }
}

fn with_terms(terms: pb::PriorityTerms) -> pb::Plan {
    pb::Plan {
        priority_terms: vec![terms],
        ..Default::default()
    }
}

#[tokio::test]
async fn bad_plans_are_refused_naming_the_field_and_nothing_is_created() {
    let server = TestServer::start().await;
    let bad_id = |id: &str| pb::CreatePlanRequest {
        request_id: String::new(),
        plan_id: id.into(),
        plan: Some(pb::Plan::default()),
    };
    let table = [
        (
            silver(pb::Plan {
                benefits: vec!["online_support".into(), "free_lunch".into()],
                ..Default::default()
            }),
            "plan.benefits[1]",
        ),
        (
            pb::CreatePlanRequest {
                request_id: String::new(),
                plan_id: "silver".into(),
                plan: None,
            },
            "plan",
        ),
        (bad_id(""), "plan_id"),
        (bad_id("Silver"), "plan_id"),
        (bad_id("-silver"), "plan_id"),
        (bad_id("silver-"), "plan_id"),
        (bad_id("sil_ver"), "plan_id"),
        (
            silver(pb::Plan {
                channels: vec![pb::Channel::Unspecified.into()],
                ..Default::default()
            }),
            "plan.channels[0]",
        ),
        (
            silver(pb::Plan {
                designated_contact_limit: -1,
                ..Default::default()
            }),
            "plan.designated_contact_limit",
        ),
        (
            silver(with_terms(pb::PriorityTerms {
                priority: P1.into(),
                coverage: pb::Coverage::Coverage24x7.into(),
                first_response_target: Some(secs(0)),
                update_cadence: None,
                at_risk_thresholds: Vec::new(),
            })),
            "plan.priority_terms[0].first_response_target",
        ),
        (
            silver(with_terms(pb::PriorityTerms {
                priority: pb::Priority::Unspecified.into(),
                ..Default::default()
            })),
            "plan.priority_terms[0].priority",
        ),
    ];
    for (request, field) in table {
        let e = server.catalog().create_plan(request).await.unwrap_err();
        assert_invalid_field(&e, field);
    }
    // Nothing was created by the failed calls.
    let e = server
        .catalog()
        .get_plan(pb::GetPlanRequest {
            name: "plans/silver".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn a_duplicate_priority_is_refused() {
    // The proto does not say which sub-path it names.
    let server = TestServer::start().await;
    let p1 = pb::PriorityTerms {
        priority: P1.into(),
        ..Default::default()
    };
    let twice = pb::Plan {
        priority_terms: vec![p1.clone(), p1],
        ..Default::default()
    };
    let e = server
        .catalog()
        .create_plan(silver(twice))
        .await
        .unwrap_err();
    assert_invalid_field_under(&e, "plan");
    server.stop().await;
}
