//! The in-memory model of everything stored, and the one place where a [`Change`] is
//! checked against it (existence, uniqueness, etags, contract overlaps, contact limits)
//! and applied. The memory store is this model behind a lock; the hot path (checks and
//! deadlines) always reads from it, whatever the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::records::{
    AccountRecord, Applied, CalendarRecord, Change, ContractRecord, Etagged, Meta, PlanRecord,
    Revision,
};
use crate::domain::entitlement::InForce;
use crate::domain::{
    Calendar, Completion, Contract, ContractAt, ContractState, DomainError, Plan,
    catalog::builtin_plans, contract_at,
};
use crate::names::Name;
use crate::reason::Reason;

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
}

/// The resource `name`, as `found`, if it exists and the caller's `etag` (if any) is its
/// current one: the first check of every change to an existing resource.
fn current<'a, T: Etagged>(
    found: Option<&'a T>,
    name: impl Fn() -> Name,
    etag: &Option<String>,
) -> Result<&'a T, StoreError> {
    let cur = found.ok_or_else(|| StoreError::NotFound(name()))?;
    match etag {
        Some(e) if !e.is_empty() && *e != cur.etag() => Err(StoreError::EtagMismatch {
            name: name(),
            current: cur.etag(),
        }),
        _ => Ok(cur),
    }
}

