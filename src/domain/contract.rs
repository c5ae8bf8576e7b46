//! Contracts: which plan an account has over which period, in which state, with which
//! overrides and designated contacts, and the terms that result ([`Terms`]).
//!
//! At most one contract of an account is effective at any instant; the store enforces it
//! with [`Contract::overlaps`], and [`super::entitlement`] picks the effective one.

use chrono::{DateTime, Utc};

use super::catalog::{
    BenefitSet, Channel, Plan, Priority, PriorityTerms, TermsTable, channels_of, terms_table,
};
use super::error::DomainError;
use super::text::Quoted;

/// A contract's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ContractState {
    /// In force between its start and end.
    Active,
    /// Temporarily not honoured (e.g. unpaid invoices); can be resumed.
    Suspended,
    /// Ended early at its termination instant; final.
    Terminated,
}

/// Per-contract changes to the plan's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ContractOverrides {
    /// Benefits granted on top of the plan's.
    pub added_benefits: BenefitSet,
    /// Plan benefits withheld from this contract.
    pub removed_benefits: BenefitSet,
    /// Terms that replace the plan's for the priorities they name.
    pub priority_terms: Vec<PriorityTerms>,
    /// Designated contacts allowed beyond the plan's limit.
    pub extra_designated_contacts: u32,
}

impl ContractOverrides {
    /// Checks the overrides: a benefit cannot be both added and removed, terms must be valid.
    pub fn check(&self) -> Result<(), DomainError> {
        if let Some(b) = self
            .added_benefits
            .intersection(&self.removed_benefits)
            .iter()
            .next()
        {
            return Err(DomainError::InvalidContract(format!(
                "benefit {b} is both added and removed"
            )));
        }
        terms_table(self.priority_terms.clone())?;
        Ok(())
    }
}

/// A person allowed to open cases for the account under this contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DesignatedContact {
    /// The contact's email address, compared case-insensitively.
    pub email: String,
    /// The contact's name as shown to agents.
    pub display_name: String,
    /// When the contact was designated.
    pub added_at: DateTime<Utc>,
}

/// Checks an email address enough to catch mistakes: one `@`, non-empty local part and a
/// dotted domain, no spaces.
pub fn check_email(email: &str) -> Result<(), DomainError> {
    let ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::InvalidContract(format!(
            "{} is not an email address",
            Quoted::new(email)
        )))
    }
}

/// The technical account manager (TAM) assigned to a contract: the person a premium
/// case escalates to first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TechnicalAccountManager {
    /// The TAM's name as shown to agents and customers.
    pub display_name: String,
    /// The TAM's email address, where escalations go.
    pub email: String,
}

/// A support contract of one account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contract {
    /// The contract's id within its account.
    pub id: String,
    /// The account's id.
    pub account_id: String,
    /// The plan's id.
    pub plan_id: String,
    /// First instant the contract is in force.
    pub start: DateTime<Utc>,
    /// First instant it is no longer in force; `None` for open-ended contracts.
    pub end: Option<DateTime<Utc>>,
    /// Lifecycle state.
    pub state: ContractState,
    /// When it was terminated, if it was.
    pub terminated_at: Option<DateTime<Utc>>,
    /// Changes to the plan's terms.
    pub overrides: ContractOverrides,
    /// Designated contacts, in the order they were added.
    pub contacts: Vec<DesignatedContact>,
    /// The assigned TAM, named in the escalation path when the terms include the
    /// `technical_account_manager` benefit; `None` until one is assigned.
    #[serde(default)]
    pub technical_account_manager: Option<TechnicalAccountManager>,
    /// Incremented on every change, so answers can name the terms that applied.
    pub version: i64,
}

impl Contract {
    /// Checks dates, overrides and the TAM's email.
    pub fn check(&self) -> Result<(), DomainError> {
        if let Some(end) = self.end
            && end <= self.start
        {
            return Err(DomainError::InvalidContract(
                "end_time must be after start_time".into(),
            ));
        }
        if let Some(tam) = &self.technical_account_manager {
            check_email(&tam.email)?;
        }
        self.overrides.check()
    }

