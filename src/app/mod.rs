//! The use cases, one module each: the writes the API makes (plans, calendars, accounts,
//! contracts, designated contacts, obligation completions, tracked cases), each taking parsed domain
//! values and the state they are checked against and returning the records to write or
//! why the write is refused; and the questions answered from the snapshot
//! (`entitlements`, `deadlines`, `cases`, `obligations`), returning domain answers. This is the only place a write's rules live: the stores
//! persist what [`decide`] decided (the Postgres store calls it again against a fresher
//! snapshot when a row changed under it), and map database constraint names to the same
//! refusals ([`Reason`]). Refusals are [`StoreError`]s carrying a [`Reason`] and the
//! typed [`crate::names::Name`] of their subject.
//!
//! Arrows: `grpc -> app -> domain`, `app -> store`; nothing here knows about the wire.

pub mod accounts;
pub mod calendars;
pub mod case_list;
pub mod cases;
pub mod contacts;
pub mod contracts;
pub mod deadlines;
pub mod entitlements;
pub mod obligations;
pub mod plans;
mod rules;
pub mod seed;

use chrono::{DateTime, Utc};

pub use crate::reason::Reason;
use crate::store::request_ids::{Render, RequestKey};
use crate::store::state::{Prepared, State};
use crate::store::{Applied, Change, Store, StoreError};

/// Checks `change` against `state` on behalf of `principal` (recorded on contract
/// revisions) at `now`, and works out the records it writes, without writing them.
pub fn decide(
    state: &State,
    change: Change,
    principal: &str,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    match change {
        Change::CreatePlan(plan) => plans::create(state, plan, now),
        Change::UpdatePlan { id, patch, etag } => plans::update(state, id, patch, etag, now),
        Change::CreateCalendar {
            id,
            display_name,
            calendar,
        } => calendars::create(state, id, display_name, calendar, now),
        Change::UpdateCalendar { id, patch, etag } => {
            calendars::update(state, id, patch, etag, now)
        }
        Change::DeleteCalendar { id, etag } => calendars::delete(state, id, etag),
        Change::CreateAccount {
            id,
            display_name,
            time_zone,
            calendar_id,
        } => accounts::create(state, id, display_name, time_zone, calendar_id, now),
        Change::UpdateAccount { id, patch, etag } => accounts::update(state, id, patch, etag, now),
        Change::DeleteAccount { id, etag } => accounts::delete(state, id, etag),
        Change::CreateContract(contract) => contracts::create(state, contract, principal, now),
        Change::UpdateContract {
            account_id,
            id,
            patch,
            etag,
        } => contracts::update(state, account_id, id, patch, etag, principal, now),
        Change::TerminateContract {
            account_id,
            id,
            at,
            etag,
        } => contracts::terminate(state, account_id, id, at, etag, principal, now),
        Change::AddContact {
            account_id,
            id,
            contact,
        } => contacts::add(state, account_id, id, contact, principal, now),
        Change::RemoveContact {
            account_id,
            id,
            email,
        } => contacts::remove(state, account_id, id, email, principal, now),
        Change::RecordCompletion {
            account_id,
            id,
            completion,
        } => obligations::record_completion(state, account_id, id, completion, now),
        Change::CreateCase {
            account_id,
            id,
            external_reference,
            timeline,
        } => cases::create(state, account_id, id, external_reference, timeline, now),
        Change::UpdateCase { case, patch, etag } => cases::update(state, case, patch, etag, now),
        Change::MoveCase { case, step } => cases::move_case(state, case, step, now),
        Change::DeleteCase { case, etag } => cases::delete(state, case, etag),
    }
}

/// Applies `change` through `store` on behalf of `principal`; nothing is written when it
/// is refused.
pub async fn apply(
    store: &dyn Store,
    change: Change,
    principal: &str,
) -> Result<Applied, StoreError> {
    store
        .apply(&|state, now| decide(state, change.clone(), principal, now))
        .await
}

