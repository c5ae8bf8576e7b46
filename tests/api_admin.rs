//! End-to-end tests of the administrative API: every RPC of `CatalogService`,
//! `AccountService` and `ContractService`, called through the generated tonic clients
//! against the real server on a real socket. Each test starts its own server on an empty
//! store (built-in plans only) and checks the happy paths and the error contract the
//! proto comments define: status codes, the `entitlements` ErrorInfo, BadRequest field
//! paths, PreconditionFailure subjects, QuotaFailure details, etags, field masks,
//! pagination and the contract revision log, plus the designated-contact quota under
//! 50 concurrent adds.

mod common;

use common::fixtures::{
    add_contact, assert_invalid_field_under, assert_status, check, contract_body, create_account,
    create_contract, day, interval, mask, new_account, new_contract, update_contract,
};
use common::{TestServer, assert_invalid_field, details, secs, ts};
use entitlements::grpc::pb;
use tonic::Code;

// ---- helpers ----

/// Asserts FAILED_PRECONDITION with a PreconditionFailure about `subject`.
fn assert_precondition(status: &tonic::Status, subject: &str) {
    assert_status(status, Code::FailedPrecondition);
    let d = details(status);
    let pf = d
        .precondition_failure()
        .unwrap_or_else(|| panic!("no PreconditionFailure in {status:?}"));
    assert!(
        pf.violations.iter().any(|v| v.subject == subject),
        "expected a precondition violation on {subject}, got {:?}",
        pf.violations
    );
}

/// Asserts RESOURCE_EXHAUSTED with a QuotaFailure whose subject is the contract.
fn assert_quota(status: &tonic::Status, contract: &str) {
    assert_status(status, Code::ResourceExhausted);
    let d = details(status);
    let qf = d
        .quota_failure()
        .unwrap_or_else(|| panic!("no QuotaFailure in {status:?}"));
    assert!(
        qf.violations.iter().any(|v| v.subject == contract),
        "expected a quota violation on {contract}, got {:?}",
        qf.violations
    );
}

/// Monday to Friday 09:00-17:00 in `tz`.
fn office_calendar(tz: &str) -> pb::Calendar {
    use pb::DayOfWeek as D;
    pb::Calendar {
        display_name: "Office hours".into(),
        time_zone: tz.into(),
        weekly_hours: [D::Monday, D::Tuesday, D::Wednesday, D::Thursday, D::Friday]
            .into_iter()
            .map(|d| day(d, &[("09:00", "17:00")]))
            .collect(),
        ..Default::default()
    }
}

async fn create_calendar(
    server: &TestServer,
    id: &str,
    calendar: pb::Calendar,
) -> Result<pb::Calendar, tonic::Status> {
    server
        .accounts()
        .create_calendar(pb::CreateCalendarRequest {
            calendar_id: id.into(),
            calendar: Some(calendar),
        })
        .await
        .map(|r| r.into_inner().calendar.expect("calendar"))
}

async fn get_calendar(server: &TestServer, name: &str) -> pb::Calendar {
    server
        .accounts()
        .get_calendar(pb::GetCalendarRequest { name: name.into() })
        .await
        .expect("GetCalendar")
        .into_inner()
        .calendar
        .expect("calendar")
}

async fn get_account(server: &TestServer, name: &str) -> pb::Account {
    server
        .accounts()
        .get_account(pb::GetAccountRequest { name: name.into() })
        .await
        .expect("GetAccount")
        .into_inner()
        .account
        .expect("account")
}

async fn get_contract(server: &TestServer, name: &str) -> pb::Contract {
    server
        .contracts()
        .get_contract(pb::GetContractRequest { name: name.into() })
        .await
        .expect("GetContract")
        .into_inner()
        .contract
        .expect("contract")
}

async fn remove_contact(
    server: &TestServer,
    contract: &str,
    email: &str,
) -> Result<pb::Contract, tonic::Status> {
    server
        .contracts()
        .remove_designated_contact(pb::RemoveDesignatedContactRequest {
            contract: contract.into(),
            email: email.into(),
        })
        .await
        .map(|r| r.into_inner().contract.expect("contract"))
}

async fn terminate(
    server: &TestServer,
    contract: &str,
    at: Option<&str>,
    etag: &str,
) -> Result<pb::Contract, tonic::Status> {
    server
        .contracts()
        .terminate_contract(pb::TerminateContractRequest {
            name: contract.into(),
            terminate_time: at.map(ts),
            etag: etag.into(),
        })
        .await
        .map(|r| r.into_inner().contract.expect("contract"))
}

