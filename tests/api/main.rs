//! The end-to-end API tests, one binary: every RPC of the public services called through
//! the generated tonic clients against the real server on a real socket (127.0.0.1,
//! port 0). Each test starts its own server and builds what it needs in code, through
//! the API (helpers.rs, fixtures.rs); only demo_seed.rs loads `examples/demo-seed.yaml`.
//! One module per resource or use case.

#[path = "../common/mod.rs"]
mod common;

mod fixtures;
mod helpers;

mod accounts;
mod at_risk;
mod availability;
mod batch_checks;
mod business_time;
mod calendars;
mod cases;
mod contacts;
mod contract_changes;
mod contracts;
mod deadlines;
mod demo_seed;
mod entitlement_summary;
mod entitlements;
mod escalation;
mod obligations;
mod plan_updates;
mod plans;
mod request_ids;
mod revisions;
mod store_conformance;
mod tracked_cases;
