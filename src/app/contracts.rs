//! Contracts: create, change and terminate one; every new or changed contract is checked
//! against its own rules, its plan and the account's other contracts (no two in force at
//! once), and every change records a revision.

use chrono::{DateTime, Utc};

use super::rules::{check_contract, contract_write, current, domain_to_store, next_version};
use crate::domain::{Contract, ContractState, DomainError};
use crate::names::Name;
use crate::store::StoreError;
use crate::store::records::{ContractPatch, ContractRecord};
use crate::store::state::{Prepared, State};

/// The rules of `Change::CreateContract`: what it writes, or why it is refused.
pub(crate) fn create(
    state: &State,
    contract: Contract,
    principal: &str,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    if state.account(&contract.account_id).is_none() {
        return Err(StoreError::NotFound(Name::account(&contract.account_id)));
    }
    if state.contract(&contract.account_id, &contract.id).is_some() {
        return Err(StoreError::AlreadyExists(Name::contract(
            &contract.account_id,
            &contract.id,
        )));
    }
    let mut contract = contract;
    contract.version = 1;
    check_contract(state, &contract)?;
    let rec = ContractRecord {
        contract,
        created_at: now,
        updated_at: now,
    };
    Ok(contract_write(principal, now, "create", None, rec))
}

/// The rules of `Change::UpdateContract`: what it writes, or why it is refused.
pub(crate) fn update(
    state: &State,
    account_id: String,
    id: String,
    patch: ContractPatch,
    etag: Option<String>,
    principal: &str,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let name = || Name::contract(&account_id, &id);
    let cur = current(state.contract(&account_id, &id), name, &etag)?;
    let mut c = cur.contract.clone();
    // Merged and checked ahead of the other rules: an overlap the merge makes
    // (a benefit both added and removed) is a problem with the request.
    if let Some(o) = patch.overrides {
        c.overrides = o.apply_to(&c.overrides);
        c.overrides.check().map_err(StoreError::InvalidOverrides)?;
    }
    cur.contract
        .ensure_not_terminated()
        .map_err(|e| domain_to_store(&account_id, &id, e))?;
    if let Some(v) = patch.plan_id {
        c.plan_id = v;
    }
    if let Some(v) = patch.start {
        c.start = v;
    }
    if let Some(v) = patch.end {
        c.end = v;
    }
    if let Some(v) = patch.state {
        if v == ContractState::Terminated {
            return Err(StoreError::Domain(DomainError::InvalidContract(
                "use TerminateContract to terminate a contract".into(),
            )));
        }
        c.state = v;
    }
    if let Some(v) = patch.technical_account_manager {
        c.technical_account_manager = v;
    }
    check_contract(state, &c)?;
    Ok(next_version(cur, c, principal, now, "update"))
}

/// The rules of `Change::TerminateContract`: what it writes, or why it is refused.
pub(crate) fn terminate(
    state: &State,
    account_id: String,
    id: String,
    at: DateTime<Utc>,
    etag: Option<String>,
    principal: &str,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let name = || Name::contract(&account_id, &id);
    let cur = current(state.contract(&account_id, &id), name, &etag)?;
    let mut c = cur.contract.clone();
    c.terminate(at)
        .map_err(|e| domain_to_store(&account_id, &id, e))?;
    Ok(next_version(cur, c, principal, now, "terminate"))
}
