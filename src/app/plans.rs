//! Plans: creating a custom plan and changing one (built-in plans are read-only).

use chrono::{DateTime, Utc};

use super::rules::current;
use crate::domain::Plan;
use crate::names::Name;
use crate::reason::Reason;
use crate::store::StoreError;
use crate::store::records::{Meta, PlanPatch, PlanRecord};
use crate::store::state::{Prepared, State, Write};

/// The rules of `Change::CreatePlan`: what it writes, or why it is refused.
pub(crate) fn create(
    state: &State,
    plan: Plan,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    if state.plan(&plan.id).is_some() {
        return Err(StoreError::AlreadyExists(Name::plan(&plan.id)));
    }
    let rec = PlanRecord {
        plan,
        meta: Meta::new(now),
    };
    Ok(Prepared::Plan(Write::create(rec)))
}

/// The rules of `Change::UpdatePlan`: what it writes, or why it is refused.
pub(crate) fn update(
    state: &State,
    id: String,
    patch: PlanPatch,
    etag: Option<String>,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let name = || Name::plan(&id);
    let found = state.plan(&id);
    // Read-only before stale: a built-in plan cannot change whatever the etag.
    if found.is_some_and(|p| p.plan.built_in) {
        return Err(StoreError::FailedPrecondition {
            reason: Reason::BuiltInPlanReadOnly,
            message: format!("{} is a built-in plan and is read-only", name()),
            subject: name(),
        });
    }
    let cur = current(found, name, &etag)?;
    let mut plan: Plan = cur.plan.clone();
    if let Some(v) = patch.display_name {
        plan.display_name = v;
    }
    if let Some(v) = patch.benefits {
        plan.benefits = v;
    }
    if let Some(v) = patch.terms {
        plan.terms = v;
    }
    if let Some(v) = patch.designated_contact_limit {
        plan.designated_contact_limit = v;
    }
    let rec = PlanRecord {
        plan,
        meta: cur.meta.bumped(now),
    };
    Ok(Prepared::Plan(Write::update(rec, cur.meta.revision)))
}
