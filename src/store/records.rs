//! Stored resources: the domain values plus the metadata the API needs (names, etags,
//! timestamps) and the changes that can be made to them.

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use super::cases::{CasePatch, CaseRecord};
use crate::domain::{
    BenefitSet, Calendar, CaseMove, CaseTimeline, Completion, Contract, ContractOverrides,
    DesignatedContact, ObligationKind, Plan, PriorityTerms,
};

pub use super::meta::{Etagged, Meta};

/// A plan as stored.
#[derive(Debug, Clone)]
pub struct PlanRecord {
    /// The plan.
    pub plan: Plan,
    /// Bookkeeping.
    pub meta: Meta,
}

/// A calendar as stored.
#[derive(Debug, Clone)]
pub struct CalendarRecord {
    /// The calendar's id (`calendars/{id}`).
    pub id: String,
    /// Human-readable name.
    pub display_name: String,
    /// The validated calendar.
    pub calendar: Arc<Calendar>,
    /// Bookkeeping.
    pub meta: Meta,
}

/// An account as stored.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// The account's id (`accounts/{id}`).
    pub id: String,
    /// Human-readable name.
    pub display_name: String,
    /// The account's IANA time zone.
    pub time_zone: String,
    /// The calendar it uses; `None` for office hours in its own time zone.
    pub calendar_id: Option<String>,
    /// Monday-Friday 09:00-17:00 in `time_zone`, used when `calendar_id` is `None`.
    pub office_hours: Arc<Calendar>,
    /// Bookkeeping.
    pub meta: Meta,
}

/// A contract as stored. Its etag derives from the contract's own version.
#[derive(Debug, Clone)]
pub struct ContractRecord {
    /// The contract.
    pub contract: Contract,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl ContractRecord {
    /// The contract's etag.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.contract.version)
    }
}

impl Etagged for PlanRecord {
    fn etag(&self) -> String {
        self.meta.etag()
    }
}

impl Etagged for CalendarRecord {
    fn etag(&self) -> String {
        self.meta.etag()
    }
}

impl Etagged for AccountRecord {
    fn etag(&self) -> String {
        self.meta.etag()
    }
}

impl Etagged for ContractRecord {
    fn etag(&self) -> String {
        ContractRecord::etag(self)
    }
}

/// One change to a contract, for the audit trail.
#[derive(Debug, Clone)]
pub struct Revision {
    /// The contract version this change produced.
    pub version: i64,
    /// Who made it.
    pub principal: String,
    /// When.
    pub at: DateTime<Utc>,
    /// What kind of change, e.g. `create`, `update`, `terminate`.
    pub action: String,
    /// The contract before; `None` on create.
    pub before: Option<Contract>,
    /// The contract after.
    pub after: Contract,
}

/// Fields of an account that an update may set; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New time zone.
    pub time_zone: Option<String>,
    /// New calendar: `Some(None)` clears it.
    pub calendar_id: Option<Option<String>>,
}

/// Fields of a calendar that an update may set.
#[derive(Debug, Clone, Default)]
pub struct CalendarPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New definition (zone, weekly hours, dates), already validated.
    pub calendar: Option<Arc<Calendar>>,
}

/// Fields of a plan that an update may set.
#[derive(Debug, Clone, Default)]
pub struct PlanPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New benefits.
    pub benefits: Option<crate::domain::catalog::BenefitSet>,
    /// New per-priority terms.
    pub terms: Option<crate::domain::catalog::TermsTable>,
    /// New contact limit.
    pub designated_contact_limit: Option<u32>,
}

