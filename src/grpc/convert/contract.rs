//! Contracts: contract states, overrides, the technical account manager, designated
//! contacts, contracts and their revisions on the wire, and the contract reference every
//! contract-dependent answer carries.

use chrono::{DateTime, Utc};

use super::names::{display_name, plan_id};
use super::terms::{benefit_keys, benefit_set, count, pb_terms, priority_terms};
use super::time::{opt_time, opt_ts, time, ts};
use crate::domain::{
    Contract, ContractOverrides, ContractState, DesignatedContact, TechnicalAccountManager,
};
use crate::grpc::error::{ApiError, FieldContext};
use crate::grpc::pb;
use crate::names::{ContractName, PlanName};
use crate::store::records::{ContractRecord, Revision};

type Result<T> = std::result::Result<T, ApiError>;

fn pb_contract_state(s: ContractState) -> i32 {
    match s {
        ContractState::Active => pb::ContractState::Active,
        ContractState::Suspended => pb::ContractState::Suspended,
        ContractState::Terminated => pb::ContractState::Terminated,
    }
    .into()
}

/// A contract state a client may set (suspend or resume).
pub fn contract_state(v: i32, field: &str) -> Result<ContractState> {
    match pb::ContractState::try_from(v) {
        Ok(pb::ContractState::Active) => Ok(ContractState::Active),
        Ok(pb::ContractState::Suspended) => Ok(ContractState::Suspended),
        Ok(pb::ContractState::Terminated) => Err(ApiError::field(
            field,
            "use TerminateContract to terminate a contract",
        )),
        _ => Err(ApiError::field(
            field,
            "must be CONTRACT_STATE_ACTIVE or CONTRACT_STATE_SUSPENDED",
        )),
    }
}

/// Contract overrides from the wire.
pub fn overrides(o: &Option<pb::ContractOverrides>, field: &str) -> Result<ContractOverrides> {
    let Some(o) = o else {
        return Ok(ContractOverrides::default());
    };
    let out = ContractOverrides {
        added_benefits: benefit_set(&o.added_benefits, &format!("{field}.added_benefits"))?,
        removed_benefits: benefit_set(&o.removed_benefits, &format!("{field}.removed_benefits"))?,
        priority_terms: priority_terms(&o.priority_terms, &format!("{field}.priority_terms"))?,
        extra_designated_contacts: count(
            o.extra_designated_contacts,
            &format!("{field}.extra_designated_contacts"),
        )?,
    };
    out.check().field(field)?;
    Ok(out)
}

fn pb_overrides(o: &ContractOverrides) -> pb::ContractOverrides {
    pb::ContractOverrides {
        added_benefits: benefit_keys(&o.added_benefits),
        removed_benefits: benefit_keys(&o.removed_benefits),
        priority_terms: pb_terms(&o.priority_terms),
        extra_designated_contacts: i32::try_from(o.extra_designated_contacts).unwrap_or(i32::MAX),
    }
}

/// A new contract from the wire.
pub fn new_contract(account_id: &str, id: &str, c: &pb::Contract) -> Result<Contract> {
    let contract = Contract {
        id: id.to_owned(),
        account_id: account_id.to_owned(),
        plan_id: plan_id(&c.plan, "contract.plan")?.to_owned(),
        start: time(&c.start_time, "contract.start_time")?,
        end: opt_time(&c.end_time, "contract.end_time")?,
        state: match c.state {
            0 => ContractState::Active,
            s => contract_state(s, "contract.state")?,
        },
        terminated_at: None,
        overrides: overrides(&c.overrides, "contract.overrides")?,
        contacts: Vec::new(),
        technical_account_manager: technical_account_manager(
            &c.technical_account_manager,
            "contract.technical_account_manager",
        )?,
        version: 1,
    };
    contract.check().field("contract")?;
    Ok(contract)
}

/// A contract's TAM from the wire (absent: none assigned); the email is trimmed and
/// lower-cased.
pub fn technical_account_manager(
    t: &Option<pb::TechnicalAccountManager>,
    field: &str,
) -> Result<Option<TechnicalAccountManager>> {
    let Some(t) = t else { return Ok(None) };
    let email = t.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ApiError::required(&format!("{field}.email")));
    }
    crate::domain::contract::check_email(&email).field(&format!("{field}.email"))?;
    Ok(Some(TechnicalAccountManager {
        display_name: display_name(&t.display_name, &format!("{field}.display_name"))?,
        email,
    }))
}

/// A TAM on the wire.
pub fn pb_technical_account_manager(t: &TechnicalAccountManager) -> pb::TechnicalAccountManager {
    pb::TechnicalAccountManager {
        display_name: t.display_name.clone(),
        email: t.email.clone(),
    }
}

/// A designated contact from the wire; the email is trimmed and lower-cased.
pub fn contact(c: &Option<pb::DesignatedContact>, now: DateTime<Utc>) -> Result<DesignatedContact> {
    let c = c.as_ref().ok_or_else(|| ApiError::required("contact"))?;
    let email = c.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ApiError::required("contact.email"));
    }
    crate::domain::contract::check_email(&email).field("contact.email")?;
    Ok(DesignatedContact {
        email,
        display_name: display_name(&c.display_name, "contact.display_name")?,
        added_at: now,
    })
}

/// A contract on the wire.
pub fn pb_contract(c: &Contract, created: DateTime<Utc>, updated: DateTime<Utc>) -> pb::Contract {
    pb::Contract {
        name: ContractName::new(&c.account_id, &c.id).to_name_string(),
        plan: PlanName { id: &c.plan_id }.to_name_string(),
        start_time: Some(ts(c.start)),
        end_time: opt_ts(c.end),
        state: pb_contract_state(c.state),
        terminate_time: opt_ts(c.terminated_at),
        overrides: Some(pb_overrides(&c.overrides)),
        designated_contacts: pb_contacts(&c.contacts),
        version: c.version,
        etag: format!("\"{}\"", c.version),
        create_time: Some(ts(created)),
        update_time: Some(ts(updated)),
        technical_account_manager: c
            .technical_account_manager
            .as_ref()
            .map(pb_technical_account_manager),
    }
}

/// A stored contract on the wire.
pub fn pb_contract_record(r: &ContractRecord) -> pb::Contract {
    pb_contract(&r.contract, r.created_at, r.updated_at)
}

/// Designated contacts on the wire.
pub fn pb_contacts(list: &[DesignatedContact]) -> Vec<pb::DesignatedContact> {
    list.iter()
        .map(|d| pb::DesignatedContact {
            email: d.email.clone(),
            display_name: d.display_name.clone(),
            add_time: Some(ts(d.added_at)),
        })
        .collect()
}

/// A revision on the wire.
pub fn pb_revision(r: &Revision, created: DateTime<Utc>) -> pb::ContractRevision {
    pb::ContractRevision {
        version: r.version,
        principal: r.principal.clone(),
        create_time: Some(ts(r.at)),
        action: r.action.clone(),
        before: r.before.as_ref().map(|c| pb_contract(c, created, r.at)),
        after: Some(pb_contract(&r.after, created, r.at)),
    }
}

/// The reference every contract-dependent answer carries.
pub fn contract_ref(c: &Contract) -> pb::ContractRef {
    pb::ContractRef {
        contract: ContractName::new(&c.account_id, &c.id).to_name_string(),
        version: c.version,
        plan: PlanName { id: &c.plan_id }.to_name_string(),
    }
}
