//! The pure core of the service: catalog, calendars, business time, pauses, deadlines,
//! contracts, entitlements, designated contacts, obligations and escalation management.
//! Nothing in here knows about gRPC, protobuf or SQL; every RPC is a thin conversion
//! around a call into this module.
//!
//! The modules import one way, leaves first: [`text`] imports no sibling and [`error`]
//! only [`text`]; [`catalog`] (plans and their terms, at-risk thresholds included),
//! [`pause`] and [`calendar`] (with its zone, day table and business clock) only those two;
//! [`contract`] the catalog; [`sla`] (deadlines, at-risk arithmetic, case evaluation) the
//! calendar, catalog, contract and pauses; [`entitlement`] (every "may they?" rule),
//! [`escalation`] (the escalation path) and [`obligation`] the catalog and contracts. No
//! module here uses the re-exports below; they are for the layers outside.

pub mod calendar;
pub mod catalog;
pub mod contract;
pub mod entitlement;
pub mod error;
pub mod escalation;
pub mod obligation;
pub mod pause;
pub mod sla;
pub mod text;

pub use calendar::business_clock::BusinessClock;
pub use calendar::{Calendar, ClosedDate, DateException, OpenInterval, SpecialDate, TimeOfDay};
pub use catalog::{
    AtRiskThresholds, Benefit, BenefitSet, Channel, Coverage, Plan, Priority, PriorityTerms,
};
pub use contract::{
    Contract, ContractOverrides, ContractState, DesignatedContact, TechnicalAccountManager, Terms,
};
pub use entitlement::{
    Availability, AvailabilityReason, CaseContext, ContractAt, DecisionReason, contract_at,
};
pub use error::{CalendarPart, CaseEvent, DomainError};
pub use escalation::{EscalationPath, EscalationTarget};
pub use obligation::{Completion, ObligationKind, ObligationReport, ObligationStatus};
pub use pause::{Pause, Pauses};
pub use sla::at_risk::{AtRisk, ThresholdCrossing};
pub use sla::case::{
    CaseEvaluation, CaseOutlook, CaseStatus, CaseTimeline, MilestoneEvaluation, MilestoneStatus,
    evaluate_case,
};
pub use sla::deadline::{ClockKind, Deadline, Milestone, deadline};
pub use sla::moves::{CaseMove, MAX_TIMELINE_EVENTS, Moved};
