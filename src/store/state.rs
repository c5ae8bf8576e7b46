//! The in-memory model of everything stored, and the records a decided write puts into
//! it ([`Prepared`], committed by [`State::commit`]). The rules that decide a write live
//! in `app`; the memory store is this model behind a lock, and the hot path (checks and
//! deadlines) always reads from it, whatever the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::cases::{CaseRecord, Cases};
use super::error::StoreError;
use super::records::{
    AccountRecord, Applied, CalendarRecord, ContractRecord, Meta, PlanRecord, Revision,
};
use crate::domain::entitlement::InForce;
use crate::domain::{
    Calendar, CaseEvaluation, CaseOutlook, Completion, Contract, ContractAt, Terms,
    catalog::builtin::builtin_plans, contract_at, evaluate_case,
};
use crate::names::Name;

/// Everything stored, indexed for the reads the API makes.
#[derive(Debug, Default)]
pub struct State {
    /// Plans by id.
    plans: BTreeMap<String, PlanRecord>,
    /// Calendars by id.
    calendars: BTreeMap<String, CalendarRecord>,
    /// Accounts by id. Hashed: every check and deadline looks one up, and a B-tree of
    /// `String` keys costs a cache miss per key compared at a hundred thousand accounts.
    accounts: HashMap<String, AccountRecord>,
    /// The ids of `accounts` in order, for listing.
    account_ids: BTreeSet<String>,
    /// Contracts by account id (hashed, like `accounts`), then contract id.
    // A small sorted Vec per account: a BTreeMap node per account would cost kilobytes
    // at a hundred thousand accounts.
    contracts: HashMap<String, Vec<ContractRecord>>,
    /// Obligation completions by (account id, contract id).
    completions: BTreeMap<(String, String), Vec<Completion>>,
    /// Contract revisions by (account id, contract id), oldest first.
    revisions: BTreeMap<(String, String), Vec<Revision>>,
    /// Tracked cases: every open one, indexed by due instant, and the resolved ones
    /// unless `drop_resolved_cases`.
    cases: Cases,
    /// Resolved cases are kept only in the source of truth (the Postgres store), not
    /// here.
    drop_resolved_cases: bool,
}

/// What a case of an account is evaluated under: the contract in force at its opening
/// (if any) with its terms, and the account's calendar.
#[derive(Debug)]
pub struct CaseTerms<'a> {
    /// The contract in force at the opening.
    pub contract: Option<&'a Contract>,
    /// Its terms.
    pub terms: Option<Terms>,
    /// The account's calendar.
    pub calendar: &'a Calendar,
}

impl State {
    /// A state holding only the built-in plans, created at `now`.
    pub fn with_builtin_plans(now: DateTime<Utc>) -> State {
        let mut s = State::default();
        for plan in builtin_plans() {
            s.plans.insert(
                plan.id.clone(),
                PlanRecord {
                    plan,
                    meta: Meta::new(now),
                },
            );
        }
        s
    }

    /// A plan by id.
    pub fn plan(&self, id: &str) -> Option<&PlanRecord> {
        self.plans.get(id)
    }

    /// A calendar by id.
    pub fn calendar(&self, id: &str) -> Option<&CalendarRecord> {
        self.calendars.get(id)
    }

    /// An account by id.
    pub fn account(&self, id: &str) -> Option<&AccountRecord> {
        self.accounts.get(id)
    }

    /// The business-hours calendar an account's targets run on.
    /// Borrowed, not cloned: both worker threads bumping the reference count of the same
    /// few calendars would bounce its cache line between cores on every request.
    pub fn account_calendar<'a>(&'a self, account: &'a AccountRecord) -> &'a Arc<Calendar> {
        account
            .calendar_id
            .as_deref()
            .and_then(|id| self.calendars.get(id))
            .map_or(&account.office_hours, |c| &c.calendar)
    }

    /// A contract by account and id.
    pub fn contract(&self, account_id: &str, id: &str) -> Option<&ContractRecord> {
        self.contracts
            .get(account_id)?
            .iter()
            .find(|c| c.contract.id == id)
    }

