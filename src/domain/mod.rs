//! The pure core of the service: catalog, calendars, business time, deadlines, contracts,
//! entitlements, designated contacts and obligations. Nothing in here knows about gRPC,
//! protobuf or SQL; every RPC is a thin conversion around a call into this module.

pub mod business_time;
pub mod calendar;
pub mod catalog;
pub mod error;
pub mod zone;

pub use business_time::BusinessClock;
pub use calendar::{Calendar, ClosedDate, DateException, OpenInterval, SpecialDate, TimeOfDay};
pub use catalog::{Benefit, Channel, Coverage, Plan, Priority, PriorityTerms};
pub use error::DomainError;