    /// The instant the contract stops being in force: the earlier of its end and its
    /// termination.
    pub fn effective_end(&self) -> Option<DateTime<Utc>> {
        match (self.end, self.terminated_at) {
            (Some(e), Some(t)) => Some(e.min(t)),
            (e, t) => e.or(t),
        }
    }

    /// True if `[start, end)` contains `t`, whatever the state.
    pub fn covers(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && self.end.is_none_or(|e| t < e)
    }

    /// True if the contract is in force at `t`: covered, not suspended, not yet terminated.
    pub fn is_effective(&self, t: DateTime<Utc>) -> bool {
        self.covers(t)
            && self.state != ContractState::Suspended
            && self.terminated_at.is_none_or(|x| t < x)
    }

    /// True if the two contracts could both be in force at some instant: same account,
    /// overlapping periods, neither terminated before the other starts.
    pub fn overlaps(&self, other: &Contract) -> bool {
        let ends_after = |end: Option<DateTime<Utc>>, start| end.is_none_or(|e| e > start);
        self.account_id == other.account_id
            && self.id != other.id
            && ends_after(self.effective_end(), other.start)
            && ends_after(other.effective_end(), self.start)
    }

    /// The plan's terms with this contract's overrides applied.
    pub fn terms(&self, plan: &Plan) -> Terms {
        let benefits = plan
            .benefits
            .union(&self.overrides.added_benefits)
            .difference(&self.overrides.removed_benefits);
        let mut priority_terms = plan.terms.clone();
        for t in &self.overrides.priority_terms {
            priority_terms[t.priority.index()] = t.clone();
        }
        Terms {
            plan_id: plan.id.clone(),
            benefits,
            priority_terms,
            designated_contact_limit: plan
                .designated_contact_limit
                .saturating_add(self.overrides.extra_designated_contacts),
        }
    }

    /// Whether `email` is a designated contact (case-insensitive).
    pub fn is_designated(&self, email: &str) -> bool {
        self.contacts
            .iter()
            .any(|c| c.email.eq_ignore_ascii_case(email))
    }

    /// Designates a contact, refusing a duplicate or one past the limit.
    pub fn add_contact(
        &mut self,
        contact: DesignatedContact,
        terms: &Terms,
    ) -> Result<(), DomainError> {
        self.ensure_not_terminated()?;
        check_email(&contact.email)?;
        if self.is_designated(&contact.email) {
            return Err(DomainError::ContactAlreadyDesignated(contact.email));
        }
        let limit = terms.designated_contact_limit;
        if self.contacts.len() >= limit as usize {
            return Err(DomainError::ContactLimitReached { limit });
        }
        self.contacts.push(contact);
        Ok(())
    }

    /// Removes a designated contact.
    pub fn remove_contact(&mut self, email: &str) -> Result<(), DomainError> {
        self.ensure_not_terminated()?;
        let before = self.contacts.len();
        self.contacts
            .retain(|c| !c.email.eq_ignore_ascii_case(email));
        if self.contacts.len() == before {
            return Err(DomainError::ContactNotFound(email.to_owned()));
        }
        Ok(())
    }

    /// Terminates the contract at `at`; before its start, this cancels it.
    pub fn terminate(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        // A termination before the start cancels a contract that never took effect.
        self.ensure_not_terminated()?;
        self.state = ContractState::Terminated;
        self.terminated_at = Some(at);
        Ok(())
    }

    /// Refuses changes to a terminated contract.
    pub fn ensure_not_terminated(&self) -> Result<(), DomainError> {
        if self.state == ContractState::Terminated {
            Err(DomainError::ContractTerminated)
        } else {
            Ok(())
        }
    }
}

/// The terms in force under a contract: plan plus overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The plan they derive from.
    pub plan_id: String,
    /// Benefits included.
    pub benefits: BenefitSet,
    /// Terms per priority.
    pub priority_terms: TermsTable,
    /// How many designated contacts the contract may hold.
    pub designated_contact_limit: u32,
}

impl Terms {
    /// The channels included.
    pub fn channels(&self) -> Vec<Channel> {
        channels_of(&self.benefits)
    }

    /// The terms for one priority.
    pub fn for_priority(&self, p: Priority) -> &PriorityTerms {
        &self.priority_terms[p.index()]
    }
}
