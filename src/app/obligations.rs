//! Recording that an obligation was fulfilled: only on a contract whose benefits include
//! it, inside the contract's period and not in the future; the same completion twice is
//! recorded once.

use chrono::{DateTime, Utc};

use super::rules::current;
use crate::domain::Completion;
use crate::names::Name;
use crate::reason::Reason;
use crate::store::StoreError;
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
        .any(|c| c.kind == completion.kind && c.at == completion.at);
    Ok(Prepared::Completion {
        contract: cur,
        completion,
        duplicate,
    })
}