async fn get_plan(server: &TestServer, name: &str) -> pb::Plan {
    server
        .catalog()
        .get_plan(pb::GetPlanRequest { name: name.into() })
        .await
        .expect("GetPlan")
        .into_inner()
        .plan
        .expect("plan")
}

/// The plan's terms for `p`, if it lists any.
fn terms_of(plan: &pb::Plan, p: pb::Priority) -> Option<&pb::PriorityTerms> {
    plan.priority_terms
        .iter()
        .find(|t| t.priority == i32::from(p))
}

fn emails(c: &pb::Contract) -> Vec<&str> {
    c.designated_contacts
        .iter()
        .map(|d| d.email.as_str())
        .collect()
}

const HOUR: i64 = 3600;

const ALL_BENEFITS: [&str; 16] = [
    "community_knowledge_base",
    "online_support",
    "phone_support",
    "technical_account_manager",
    "weekly_status_calls",
    "strategic_planning",
    "special_programs",
    "deployment_review",
    "upgrade_support",
    "senior_support_team",
    "critical_phone_support_24x7",
    "case_escalation_management",
    "onsite_escalation_management",
    "roadmap_participation",
    "priority_feature_requests",
    "product_feedback_sessions",
];

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
            plan_id: "silver".into(),
            plan: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan");

    for bad_id in ["", "Silver", "-silver", "silver-", "sil_ver"] {
        let e = catalog
            .create_plan(pb::CreatePlanRequest {
                plan_id: bad_id.into(),
                plan: Some(pb::Plan::default()),
            })
            .await
            .unwrap_err();
        assert_invalid_field(&e, "plan_id");
    }

    let e = catalog
        .create_plan(pb::CreatePlanRequest {
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
            plan: None,
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "plan");
    let e = catalog
        .update_plan(pb::UpdatePlanRequest {
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
            plan_id: "silver".into(),
            plan: Some(pb::Plan::default()),
        })
        .await
        .unwrap();
    let updated = catalog
        .update_plan(pb::UpdatePlanRequest {
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
            name: "accounts/acme".into(),
            etag: acme.etag.clone(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    get_account(&server, "accounts/acme").await;
    accounts
        .delete_account(pb::DeleteAccountRequest {
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

// ---- AccountService: calendars ----

#[tokio::test]
async fn calendar_create_get_list_and_validation() {
    use pb::DayOfWeek as D;
    let server = TestServer::start().await;

    let emea = create_calendar(
        &server,
        "emea",
        pb::Calendar {
            name: "calendars/ignored".into(),
            display_name: "EMEA".into(),
            time_zone: "Europe/Berlin".into(),
            weekly_hours: vec![
                day(D::Friday, &[("13:00", "17:00"), ("09:00", "12:00")]),
                day(D::Monday, &[("09:00", "17:00")]),
                day(D::Saturday, &[]),
                day(D::Sunday, &[("22:00", "24:00")]),
            ],
            closed_dates: vec![
                pb::ClosedDate {
                    date: "2026-12-26".into(),
                    reason: "St. Stephen's Day".into(),
                },
                pb::ClosedDate {
                    date: "2026-12-25".into(),
                    reason: "Christmas Day".into(),
                },
            ],
            special_dates: vec![pb::SpecialDate {
                date: "2026-12-24".into(),
                intervals: vec![interval("09:00", "12:00")],
                reason: "Christmas Eve".into(),
            }],
            ..Default::default()
        },
    )
    .await
    .expect("CreateCalendar");
    assert_eq!(emea.name, "calendars/emea");
    assert_eq!(emea.display_name, "EMEA");
    assert_eq!(emea.time_zone, "Europe/Berlin");
    let days: Vec<i32> = emea
        .weekly_hours
        .iter()
        .filter(|w| !w.intervals.is_empty())
        .map(|w| w.day_of_week)
        .collect();
    assert_eq!(
        days,
        [
            i32::from(D::Monday),
            i32::from(D::Friday),
            i32::from(D::Sunday)
        ],
        "returned Monday to Sunday"
    );
    let friday = emea
        .weekly_hours
        .iter()
        .find(|w| w.day_of_week == i32::from(D::Friday))
        .unwrap();
    assert_eq!(
        friday.intervals,
        [interval("09:00", "12:00"), interval("13:00", "17:00")],
        "intervals sorted by open_time"
    );
    let sunday = emea
        .weekly_hours
        .iter()
        .find(|w| w.day_of_week == i32::from(D::Sunday))
        .unwrap();
    assert_eq!(
        sunday.intervals,
        [interval("22:00", "24:00")],
        "24:00 is a valid close time"
    );
    let closed: Vec<&str> = emea.closed_dates.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(closed, ["2026-12-25", "2026-12-26"], "sorted by date");
    assert_eq!(emea.closed_dates[0].reason, "Christmas Day");
    assert_eq!(emea.special_dates.len(), 1);
    assert_eq!(emea.special_dates[0].reason, "Christmas Eve");
    assert!(!emea.etag.is_empty() && emea.create_time.is_some());
    assert_eq!(get_calendar(&server, "calendars/emea").await, emea);

    // Errors on create.
    let e = create_calendar(&server, "emea", office_calendar("UTC"))
        .await
        .unwrap_err();
    assert_status(&e, Code::AlreadyExists);
    assert_eq!(get_calendar(&server, "calendars/emea").await, emea);

    let e = create_calendar(&server, "bad", office_calendar("Atlantis/Capital"))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.time_zone");
    let e = create_calendar(&server, "bad", office_calendar(""))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.time_zone");

    let with_day = |w: pb::WeeklyHours| pb::Calendar {
        time_zone: "UTC".into(),
        weekly_hours: vec![w],
        ..Default::default()
    };
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Monday, &[("09:00", "24:01")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals[0].close_time");
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Monday, &[("08:00", "09:00"), ("9am", "17:00")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals[1].open_time");
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Monday, &[("09:00", "13:00"), ("12:00", "17:00")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals");
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Monday, &[("17:00", "09:00")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals[0].close_time");
    let e = create_calendar(
        &server,
        "bad",
        with_day(day(D::Unspecified, &[("09:00", "17:00")])),
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].day_of_week");
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            time_zone: "UTC".into(),
            weekly_hours: vec![
                day(D::Monday, &[("09:00", "12:00")]),
                day(D::Monday, &[("13:00", "17:00")]),
            ],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[1].day_of_week");
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            closed_dates: vec![pb::ClosedDate {
                date: "2026-13-01".into(),
                reason: String::new(),
            }],
            ..office_calendar("UTC")
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.closed_dates[0].date");
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            closed_dates: vec![
                pb::ClosedDate {
                    date: "2026-12-25".into(),
                    reason: String::new(),
                },
                pb::ClosedDate {
                    date: "2026-12-25".into(),
                    reason: String::new(),
                },
            ],
            ..office_calendar("UTC")
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.closed_dates[1].date");
    // A special date on a closed date, and a special date whose intervals overlap, are
    // named at the special date.
    let special = |date: &str, intervals: &[(&str, &str)]| pb::SpecialDate {
        date: date.into(),
        intervals: intervals.iter().map(|(o, c)| interval(o, c)).collect(),
        reason: String::new(),
    };
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            closed_dates: vec![pb::ClosedDate {
                date: "2026-12-24".into(),
                reason: String::new(),
            }],
            special_dates: vec![special("2026-12-24", &[("09:00", "12:00")])],
            ..office_calendar("UTC")
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.special_dates[0].date");
    let e = create_calendar(
        &server,
        "bad",
        pb::Calendar {
            special_dates: vec![
                special("2026-12-23", &[("09:00", "12:00")]),
                special("2026-12-24", &[("09:00", "12:00"), ("11:00", "13:00")]),
            ],
            ..office_calendar("UTC")
        },
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "calendar.special_dates[1].intervals");
    let e = create_calendar(&server, "Bad_Id", office_calendar("UTC"))
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar_id");
    let e = server
        .accounts()
        .create_calendar(pb::CreateCalendarRequest {
            calendar_id: "bad".into(),
            calendar: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar");
    let e = server
        .accounts()
        .get_calendar(pb::GetCalendarRequest {
            name: "calendars/bad".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);

    // ListCalendars pages by name.
    for id in ["zeta", "alpha"] {
        create_calendar(&server, id, office_calendar("UTC"))
            .await
            .unwrap();
    }
    let mut client = server.accounts();
    let first = client
        .list_calendars(pb::ListCalendarsRequest {
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = first.calendars.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["calendars/alpha", "calendars/emea"]);
    assert!(!first.next_page_token.is_empty());
    let second = client
        .list_calendars(pb::ListCalendarsRequest {
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = second.calendars.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["calendars/zeta"]);
    assert_eq!(second.next_page_token, "");
    let e = client
        .list_calendars(pb::ListCalendarsRequest {
            page_size: -1,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_size");
    let e = client
        .list_calendars(pb::ListCalendarsRequest {
            page_size: 0,
            page_token: "%%%".into(),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "page_token");
    server.stop().await;
}

#[tokio::test]
async fn calendar_without_open_time_is_refused() {
    // account_service.proto, CreateCalendar: a calendar with no open time at all is
    // INVALID_ARGUMENT (reason NO_OPEN_TIME) naming `calendar.weekly_hours`.
    use pb::DayOfWeek as D;
    let server = TestServer::start().await;
    let err = create_calendar(
        &server,
        "closed",
        pb::Calendar {
            time_zone: "UTC".into(),
            weekly_hours: vec![day(D::Monday, &[])],
            ..Default::default()
        },
    )
    .await
    .expect_err("a calendar with no open time is refused");
    assert_invalid_field(&err, "calendar.weekly_hours");
    assert!(err.message().contains("no open time"), "{err:?}");
    // Nothing was stored.
    let missing = server
        .accounts()
        .get_calendar(pb::GetCalendarRequest {
            name: "calendars/closed".into(),
        })
        .await
        .expect_err("not stored");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn update_calendar_with_mask_keeps_other_fields_and_checks_etag() {
    use pb::DayOfWeek as D;
    let server = TestServer::start().await;
    let original = create_calendar(&server, "emea", office_calendar("Europe/Berlin"))
        .await
        .unwrap();
    let mut accounts = server.accounts();

    // closed_dates only: weekly hours, zone and display name are kept, although the
    // request leaves them empty.
    let updated = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                closed_dates: vec![pb::ClosedDate {
                    date: "2026-12-25".into(),
                    reason: "Christmas Day".into(),
                }],
                etag: original.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["closed_dates"]),
        })
        .await
        .expect("UpdateCalendar")
        .into_inner()
        .calendar
        .unwrap();
    assert_eq!(updated.weekly_hours, original.weekly_hours);
    assert_eq!(updated.time_zone, "Europe/Berlin");
    assert_eq!(updated.display_name, original.display_name);
    assert_eq!(updated.closed_dates.len(), 1);
    assert_eq!(updated.closed_dates[0].date, "2026-12-25");
    assert_ne!(updated.etag, original.etag);
    assert_eq!(updated.create_time, original.create_time);
    assert_eq!(get_calendar(&server, "calendars/emea").await, updated);

    // Stale etag: ABORTED and nothing written.
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                display_name: "Stale".into(),
                closed_dates: vec![],
                etag: original.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "closed_dates"]),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(get_calendar(&server, "calendars/emea").await, updated);

    // weekly_hours is replaced as a whole; 24:00 accepted, 24:01 refused by path.
    let replaced = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                weekly_hours: vec![day(D::Saturday, &[("00:00", "24:00")])],
                ..Default::default()
            }),
            update_mask: mask(&["weekly_hours"]),
        })
        .await
        .unwrap()
        .into_inner()
        .calendar
        .unwrap();
    assert_eq!(
        replaced.weekly_hours,
        [day(D::Saturday, &[("00:00", "24:00")])]
    );
    assert_eq!(replaced.closed_dates, updated.closed_dates, "kept");
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                weekly_hours: vec![day(D::Monday, &[("09:00", "24:01")])],
                ..Default::default()
            }),
            update_mask: mask(&["weekly_hours"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.weekly_hours[0].intervals[0].close_time");
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                time_zone: "Moon/Tranquility".into(),
                ..Default::default()
            }),
            update_mask: mask(&["time_zone"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "calendar.time_zone");
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            calendar: Some(pb::Calendar {
                name: "calendars/emea".into(),
                ..Default::default()
            }),
            update_mask: mask(&["holidays"]),
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "update_mask");
    let e = accounts
        .update_calendar(pb::UpdateCalendarRequest {
            calendar: Some(pb::Calendar {
                name: "calendars/apac".into(),
                display_name: "APAC".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    assert_eq!(get_calendar(&server, "calendars/emea").await, replaced);
    server.stop().await;
}

#[tokio::test]
async fn delete_calendar_is_refused_while_an_account_uses_it() {
    let server = TestServer::start().await;
    let cal = create_calendar(&server, "emea", office_calendar("Europe/Berlin"))
        .await
        .unwrap();
    create_account(
        &server,
        "acme",
        pb::Account {
            time_zone: "Europe/Berlin".into(),
            calendar: "calendars/emea".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut accounts = server.accounts();
    let e = accounts
        .delete_calendar(pb::DeleteCalendarRequest {
            name: "calendars/emea".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_precondition(&e, "accounts/acme");
    assert_eq!(get_calendar(&server, "calendars/emea").await, cal);

    // Back to the default hours (empty calendar through the mask).
    let acme = accounts
        .update_account(pb::UpdateAccountRequest {
            account: Some(pb::Account {
                name: "accounts/acme".into(),
                calendar: String::new(),
                ..Default::default()
            }),
            update_mask: mask(&["calendar"]),
        })
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(acme.calendar, "");

    let e = accounts
        .delete_calendar(pb::DeleteCalendarRequest {
            name: "calendars/emea".into(),
            etag: "\"999\"".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    accounts
        .delete_calendar(pb::DeleteCalendarRequest {
            name: "calendars/emea".into(),
            etag: cal.etag.clone(),
        })
        .await
        .expect("DeleteCalendar");
    let e = accounts
        .get_calendar(pb::GetCalendarRequest {
            name: "calendars/emea".into(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = accounts
        .delete_calendar(pb::DeleteCalendarRequest {
            name: "calendars/emea".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

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

#[tokio::test]
async fn update_contract_overrides_suspend_resume_and_etag() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let v1 = new_contract(
        &server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    )
    .await;
    let at = "2026-03-02T10:00:00Z";
    let r = check(&server, "acme", "technical_account_manager", at, None).await;
    assert!(!r.allowed);
    assert_eq!(r.reason, i32::from(pb::DecisionReason::BenefitNotInPlan));

    // Add a benefit through the sub-path mask; the rest of the request is ignored.
    let v2 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            plan: "plans/premium".into(),
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["technical_account_manager".into()],
                extra_designated_contacts: 7,
                ..Default::default()
            }),
            etag: v1.etag.clone(),
            ..Default::default()
        },
        &["overrides.added_benefits"],
    )
    .await
    .expect("UpdateContract");
    assert_eq!(v2.version, 2);
    assert_ne!(v2.etag, v1.etag);
    assert_eq!(v2.plan, "plans/standard", "plan not in the mask");
    let o = v2.overrides.clone().unwrap_or_default();
    assert_eq!(o.added_benefits, ["technical_account_manager"]);
    assert_eq!(o.extra_designated_contacts, 0, "not in the mask");
    assert_eq!(v2.create_time, v1.create_time);
    assert_eq!(get_contract(&server, &v1.name).await, v2);
    let r = check(&server, "acme", "technical_account_manager", at, None).await;
    assert!(r.allowed, "{r:?}");
    assert_eq!(r.reason, i32::from(pb::DecisionReason::Granted));
    let cref = r.contract.unwrap();
    assert_eq!(cref.contract, v1.name);
    assert_eq!(cref.version, 2);
    assert_eq!(cref.plan, "plans/standard");

    // Stale etag: ABORTED and nothing written.
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["upgrade_support".into()],
                ..Default::default()
            }),
            etag: v1.etag.clone(),
            ..Default::default()
        },
        &["overrides.added_benefits"],
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::Aborted);
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            state: pb::ContractState::Suspended.into(),
            etag: v1.etag.clone(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::Aborted);
    assert_eq!(get_contract(&server, &v1.name).await, v2, "unchanged");

    // Suspend: the check says CONTRACT_SUSPENDED and names the contract.
    let v3 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            state: pb::ContractState::Suspended.into(),
            etag: v2.etag.clone(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap();
    assert_eq!(v3.state, i32::from(pb::ContractState::Suspended));
    assert_eq!(v3.version, 3);
    assert_eq!(v3.overrides, v2.overrides, "kept");
    let r = check(&server, "acme", "online_support", at, None).await;
    assert!(!r.allowed);
    assert_eq!(r.reason, i32::from(pb::DecisionReason::ContractSuspended));
    let cref = r.contract.unwrap();
    assert_eq!(cref.contract, v1.name);
    assert_eq!(cref.version, 3);

    // Resume (empty etag: unconditional).
    let v4 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            state: pb::ContractState::Active.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap();
    assert_eq!(v4.state, i32::from(pb::ContractState::Active));
    assert_eq!(v4.version, 4);
    let r = check(&server, "acme", "technical_account_manager", at, None).await;
    assert!(r.allowed);
    assert_eq!(r.contract.unwrap().version, 4);

    // Whole overrides replaced; period changed with an empty mask.
    let v5 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            overrides: Some(pb::ContractOverrides {
                removed_benefits: vec!["community_knowledge_base".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
        &["overrides"],
    )
    .await
    .unwrap();
    let o = v5.overrides.clone().unwrap_or_default();
    assert!(o.added_benefits.is_empty(), "replaced as a whole");
    assert_eq!(o.removed_benefits, ["community_knowledge_base"]);
    let r = check(&server, "acme", "community_knowledge_base", at, None).await;
    assert_eq!(r.reason, i32::from(pb::DecisionReason::BenefitNotInPlan));
    let v6 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            end_time: Some(ts("2028-01-01T00:00:00Z")),
            ..Default::default()
        },
        &[],
    )
    .await
    .unwrap();
    assert_eq!(v6.end_time, Some(ts("2028-01-01T00:00:00Z")));
    assert_eq!(v6.version, 6);
    let v7 = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            ..Default::default()
        },
        &["end_time"],
    )
    .await
    .unwrap();
    assert_eq!(v7.end_time, None, "clearing end_time makes it open ended");

    // Errors.
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            state: pb::ContractState::Terminated.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "contract.state");
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            ..Default::default()
        },
        &["designated_contacts_limit"],
    )
    .await
    .unwrap_err();
    assert_invalid_field(&e, "update_mask");
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            overrides: Some(pb::ContractOverrides {
                added_benefits: vec!["free_lunch".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
        &["overrides.added_benefits"],
    )
    .await
    .unwrap_err();
    assert_invalid_field_under(&e, "contract.overrides.added_benefits");
    let e = update_contract(
        &server,
        pb::Contract {
            name: v1.name.clone(),
            end_time: Some(ts("2025-01-01T00:00:00Z")),
            ..Default::default()
        },
        &["end_time"],
    )
    .await
    .unwrap_err();
    assert_invalid_field_under(&e, "contract");
    let e = update_contract(
        &server,
        pb::Contract {
            name: "accounts/acme/contracts/nope".into(),
            state: pb::ContractState::Suspended.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = server
        .contracts()
        .update_contract(pb::UpdateContractRequest {
            contract: None,
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "contract");
    assert_eq!(get_contract(&server, &v1.name).await, v7, "unchanged");
    server.stop().await;
}

#[tokio::test]
async fn overlapping_contracts_are_refused_naming_the_other_contract() {
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let c2026 = new_contract(
        &server,
        "acme",
        "2026",
        "plans/standard",
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    )
    .await;

    let e = create_contract(
        &server,
        "acme",
        "overlap",
        contract_body("plans/premium", "2026-06-01T00:00:00Z", None),
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c2026.name);
    let e = create_contract(
        &server,
        "acme",
        "before",
        contract_body(
            "plans/premium",
            "2025-01-01T00:00:00Z",
            Some("2026-01-01T00:00:01Z"),
        ),
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c2026.name);

    // A suspended contract keeps its period.
    let e = create_contract(
        &server,
        "acme",
        "suspended",
        pb::Contract {
            state: pb::ContractState::Suspended.into(),
            ..contract_body("plans/premium", "2026-03-01T00:00:00Z", None)
        },
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c2026.name);

    // Periods are half-open: adjacent contracts do not overlap.
    let c2027 = new_contract(
        &server,
        "acme",
        "2027",
        "plans/premium",
        "2027-01-01T00:00:00Z",
        None,
    )
    .await;
    new_contract(
        &server,
        "acme",
        "2025",
        "plans/extended",
        "2025-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;

    // An update that would overlap is refused too, and nothing is written.
    let e = update_contract(
        &server,
        pb::Contract {
            name: c2027.name.clone(),
            start_time: Some(ts("2026-12-01T00:00:00Z")),
            etag: c2027.etag.clone(),
            ..Default::default()
        },
        &["start_time"],
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c2026.name);
    assert_eq!(get_contract(&server, &c2027.name).await, c2027);

    // Another account's contracts do not conflict.
    new_account(&server, "globex").await;
    new_contract(
        &server,
        "globex",
        "2026",
        "plans/premium",
        "2026-06-01T00:00:00Z",
        None,
    )
    .await;

    // After an early termination the freed period can be reused.
    terminate(&server, &c2026.name, Some("2026-07-01T00:00:00Z"), "")
        .await
        .unwrap();
    let h2 = new_contract(
        &server,
        "acme",
        "2026-h2",
        "plans/premium",
        "2026-07-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
    )
    .await;
    let r = check(
        &server,
        "acme",
        "phone_support",
        "2026-08-01T00:00:00Z",
        None,
    )
    .await;
    assert!(r.allowed);
    assert_eq!(r.contract.unwrap().contract, h2.name);
    server.stop().await;
}

#[tokio::test]
async fn terminate_contract_ends_it_at_terminate_time() {
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
    add_contact(&server, &c.name, "ops@example.com")
        .await
        .unwrap();

    let e = terminate(&server, &c.name, Some("2026-07-01T00:00:00Z"), &c.etag)
        .await
        .unwrap_err();
    assert_status(&e, Code::Aborted);
    let current = get_contract(&server, &c.name).await;
    assert_eq!(current.state, i32::from(pb::ContractState::Active));

    let t = terminate(
        &server,
        &c.name,
        Some("2026-07-01T00:00:00Z"),
        &current.etag,
    )
    .await
    .expect("TerminateContract");
    assert_eq!(t.state, i32::from(pb::ContractState::Terminated));
    assert_eq!(t.terminate_time, Some(ts("2026-07-01T00:00:00Z")));
    assert_eq!(t.version, current.version + 1);
    assert_eq!(get_contract(&server, &c.name).await, t);

    let before = check(
        &server,
        "acme",
        "phone_support",
        "2026-06-30T23:59:59Z",
        None,
    )
    .await;
    assert!(before.allowed, "still effective before terminate_time");
    assert_eq!(before.contract.unwrap().version, t.version);
    let after = check(
        &server,
        "acme",
        "phone_support",
        "2026-07-01T00:00:00Z",
        None,
    )
    .await;
    assert!(!after.allowed);
    assert_eq!(
        after.reason,
        i32::from(pb::DecisionReason::ContractTerminated)
    );
    assert_eq!(after.contract.unwrap().contract, c.name);

    // Terminated is final.
    let e = terminate(&server, &c.name, None, "").await.unwrap_err();
    assert_precondition(&e, &c.name);
    let e = update_contract(
        &server,
        pb::Contract {
            name: c.name.clone(),
            state: pb::ContractState::Active.into(),
            ..Default::default()
        },
        &["state"],
    )
    .await
    .unwrap_err();
    assert_precondition(&e, &c.name);
    let e = add_contact(&server, &c.name, "new@example.com")
        .await
        .unwrap_err();
    assert_precondition(&e, &c.name);
    let e = remove_contact(&server, &c.name, "ops@example.com")
        .await
        .unwrap_err();
    assert_precondition(&e, &c.name);
    assert_eq!(get_contract(&server, &c.name).await, t, "unchanged");

    // Errors.
    let e = terminate(&server, "accounts/acme/contracts/nope", None, "")
        .await
        .unwrap_err();
    assert_status(&e, Code::NotFound);
    let e = terminate(&server, "nope", None, "").await.unwrap_err();
    assert_invalid_field(&e, "name");
    server.stop().await;
}

#[tokio::test]
async fn terminate_before_start_cancels_a_scheduled_contract() {
    // contract_service.proto, TerminateContract.terminate_time: "Default now. ... At or
    // before start_time the contract never becomes effective." A contract that starts
    // in the future can therefore be cancelled with the default terminate_time.
    let server = TestServer::start().await;
    new_account(&server, "acme").await;
    let c = new_contract(
        &server,
        "acme",
        "future",
        "plans/standard",
        "2090-01-01T00:00:00Z",
        None,
    )
    .await;
    let t = terminate(&server, &c.name, None, "")
        .await
        .expect("terminating a not yet started contract");
    assert_eq!(t.state, i32::from(pb::ContractState::Terminated));
    let r = check(
        &server,
        "acme",
        "online_support",
        "2090-06-01T00:00:00Z",
        None,
    )
    .await;
    assert!(!r.allowed);
    assert_eq!(r.reason, i32::from(pb::DecisionReason::ContractTerminated));
    server.stop().await;
}

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
