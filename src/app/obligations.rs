//! Premium obligations: where each stands at an instant under the contract in force
//! (periods counted in the account's time zone), and recording that one was fulfilled:
//! only on a contract whose benefits include it, inside the contract's period and not in
//! the future; the same completion twice is recorded once.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::rules::current;
use crate::domain::entitlement::InForce;
use crate::domain::obligation::{ObligationReport, report};
use crate::domain::{Completion, Contract, ObligationKind};
use crate::names::Name;
use crate::reason::Reason;
use crate::store::StoreError;
use crate::store::records::ContractRecord;
use crate::store::state::{Prepared, State};

/// The rules of `Change::RecordCompletion`: what it writes, or why it is refused.
pub(crate) fn record_completion(
    state: &State,
    account_id: String,
    id: String,
    completion: Completion,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let name = || Name::contract(&account_id, &id);
    let cur = current(state.contract(&account_id, &id), name, &None)?.clone();
    let terms = state.terms_of(&cur.contract)?;
    let benefit = completion.kind.benefit();
    if !terms.benefits.contains(&benefit) {
        let name = Name::contract(&account_id, &id);
        return Err(StoreError::FailedPrecondition {
            reason: Reason::ObligationNotInPlan,
            message: format!(
                "{name} does not include {benefit}, so it has no {} obligation",
                completion.kind
            ),
            subject: name,
        });
    }
    crate::domain::obligation::check_completion(
        &completion,
        cur.contract.start,
        cur.contract.effective_end(),
        now,
    )?;
    // Recording the same completion twice (a retry) changes nothing.
    let duplicate = state
        .completions(&account_id, &id)
        .iter()
        .any(|c| c.same_event(&completion));
    Ok(Prepared::Completion {
        contract: cur,
        completion,
        duplicate,
    })
}

/// The time zone obligation periods are counted in: the account's own.
fn account_zone(state: &State, account_id: &str) -> Tz {
    state
        .account(account_id)
        .map_or(Tz::UTC, |a| a.office_hours.zone().tz())
}

/// The contract in force for `account` at `t` and every obligation its terms carry,
/// reported at `t`, ordered by kind; `None` when no contract is in force.
pub fn at<'s>(
    state: &'s State,
    account: &'s str,
    t: DateTime<Utc>,
) -> Result<Option<(&'s Contract, Vec<ObligationReport>)>, StoreError> {
    let (_, in_force) = state.in_force(account, t)?;
    let InForce::Effective { contract, terms } = in_force else {
        return Ok(None);
    };
    let completions = state.completions(&contract.account_id, &contract.id);
    let zone = account_zone(state, &contract.account_id);
    let reports = ObligationKind::ALL
        .into_iter()
        .filter(|k| terms.benefits.contains(&k.benefit()))
        .map(|k| {
            report(
                k,
                zone,
                contract.start,
                contract.effective_end(),
                completions,
                t,
            )
        })
        .collect();
    Ok(Some((contract, reports)))
}

/// The obligation `completion` was recorded for, reported on `rec`'s contract: at `now`
/// if the contract is in force then, else at the completion. Counts the completion
/// whether or not `state` holds it yet (the answer to a request with an id is made before
/// its write commits), and once only (a retry of the same completion).
pub fn after_recording(
    state: &State,
    rec: &ContractRecord,
    completion: &Completion,
    now: DateTime<Utc>,
) -> ObligationReport {
    let c = &rec.contract;
    let mut completions = state.completions(&c.account_id, &c.id).to_vec();
    if !completions.iter().any(|x| x.same_event(completion)) {
        completions.push(completion.clone());
    }
    let at = if c.is_effective(now) {
        now
    } else {
        completion.at
    };
    report(
        completion.kind,
        account_zone(state, &c.account_id),
        c.start,
        c.effective_end(),
        &completions,
        at,
    )
}