    /// Inserts or replaces a contract, keeping the account's list sorted by id.
    fn put_contract_record(&mut self, rec: ContractRecord) {
        let list = self
            .contracts
            .entry(rec.contract.account_id.clone())
            .or_default();
        match list.binary_search_by(|c| c.contract.id.cmp(&rec.contract.id)) {
            Ok(i) => list[i] = rec,
            Err(i) => list.insert(i, rec),
        }
    }

    /// An account's contracts, by id.
    pub fn contracts_of<'a>(
        &'a self,
        account_id: &str,
    ) -> impl Iterator<Item = &'a ContractRecord> + Clone + 'a {
        self.contracts
            .get(account_id)
            .into_iter()
            .flat_map(|m| m.iter())
    }

    /// A contract's obligation completions.
    pub fn completions(&self, account_id: &str, id: &str) -> &[Completion] {
        self.completions
            .get(&(account_id.to_owned(), id.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// A contract's revisions, oldest first.
    pub fn revisions(&self, account_id: &str, id: &str) -> &[Revision] {
        self.revisions
            .get(&(account_id.to_owned(), id.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// Plans with ids after `after`, in id order.
    pub fn plans_after<'a>(&'a self, after: &str) -> impl Iterator<Item = &'a PlanRecord> {
        self.plans
            .range::<str, _>((Bound::Excluded(after), Bound::Unbounded))
            .map(|(_, p)| p)
    }

    /// Calendars with ids after `after`, in id order.
    pub fn calendars_after<'a>(&'a self, after: &str) -> impl Iterator<Item = &'a CalendarRecord> {
        self.calendars
            .range::<str, _>((Bound::Excluded(after), Bound::Unbounded))
            .map(|(_, c)| c)
    }

    /// Accounts with ids after `after`, in id order.
    pub fn accounts_after<'a>(&'a self, after: &str) -> impl Iterator<Item = &'a AccountRecord> {
        self.account_ids
            .range::<str, _>((Bound::Excluded(after), Bound::Unbounded))
            .filter_map(|id| self.accounts.get(id))
    }

    /// Inserts or replaces an account.
    fn put_account_record(&mut self, rec: AccountRecord) {
        if !self.account_ids.contains(&rec.id) {
            self.account_ids.insert(rec.id.clone());
        }
        self.accounts.insert(rec.id.clone(), rec);
    }

    /// Number of accounts, for reporting.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The tracked cases held.
    pub fn cases(&self) -> &Cases {
        &self.cases
    }

    /// A tracked case by account and id, if this state holds it.
    pub fn case(&self, account_id: &str, id: &str) -> Option<&CaseRecord> {
        self.cases.get(account_id, id)
    }

    /// Keep resolved cases only in the source of truth from now on (the Postgres store).
    pub(crate) fn drop_resolved_cases(&mut self) {
        self.drop_resolved_cases = true;
    }

    /// Whether this state holds every resolved case (else they are read through).
    pub fn holds_resolved_cases(&self) -> bool {
        !self.drop_resolved_cases
    }

    /// What a case of `account_id` opened at `opened_at` is evaluated under.
    pub fn case_terms<'a>(
        &'a self,
        account_id: &'a str,
        opened_at: DateTime<Utc>,
    ) -> Result<CaseTerms<'a>, StoreError> {
        let (account, in_force) = self.in_force(account_id, opened_at)?;
        let (contract, terms) = match in_force {
            InForce::Effective { contract, terms } => (Some(contract), Some(terms)),
            InForce::Denied { .. } => (None, None),
        };
        Ok(CaseTerms {
            contract,
            terms,
            calendar: self.account_calendar(account),
        })
    }

    /// The outlook of a case from `now` on (from its last recorded event if later);
    /// `None` if it cannot be evaluated.
    pub fn outlook_of(&self, rec: &CaseRecord, now: DateTime<Utc>) -> Option<CaseOutlook> {
        let eval = self.evaluation_of(rec, now.max(rec.timeline.last_recorded()))?;
        Some(CaseOutlook::of(&eval, rec.resolved()))
    }

    /// A stored case evaluated at `at` under the terms in force; `None` if it cannot be.
    pub fn evaluation_of(&self, rec: &CaseRecord, at: DateTime<Utc>) -> Option<CaseEvaluation> {
        let under = self
            .case_terms(rec.account_id(), rec.timeline.opened_at())
            .ok()?;
        evaluate_case(
            under.terms.as_ref(),
            under.calendar,
            &rec.case_timeline(),
            at,
        )
        .ok()
    }

    /// Replaces the cases held with `cases` (built apart, their outlooks worked out
    /// against this state).
    pub(crate) fn set_cases(&mut self, cases: Cases) {
        self.cases = cases;
    }

    /// Puts a case in, with its outlook worked out (or takes it out, when resolved
    /// cases are not held here).
    fn put_case_record(&mut self, mut rec: CaseRecord) {
        if rec.resolved() && self.drop_resolved_cases {
            self.cases.remove(rec.account_id(), rec.id());
            return;
        }
        rec.outlook = self.outlook_of(&rec, Utc::now());
        self.cases.put(rec);
    }

    /// Replaces (or, with `None`, removes) one case as loaded from elsewhere.
    pub fn put_case(&mut self, account_id: &str, id: &str, rec: Option<CaseRecord>) {
        match rec {
            Some(r) => self.put_case_record(r),
            None => {
                self.cases.remove(account_id, id);
            }
        }
    }

    /// Works the outlook of every case of `account_id` out again (its terms or
    /// calendar changed).
    fn refresh_cases_of(&mut self, account_id: &str) {
        if self.cases.of_account(account_id).is_empty() {
            return;
        }
        let now = Utc::now();
        let fresh: Vec<_> = self
            .cases
            .of_account(account_id)
            .iter()
            .map(|r| self.outlook_of(r, now))
            .collect();
        let mut fresh = fresh.into_iter();
        self.cases
            .refresh(account_id, |_| fresh.next().unwrap_or_default());
    }

    /// Works the outlook of the cases of every account `touched` selects out again.
    fn refresh_cases_where(&mut self, touched: impl Fn(&State, &str) -> bool) {
        let accounts: Vec<String> = self
            .cases
            .accounts()
            .filter(|a| touched(self, a))
            .map(|a| a.to_string())
            .collect();
        for a in accounts {
            self.refresh_cases_of(&a);
        }
    }

    /// After a plan changed: every account with a contract on it.
    fn refresh_cases_on_plan(&mut self, plan_id: &str) {
        self.refresh_cases_where(|s, a| s.contracts_of(a).any(|c| c.contract.plan_id == plan_id));
    }

    /// After a calendar changed: every account using it.
    fn refresh_cases_on_calendar(&mut self, calendar_id: &str) {
        self.refresh_cases_where(|s, a| {
            s.account(a)
                .is_some_and(|r| r.calendar_id.as_deref() == Some(calendar_id))
        });
    }

    /// The account and the contract in force for it at `t`, with that contract's terms.
    pub fn in_force<'a>(
        &'a self,
        account_id: &'a str,
        t: DateTime<Utc>,
    ) -> Result<(&'a AccountRecord, InForce<'a>), StoreError> {
        let account = self
            .accounts
            .get(account_id)
            .ok_or_else(|| StoreError::NotFound(Name::account(account_id)))?;
        let contracts = self.contracts_of(account_id).map(|r| &r.contract);
        let in_force = match contract_at(contracts, t) {
            ContractAt::Effective(contract) => InForce::Effective {
                contract,
                terms: self.terms_of(contract)?,
            },
            ContractAt::Denied(reason, contract) => InForce::Denied { reason, contract },
        };
        Ok((account, in_force))
    }

    /// The terms a contract's plan and overrides give.
    pub fn terms_of(&self, c: &Contract) -> Result<crate::domain::Terms, StoreError> {
        let plan = self
            .plans
            .get(&c.plan_id)
            .ok_or_else(|| StoreError::NotFound(Name::plan(&c.plan_id)))?;
        Ok(c.terms(&plan.plan))
    }

    /// Writes prepared records into the state.
    pub fn commit(&mut self, prepared: Prepared) -> Applied {
        match prepared {
            Prepared::Plan(w) => {
                self.plans
                    .insert(w.record.plan.id.clone(), w.record.clone());
                self.refresh_cases_on_plan(&w.record.plan.id);
                Applied::Plan(w.record)
            }
            Prepared::Calendar(w) => {
                self.calendars.insert(w.record.id.clone(), w.record.clone());
                self.refresh_cases_on_calendar(&w.record.id);
                Applied::Calendar(w.record)
            }
            Prepared::DeleteCalendar { id, .. } => {
                self.calendars.remove(&id);
                Applied::Deleted
            }
            Prepared::Account(w) => {
                self.put_account_record(w.record.clone());
                self.refresh_cases_of(&w.record.id);
                Applied::Account(w.record)
            }
            Prepared::DeleteAccount { id, .. } => {
                if let Some(contracts) = self.contracts.remove(&id) {
                    for c in contracts {
                        let key = (id.clone(), c.contract.id);
                        self.revisions.remove(&key);
                        self.completions.remove(&key);
                    }
                }
                self.accounts.remove(&id);
                self.account_ids.remove(&id);
                self.cases.remove_account(&id);
                Applied::Deleted
            }
            Prepared::Contract { write, revision } => {
                let rec = write.record;
                let key = (rec.contract.account_id.clone(), rec.contract.id.clone());
                self.revisions
                    .entry(key.clone())
                    .or_default()
                    .push(revision);
                self.put_contract_record(rec.clone());
                self.refresh_cases_of(&rec.contract.account_id);
                Applied::Contract(rec)
            }
            Prepared::Completion {
                contract,
                completion,
                duplicate,
            } => {
                let kind = completion.kind;
                if !duplicate {
                    let key = (
                        contract.contract.account_id.clone(),
                        contract.contract.id.clone(),
                    );
                    self.completions.entry(key).or_default().push(completion);
                }
                Applied::Completion(contract, kind)
            }
            Prepared::Case {
                write, unchanged, ..
            } => {
                if unchanged {
                    return Applied::Case(Box::new(write.record));
                }
                self.put_case_record(write.record.clone());
                let rec = self
                    .case(write.record.account_id(), write.record.id())
                    .cloned()
                    .unwrap_or(write.record);
                Applied::Case(Box::new(rec))
            }
            Prepared::DeleteCase { account_id, id, .. } => {
                self.cases.remove(&account_id, &id);
                Applied::Deleted
            }
        }
    }

    /// Replaces (or, with `None`, removes) one contract as loaded from elsewhere, with its
    /// revisions and completions; used by stores that keep this state as a replica.
    pub fn put_contract(
        &mut self,
        account_id: &str,
        id: &str,
        loaded: Option<(ContractRecord, Vec<Revision>, Vec<Completion>)>,
    ) {
        let key = (account_id.to_owned(), id.to_owned());
        match loaded {
            Some((rec, revisions, completions)) => {
                self.put_contract_record(rec);
                // Only contracts that have any take an entry: most have none.
                if revisions.is_empty() {
                    self.revisions.remove(&key);
                } else {
                    self.revisions.insert(key.clone(), revisions);
                }
                if completions.is_empty() {
                    self.completions.remove(&key);
                } else {
                    self.completions.insert(key, completions);
                }
            }
            None => {
                if let Some(list) = self.contracts.get_mut(account_id) {
                    list.retain(|c| c.contract.id != id);
                }
                self.revisions.remove(&key);
                self.completions.remove(&key);
            }
        }
        self.refresh_cases_of(account_id);
    }

    /// Replaces or removes one plan as loaded from elsewhere.
    pub fn put_plan(&mut self, id: &str, rec: Option<PlanRecord>) {
        match rec {
            Some(r) => self.plans.insert(id.to_owned(), r),
            None => self.plans.remove(id),
        };
        self.refresh_cases_on_plan(id);
    }

    /// Replaces or removes one calendar as loaded from elsewhere.
    pub fn put_calendar(&mut self, id: &str, rec: Option<CalendarRecord>) {
        match rec {
            Some(r) => self.calendars.insert(id.to_owned(), r),
            None => self.calendars.remove(id),
        };
        self.refresh_cases_on_calendar(id);
    }

    /// Replaces or removes one account as loaded from elsewhere (removing it removes its
    /// contracts too).
    pub fn put_account(&mut self, id: &str, rec: Option<AccountRecord>) {
        match rec {
            Some(r) => {
                self.put_account_record(r);
                self.refresh_cases_of(id);
            }
            None => {
                self.commit(Prepared::DeleteAccount {
                    id: id.to_owned(),
                    revision: 0,
                });
            }
        }
    }
}

