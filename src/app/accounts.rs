//! Accounts: create one (its calendar must exist), change it, and delete one that has no
//! contract left in force or waiting.

use chrono::{DateTime, Utc};

use super::rules::{current, require_calendar};
use crate::domain::{Calendar, ContractState};
use crate::names::Name;
use crate::store::StoreError;
use crate::store::records::{AccountPatch, AccountRecord, Meta};
use crate::store::state::{Prepared, State, Write};

/// The rules of `Change::CreateAccount`: what it writes, or why it is refused.
pub(crate) fn create(
    state: &State,
    id: String,
    display_name: String,
    time_zone: String,
    calendar_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    if state.account(&id).is_some() {
        return Err(StoreError::AlreadyExists(Name::account(&id)));
    }
    require_calendar(state, calendar_id.as_deref())?;
    let rec = AccountRecord {
        office_hours: Calendar::shared_office_hours(&time_zone)?,
        id: id.clone(),
        display_name,
        time_zone,
        calendar_id,
        meta: Meta::new(now),
    };
    Ok(Prepared::Account(Write::create(rec)))
}

/// The rules of `Change::UpdateAccount`: what it writes, or why it is refused.
pub(crate) fn update(
    state: &State,
    id: String,
    patch: AccountPatch,
    etag: Option<String>,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let cur = current(state.account(&id), || Name::account(&id), &etag)?;
    let mut rec = cur.clone();
    if let Some(v) = patch.display_name {
        rec.display_name = v;
    }
    if let Some(tz) = patch.time_zone {
        rec.office_hours = Calendar::shared_office_hours(&tz)?;
        rec.time_zone = tz;
    }
    if let Some(v) = patch.calendar_id {
        require_calendar(state, v.as_deref())?;
        rec.calendar_id = v;
    }
    rec.meta = cur.meta.bumped(now);
    Ok(Prepared::Account(Write::update(rec, cur.meta.revision)))
}

/// The rules of `Change::DeleteAccount`: what it writes, or why it is refused.
pub(crate) fn delete(
    state: &State,
    id: String,
    etag: Option<String>,
) -> Result<Prepared, StoreError> {
    let cur = current(state.account(&id), || Name::account(&id), &etag)?;
    // Only ACTIVE or SUSPENDED contracts block the delete; terminated ones go
    // with the account, with their revisions and completions.
    if let Some(c) = state
        .contracts_of(&id)
        .find(|c| c.contract.state != ContractState::Terminated)
    {
        return Err(StoreError::account_has_contracts(
            Name::account(&id),
            Some(Name::contract(&id, &c.contract.id)),
        ));
    }
    Ok(Prepared::DeleteAccount {
        id,
        revision: cur.meta.revision,
    })
}