/// Fields of a contract that an update may set.
#[derive(Debug, Clone, Default)]
pub struct ContractPatch {
    /// New plan id.
    pub plan_id: Option<String>,
    /// New start.
    pub start: Option<DateTime<Utc>>,
    /// New end: `Some(None)` makes it open-ended.
    pub end: Option<Option<DateTime<Utc>>>,
    /// Suspend (`Suspended`) or resume (`Active`).
    pub state: Option<crate::domain::ContractState>,
    /// Override sub-fields to replace, merged into the stored overrides under the same
    /// etag check as the other fields.
    pub overrides: Option<OverridesPatch>,
    /// New technical account manager: `Some(None)` unassigns it.
    pub technical_account_manager: Option<Option<crate::domain::TechnicalAccountManager>>,
}

/// Sub-fields of a contract's overrides that an update replaces; `None` keeps the stored
/// value, so that a client can change one sub-field without reading the others first.
#[derive(Debug, Clone, Default)]
pub struct OverridesPatch {
    /// New added benefits.
    pub added_benefits: Option<BenefitSet>,
    /// New removed benefits.
    pub removed_benefits: Option<BenefitSet>,
    /// New per-priority terms.
    pub priority_terms: Option<Vec<PriorityTerms>>,
    /// New number of extra designated contacts.
    pub extra_designated_contacts: Option<u32>,
}

impl OverridesPatch {
    /// `current` with the sub-fields this patch sets replaced; not yet checked.
    pub fn apply_to(self, current: &ContractOverrides) -> ContractOverrides {
        ContractOverrides {
            added_benefits: self.added_benefits.unwrap_or(current.added_benefits),
            removed_benefits: self.removed_benefits.unwrap_or(current.removed_benefits),
            priority_terms: self
                .priority_terms
                .unwrap_or_else(|| current.priority_terms.clone()),
            extra_designated_contacts: self
                .extra_designated_contacts
                .unwrap_or(current.extra_designated_contacts),
        }
    }
}

/// A change to stored state. Every write goes through one of these, so the memory and
/// Postgres stores validate them the same way.
#[derive(Debug, Clone)]
pub enum Change {
    /// Add a custom plan.
    CreatePlan(Plan),
    /// Change a custom plan.
    UpdatePlan {
        /// Plan id.
        id: String,
        /// Fields to change.
        patch: PlanPatch,
        /// Expected etag, if the caller sent one.
        etag: Option<String>,
    },
    /// Add a calendar.
    CreateCalendar {
        /// Calendar id.
        id: String,
        /// Human-readable name.
        display_name: String,
        /// The validated calendar.
        calendar: Arc<Calendar>,
    },
    /// Change a calendar.
    UpdateCalendar {
        /// Calendar id.
        id: String,
        /// Fields to change.
        patch: CalendarPatch,
        /// Expected etag.
        etag: Option<String>,
    },
    /// Remove a calendar no account uses.
    DeleteCalendar {
        /// Calendar id.
        id: String,
        /// Expected etag.
        etag: Option<String>,
    },
    /// Add an account.
    CreateAccount {
        /// Account id.
        id: String,
        /// Human-readable name.
        display_name: String,
        /// IANA time zone.
        time_zone: String,
        /// Calendar id, if any.
        calendar_id: Option<String>,
    },
    /// Change an account.
    UpdateAccount {
        /// Account id.
        id: String,
        /// Fields to change.
        patch: AccountPatch,
        /// Expected etag.
        etag: Option<String>,
    },
    /// Remove an account with no contracts.
    DeleteAccount {
        /// Account id.
        id: String,
        /// Expected etag.
        etag: Option<String>,
    },
    /// Add a contract.
    CreateContract(Contract),
    /// Change a contract.
    UpdateContract {
        /// Account id.
        account_id: String,
        /// Contract id.
        id: String,
        /// Fields to change.
        patch: ContractPatch,
        /// Expected etag.
        etag: Option<String>,
    },
    /// Terminate a contract at an instant.
    TerminateContract {
        /// Account id.
        account_id: String,
        /// Contract id.
        id: String,
        /// Termination instant.
        at: DateTime<Utc>,
        /// Expected etag.
        etag: Option<String>,
    },
    /// Designate a contact.
    AddContact {
        /// Account id.
        account_id: String,
        /// Contract id.
        id: String,
        /// The contact.
        contact: DesignatedContact,
    },
    /// Remove a designated contact.
    RemoveContact {
        /// Account id.
        account_id: String,
        /// Contract id.
        id: String,
        /// The contact's email.
        email: String,
    },
    /// Record an obligation completion.
    RecordCompletion {
        /// Account id.
        account_id: String,
        /// Contract id.
        id: String,
        /// The completion.
        completion: Completion,
    },
    /// Start tracking a case.
    CreateCase {
        /// Account id.
        account_id: String,
        /// Case id.
        id: String,
        /// The caller's reference.
        external_reference: String,
        /// Its timeline.
        timeline: CaseTimeline,
    },
    /// Replace fields of a tracked case.
    UpdateCase {
        /// Which case.
        case: CaseAt,
        /// The fields to replace.
        patch: CasePatch,
        /// The caller's etag (required).
        etag: String,
    },
    /// One small move on a tracked case's timeline.
    MoveCase {
        /// Which case.
        case: CaseAt,
        /// The move.
        step: CaseMove,
    },
    /// Stop tracking a case.
    DeleteCase {
        /// Which case.
        case: CaseAt,
        /// Expected etag.
        etag: Option<String>,
    },
}