/// A record to write: new (`expected` is `None`) or replacing the stored revision
/// `expected`, so that a store can refuse a write based on a stale read.
#[derive(Debug, Clone)]
pub struct Write<T> {
    /// The record as it will be stored.
    pub record: T,
    /// The revision (or contract version) the change was based on; `None` for a create.
    pub expected: Option<i64>,
}

impl<T> Write<T> {
    /// A new record.
    pub(crate) fn create(record: T) -> Self {
        Write {
            record,
            expected: None,
        }
    }

    /// A record replacing the stored revision `expected`.
    pub(crate) fn update(record: T, expected: i64) -> Self {
        Write {
            record,
            expected: Some(expected),
        }
    }
}

impl Prepared {
    /// What the change produced, for the response.
    pub fn applied(&self) -> Applied {
        match self {
            Prepared::Plan(w) => Applied::Plan(w.record.clone()),
            Prepared::Calendar(w) => Applied::Calendar(w.record.clone()),
            Prepared::Account(w) => Applied::Account(w.record.clone()),
            Prepared::DeleteCalendar { .. } | Prepared::DeleteAccount { .. } => Applied::Deleted,
            Prepared::Contract { write, .. } => Applied::Contract(write.record.clone()),
            Prepared::Completion {
                contract,
                completion,
                ..
            } => Applied::Completion(contract.clone(), completion.kind),
            Prepared::Case { write, .. } => Applied::Case(Box::new(write.record.clone())),
            Prepared::DeleteCase { .. } => Applied::Deleted,
        }
    }
}