fn domain_to_store(account: &str, id: &str, e: DomainError) -> StoreError {
    match e {
        DomainError::ContactLimitReached { limit } => StoreError::QuotaExceeded {
            subject: Name::contract(account, id),
            limit,
        },
        DomainError::ContactAlreadyDesignated(email) => {
            StoreError::AlreadyExists(Name::contact(account, id, &email))
        }
        DomainError::ContactNotFound(email) => {
            StoreError::NotFound(Name::contact(account, id, &email))
        }
        DomainError::ContractTerminated => {
            StoreError::contract_terminated(Name::contract(account, id))
        }
        other => StoreError::Domain(other),
    }
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

    /// Checks `change` against the state and applies it, recording `principal` on
    /// contract revisions. Nothing changes when an error is returned.
    pub fn apply(
        &mut self,
        change: Change,
        principal: &str,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        let prepared = self.prepare(change, principal, now)?;
        Ok(self.commit(prepared))
    }

    /// Checks `change` against the state and works out the records it writes, without
    /// writing them: the one place where the rules of a change live, for every store.
    pub fn prepare(
        &self,
        change: Change,
        principal: &str,
        now: DateTime<Utc>,
    ) -> Result<Prepared, StoreError> {
        match change {
            Change::CreatePlan(plan) => {
                if self.plans.contains_key(&plan.id) {
                    return Err(StoreError::AlreadyExists(Name::plan(&plan.id)));
                }
                let rec = PlanRecord {
                    plan,
                    meta: Meta::new(now),
                };
                Ok(Prepared::Plan(Write::create(rec)))
            }
            Change::UpdatePlan { id, patch, etag } => {
                let name = || Name::plan(&id);
                let found = self.plans.get(&id);
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
            Change::CreateCalendar {
                id,
                display_name,
                calendar,
            } => {
                if self.calendars.contains_key(&id) {
                    return Err(StoreError::AlreadyExists(Name::calendar(&id)));
                }
                let rec = CalendarRecord {
                    id: id.clone(),
                    display_name,
                    calendar,
                    meta: Meta::new(now),
                };
                Ok(Prepared::Calendar(Write::create(rec)))
            }
            Change::UpdateCalendar { id, patch, etag } => {
                let cur = current(self.calendars.get(&id), || Name::calendar(&id), &etag)?;
                let mut rec = cur.clone();
                if let Some(v) = patch.display_name {
                    rec.display_name = v;
                }
                if let Some(v) = patch.calendar {
                    rec.calendar = v;
                }
                rec.meta = cur.meta.bumped(now);
                Ok(Prepared::Calendar(Write::update(rec, cur.meta.revision)))
            }
            Change::DeleteCalendar { id, etag } => {
                let cur = current(self.calendars.get(&id), || Name::calendar(&id), &etag)?;
                if let Some(a) = self
                    .accounts_after("")
                    .find(|a| a.calendar_id.as_deref() == Some(&id))
                {
                    return Err(StoreError::calendar_in_use(
                        Name::calendar(&id),
                        Some(Name::account(&a.id)),
                    ));
                }
                Ok(Prepared::DeleteCalendar {
                    id,
                    revision: cur.meta.revision,
                })
            }
            Change::CreateAccount {
                id,
                display_name,
                time_zone,
                calendar_id,
            } => {
                if self.accounts.contains_key(&id) {
                    return Err(StoreError::AlreadyExists(Name::account(&id)));
                }
                self.require_calendar(calendar_id.as_deref())?;
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
            Change::UpdateAccount { id, patch, etag } => {
                let cur = current(self.accounts.get(&id), || Name::account(&id), &etag)?;
                let mut rec = cur.clone();
                if let Some(v) = patch.display_name {
                    rec.display_name = v;
                }
                if let Some(tz) = patch.time_zone {
                    rec.office_hours = Calendar::shared_office_hours(&tz)?;
                    rec.time_zone = tz;
                }
                if let Some(v) = patch.calendar_id {
                    self.require_calendar(v.as_deref())?;
                    rec.calendar_id = v;
                }
                rec.meta = cur.meta.bumped(now);
                Ok(Prepared::Account(Write::update(rec, cur.meta.revision)))
            }
            Change::DeleteAccount { id, etag } => {
                let cur = current(self.accounts.get(&id), || Name::account(&id), &etag)?;
                // Only ACTIVE or SUSPENDED contracts block the delete; terminated ones go
                // with the account, with their revisions and completions.
                if let Some(c) = self
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
            Change::CreateContract(contract) => {
                if !self.accounts.contains_key(&contract.account_id) {
                    return Err(StoreError::NotFound(Name::account(&contract.account_id)));
                }
                if self.contract(&contract.account_id, &contract.id).is_some() {
                    return Err(StoreError::AlreadyExists(Name::contract(
                        &contract.account_id,
                        &contract.id,
                    )));
                }
                let mut contract = contract;
                contract.version = 1;
                self.check_contract(&contract)?;
                let rec = ContractRecord {
                    contract,
                    created_at: now,
                    updated_at: now,
                };
                Ok(contract_write(principal, now, "create", None, rec))
            }
            Change::UpdateContract {
                account_id,
                id,
                patch,
                etag,
            } => {
                let name = || Name::contract(&account_id, &id);
                let cur = current(self.contract(&account_id, &id), name, &etag)?;
                let before = cur.contract.clone();
                let mut c = before.clone();
                // Merged and checked ahead of the other rules: an overlap the merge makes
                // (a benefit both added and removed) is a problem with the request.
                if let Some(o) = patch.overrides {
                    c.overrides = o.apply_to(&c.overrides);
                    c.overrides.check().map_err(StoreError::InvalidOverrides)?;
                }
                before
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
                c.version += 1;
                self.check_contract(&c)?;
                let rec = ContractRecord {
                    contract: c,
                    created_at: cur.created_at,
                    updated_at: now,
                };
                Ok(contract_write(principal, now, "update", Some(before), rec))
            }
            Change::TerminateContract {
                account_id,
                id,
                at,
                etag,
            } => {
                let name = || Name::contract(&account_id, &id);
                let cur = current(self.contract(&account_id, &id), name, &etag)?;
                let before = cur.contract.clone();
                let mut c = before.clone();
                c.terminate(at)
                    .map_err(|e| domain_to_store(&account_id, &id, e))?;
                c.version += 1;
                let rec = ContractRecord {
                    contract: c,
                    created_at: cur.created_at,
                    updated_at: now,
                };
                Ok(contract_write(
                    principal,
                    now,
                    "terminate",
                    Some(before),
                    rec,
                ))
            }
            Change::AddContact {
                account_id,
                id,
                contact,
            } => {
                let name = || Name::contract(&account_id, &id);
                let cur = current(self.contract(&account_id, &id), name, &None)?;
                let before = cur.contract.clone();
                let terms = self.terms_of(&before)?;
                let mut c = before.clone();
                c.add_contact(contact, &terms)
                    .map_err(|e| domain_to_store(&account_id, &id, e))?;
                c.version += 1;
                let rec = ContractRecord {
                    contract: c,
                    created_at: cur.created_at,
                    updated_at: now,
                };
                Ok(contract_write(
                    principal,
                    now,
                    "add_designated_contact",
                    Some(before),
                    rec,
                ))
            }
            Change::RemoveContact {
                account_id,
                id,
                email,
            } => {
                let name = || Name::contract(&account_id, &id);
                let cur = current(self.contract(&account_id, &id), name, &None)?;
                let before = cur.contract.clone();
                let mut c = before.clone();
                c.remove_contact(&email)
                    .map_err(|e| domain_to_store(&account_id, &id, e))?;
                c.version += 1;
                let rec = ContractRecord {
                    contract: c,
                    created_at: cur.created_at,
                    updated_at: now,
                };
                Ok(contract_write(
                    principal,
                    now,
                    "remove_designated_contact",
                    Some(before),
                    rec,
                ))
            }
            Change::RecordCompletion {
                account_id,
                id,
                completion,
            } => {
                let name = || Name::contract(&account_id, &id);
                let cur = current(self.contract(&account_id, &id), name, &None)?.clone();
                let terms = self.terms_of(&cur.contract)?;
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
                let duplicate = self
                    .completions(&account_id, &id)
                    .iter()
                    .any(|c| c.kind == completion.kind && c.at == completion.at);
                Ok(Prepared::Completion {
                    contract: cur,
                    completion,
                    duplicate,
                })
            }
        }
    }

    fn require_calendar(&self, id: Option<&str>) -> Result<(), StoreError> {
        match id {
            Some(id) if !self.calendars.contains_key(id) => {
                Err(StoreError::NotFound(Name::calendar(id)))
            }
            _ => Ok(()),
        }
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

    /// Checks a new or changed contract: its own rules, its plan exists, and no other
    /// contract of the account can be in force at the same time.
    fn check_contract(&self, c: &Contract) -> Result<(), StoreError> {
        c.check()?;
        if !self.plans.contains_key(&c.plan_id) {
            return Err(StoreError::NotFound(Name::plan(&c.plan_id)));
        }
        if let Some(other) = self
            .contracts_of(&c.account_id)
            .find(|o| o.contract.overlaps(c))
        {
            return Err(StoreError::contract_overlap(
                Name::contract(&c.account_id, &c.id),
                Some(Name::contract(
                    &other.contract.account_id,
                    &other.contract.id,
                )),
            ));
        }
        Ok(())
    }

    /// Writes prepared records into the state.
    pub fn commit(&mut self, prepared: Prepared) -> Applied {
        match prepared {
            Prepared::Plan(w) => {
                self.plans
                    .insert(w.record.plan.id.clone(), w.record.clone());
                Applied::Plan(w.record)
            }
            Prepared::Calendar(w) => {
                self.calendars.insert(w.record.id.clone(), w.record.clone());
                Applied::Calendar(w.record)
            }
            Prepared::DeleteCalendar { id, .. } => {
                self.calendars.remove(&id);
                Applied::Deleted
            }
            Prepared::Account(w) => {
                self.put_account_record(w.record.clone());
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
    }

    /// Replaces or removes one plan as loaded from elsewhere.
    pub fn put_plan(&mut self, id: &str, rec: Option<PlanRecord>) {
        match rec {
            Some(r) => self.plans.insert(id.to_owned(), r),
            None => self.plans.remove(id),
        };
    }

    /// Replaces or removes one calendar as loaded from elsewhere.
    pub fn put_calendar(&mut self, id: &str, rec: Option<CalendarRecord>) {
        match rec {
            Some(r) => self.calendars.insert(id.to_owned(), r),
            None => self.calendars.remove(id),
        };
    }

    /// Replaces or removes one account as loaded from elsewhere (removing it removes its
    /// contracts too).
    pub fn put_account(&mut self, id: &str, rec: Option<AccountRecord>) {
        match rec {
            Some(r) => {
                self.put_account_record(r);
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

/// A contract record to write with the revision that records it.
fn contract_write(
    principal: &str,
    now: DateTime<Utc>,
    action: &str,
    before: Option<Contract>,
    rec: ContractRecord,
) -> Prepared {
    let expected = before.as_ref().map(|b| b.version);
    let revision = Revision {
        version: rec.contract.version,
        principal: principal.to_owned(),
        at: now,
        action: action.to_owned(),
        before,
        after: rec.contract.clone(),
    };
    Prepared::Contract {
        write: Write {
            record: rec,
            expected,
        },
        revision,
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
    fn create(record: T) -> Self {
        Write {
            record,
            expected: None,
        }
    }

    fn update(record: T, expected: i64) -> Self {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Benefit, BenefitSet, ContractOverrides};
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
        s.apply(account, "test", now).expect("account");
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
        s.apply(Change::CreateContract(contract), "test", now)
            .expect("contract");
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
        s.apply(update_overrides(patch, Some("\"1\"".into())), "test", now)
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
        let e = s
            .apply(update_overrides(clash(), None), "test", now)
            .unwrap_err();
        match e {
            StoreError::InvalidOverrides(e) => {
                let message = e.to_string();
                assert!(message.contains("both added and removed"), "{message}");
            }
            other => panic!("expected an invalid contract.overrides, got {other:?}"),
        }
        let e = s
            .apply(update_overrides(clash(), Some("\"7\"".into())), "test", now)
            .unwrap_err();
        assert!(matches!(e, StoreError::EtagMismatch { .. }), "{e:?}");
        assert_eq!(
            s.contract("acme", "c").expect("contract").contract.version,
            1
        );
    }
}