/// The case a write is about, with the record read through to the source of truth
/// when the snapshot does not hold it (a resolved case in the Postgres store).
#[derive(Debug, Clone)]
pub struct CaseAt {
    /// Account id.
    pub account_id: String,
    /// Case id.
    pub id: String,
    /// The case as read from the source of truth, when the snapshot does not hold it.
    pub read_through: Option<Box<CaseRecord>>,
}

/// What a change produced, for the response.
#[derive(Debug, Clone)]
pub enum Applied {
    /// A plan was created or changed.
    Plan(PlanRecord),
    /// A calendar was created or changed.
    Calendar(CalendarRecord),
    /// An account was created or changed.
    Account(AccountRecord),
    /// A contract was created or changed.
    Contract(ContractRecord),
    /// An obligation completion was recorded on this contract.
    Completion(ContractRecord, ObligationKind),
    /// A case was created or changed.
    Case(Box<CaseRecord>),
    /// A resource was deleted.
    Deleted,
}

/// That a resource was deleted: what a delete's caller gets back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deleted;

/// The contract an obligation completion was recorded on.
#[derive(Debug, Clone)]
pub struct CompletionRecorded {
    /// The contract.
    pub contract: ContractRecord,
    /// Which obligation.
    pub kind: ObligationKind,
}

/// What each kind of write produced, taken out of [`Applied`] in this one place: the
/// store commits exactly the kind of record the use case decided, so a mismatch is a
/// store bug (INTERNAL), never a client's mistake.
macro_rules! written {
    ($ty:ty, $what:literal, $pattern:pat => $value:expr) => {
        impl TryFrom<Applied> for $ty {
            type Error = crate::store::error::StoreError;
            fn try_from(applied: Applied) -> Result<Self, Self::Error> {
                match applied {
                    $pattern => Ok($value),
                    other => Err(crate::store::error::StoreError::Internal(format!(
                        concat!("expected ", $what, ", got {:?}"),
                        other
                    ))),
                }
            }
        }
    };
}

written!(PlanRecord, "a plan", Applied::Plan(r) => r);
written!(CalendarRecord, "a calendar", Applied::Calendar(r) => r);
written!(AccountRecord, "an account", Applied::Account(r) => r);
written!(ContractRecord, "a contract", Applied::Contract(r) => r);
written!(
    CompletionRecorded,
    "a completion",
    Applied::Completion(contract, kind) => CompletionRecorded { contract, kind }
);
written!(Deleted, "a deletion", Applied::Deleted => Deleted);
written!(CaseRecord, "a case", Applied::Case(r) => *r);