/// The records a checked change writes.
// One per write, handed straight to the writer; boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Create or replace a plan.
    Plan(Write<PlanRecord>),
    /// Create or replace a calendar.
    Calendar(Write<CalendarRecord>),
    /// Delete a calendar at this revision.
    DeleteCalendar {
        /// Calendar id.
        id: String,
        /// The revision checked.
        revision: i64,
    },
    /// Create or replace an account.
    Account(Write<AccountRecord>),
    /// Delete an account (and its terminated contracts) at this revision.
    DeleteAccount {
        /// Account id.
        id: String,
        /// The revision checked.
        revision: i64,
    },
    /// Create or replace a contract, with the revision recording the change.
    Contract {
        /// The contract.
        write: Write<ContractRecord>,
        /// Its audit entry.
        revision: Revision,
    },
    /// Record an obligation completion.
    Completion {
        /// The contract it is recorded on.
        contract: ContractRecord,
        /// The completion.
        completion: Completion,
        /// True if the same completion is already recorded (a retry): nothing to write.
        duplicate: bool,
    },
    /// Create or replace a tracked case.
    Case {
        /// The case (its outlook is worked out when it is committed).
        write: Write<CaseRecord>,
        /// The stored case was read through to the source of truth, not the snapshot:
        /// a write that finds it changed cannot catch up and decide again.
        read_through: bool,
        /// The move is already recorded (a retry): nothing to write.
        unchanged: bool,
    },
    /// Stop tracking a case.
    DeleteCase {
        /// Account id.
        account_id: String,
        /// Case id.
        id: String,
        /// The revision checked.
        revision: i64,
        /// As for [`Prepared::Case`].
        read_through: bool,
    },
}
