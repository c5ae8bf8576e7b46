//! Designated contacts: adding one within the contract's limit (its plan's plus the
//! contract's extra), removing one; each change is a contract revision.

use chrono::{DateTime, Utc};

use super::rules::{current, domain_to_store, next_version};
use crate::domain::DesignatedContact;
use crate::names::Name;
use crate::store::StoreError;
use crate::store::state::{Prepared, State};

/// The rules of `Change::AddContact`: what it writes, or why it is refused.
pub(crate) fn add(
    state: &State,
    account_id: String,
    id: String,
    contact: DesignatedContact,
    principal: &str,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let name = || Name::contract(&account_id, &id);
    let cur = current(state.contract(&account_id, &id), name, &None)?;
    let terms = state.terms_of(&cur.contract)?;
    let mut c = cur.contract.clone();
    c.add_contact(contact, &terms)
        .map_err(|e| domain_to_store(&account_id, &id, e))?;
    Ok(next_version(
        cur,
        c,
        principal,
        now,
        "add_designated_contact",
    ))
}

/// The rules of `Change::RemoveContact`: what it writes, or why it is refused.
pub(crate) fn remove(
    state: &State,
    account_id: String,
    id: String,
    email: String,
    principal: &str,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let name = || Name::contract(&account_id, &id);
    let cur = current(state.contract(&account_id, &id), name, &None)?;
    let mut c = cur.contract.clone();
    c.remove_contact(&email)
        .map_err(|e| domain_to_store(&account_id, &id, e))?;
    Ok(next_version(
        cur,
        c,
        principal,
        now,
        "remove_designated_contact",
    ))
}
