//! The pure core of the service: catalog, calendars, business time, pauses, deadlines,
//! contracts, entitlements, designated contacts, obligations and escalation management.
//! Nothing in here knows about gRPC, protobuf or SQL; every RPC is a thin conversion
//! around a call into this module.

pub mod business_time;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod contract;
pub mod deadline;
pub mod entitlement;
pub mod error;
pub mod escalation;
pub mod obligation;
pub mod pause;
pub mod text;
pub mod zone;

pub use business_time::BusinessClock;
pub use calendar::{
    Calendar, CalendarPart, ClosedDate, DateException, OpenInterval, SpecialDate, TimeOfDay,
};
pub use case::{
    CaseEvaluation, CaseEvent, CaseTimeline, MilestoneEvaluation, MilestoneStatus, evaluate_case,
};
pub use catalog::{Benefit, BenefitSet, Channel, Coverage, Plan, Priority, PriorityTerms};
pub use contract::{
    Contract, ContractOverrides, ContractState, DesignatedContact, TechnicalAccountManager, Terms,
};
pub use deadline::{ClockKind, Deadline, Milestone, deadline};
pub use entitlement::{Availability, AvailabilityReason, ContractAt, DecisionReason, contract_at};
pub use error::DomainError;
pub use escalation::{
    AtRisk, AtRiskThresholds, CaseContext, EscalationPath, EscalationTarget, ThresholdCrossing,
};
pub use obligation::{Completion, ObligationKind, ObligationReport, ObligationStatus};
pub use pause::{Pause, Pauses};