/// Like [`apply`], and records under `key`, in the write's transaction, the answer
/// `render` makes of what was applied (see [`Store::apply_once`]).
pub async fn apply_once(
    store: &dyn Store,
    change: Change,
    principal: &str,
    key: &RequestKey,
    render: Render<'_>,
) -> Result<Vec<u8>, StoreError> {
    store
        .apply_once(
            &|state, now| decide(state, change.clone(), principal, now),
            key,
            render,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Benefit, BenefitSet, ContractOverrides};
    use crate::domain::{Contract, ContractState};
    use crate::store::records::{ContractPatch, OverridesPatch};

    /// A state with account `acme` and its contract `c`, which withholds upgrade support
    /// and allows one extra contact.
    fn with_contract(now: DateTime<Utc>) -> State {
        let mut s = State::with_builtin_plans(now);
        let account = Change::CreateAccount {
            id: "acme".into(),
            display_name: "Acme".into(),
            time_zone: "Europe/Berlin".into(),
            calendar_id: None,
        };
        apply_to(&mut s, account, "test", now).expect("account");
        let mut overrides = ContractOverrides::default();
        overrides.removed_benefits.insert(Benefit::UpgradeSupport);
        overrides.extra_designated_contacts = 1;
        let contract = Contract {
            id: "c".into(),
            account_id: "acme".into(),
            plan_id: "standard".into(),
            start: now,
            end: None,
            state: ContractState::Active,
            terminated_at: None,
            overrides,
            contacts: vec![],
            technical_account_manager: None,
            version: 1,
        };
        apply_to(&mut s, Change::CreateContract(contract), "test", now).expect("contract");
        s
    }

    fn update_overrides(o: OverridesPatch, etag: Option<String>) -> Change {
        Change::UpdateContract {
            account_id: "acme".into(),
            id: "c".into(),
            patch: ContractPatch {
                overrides: Some(o),
                ..ContractPatch::default()
            },
            etag,
        }
    }

    /// Decides `change` against `s` and commits it, as the memory store does.
    fn apply_to(
        s: &mut State,
        change: Change,
        principal: &str,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        let prepared = decide(s, change, principal, now)?;
        Ok(s.commit(prepared))
    }

    fn one(b: Benefit) -> BenefitSet {
        let mut set = BenefitSet::default();
        set.insert(b);
        set
    }

    #[test]
    fn override_sub_fields_merge_into_the_stored_ones() {
        let now = Utc::now();
        let mut s = with_contract(now);
        let patch = OverridesPatch {
            added_benefits: Some(one(Benefit::TechnicalAccountManager)),
            ..OverridesPatch::default()
        };
        apply_to(
            &mut s,
            update_overrides(patch, Some("\"1\"".into())),
            "test",
            now,
        )
        .expect("update");
        let c = &s.contract("acme", "c").expect("contract").contract;
        assert_eq!(c.version, 2);
        assert_eq!(
            c.overrides.added_benefits,
            one(Benefit::TechnicalAccountManager)
        );
        assert_eq!(c.overrides.removed_benefits, one(Benefit::UpgradeSupport));
        assert_eq!(c.overrides.extra_designated_contacts, 1, "kept");
    }

    #[test]
    fn a_merge_that_breaks_the_overrides_is_refused_after_the_etag() {
        let now = Utc::now();
        let mut s = with_contract(now);
        let clash = || OverridesPatch {
            added_benefits: Some(one(Benefit::UpgradeSupport)),
            ..OverridesPatch::default()
        };
        let e = apply_to(&mut s, update_overrides(clash(), None), "test", now).unwrap_err();
        match e {
            StoreError::InvalidOverrides(e) => {
                let message = e.to_string();
                assert!(message.contains("both added and removed"), "{message}");
            }
            other => panic!("expected an invalid contract.overrides, got {other:?}"),
        }
        let e = apply_to(
            &mut s,
            update_overrides(clash(), Some("\"7\"".into())),
            "test",
            now,
        )
        .unwrap_err();
        assert!(matches!(e, StoreError::EtagMismatch { .. }), "{e:?}");
        assert_eq!(
            s.contract("acme", "c").expect("contract").contract.version,
            1
        );
    }
}
