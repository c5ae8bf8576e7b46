//! Conversions between protobuf messages and domain values, in one place. Every request
//! field is parsed here into a domain value (or refused with the field's path named);
//! every domain value goes back to the wire here.
//!
//! One module per topic, each re-exported here so callers name `convert::x`:
//! `time` (instants and durations), `names` (resource ids, display names), `page`
//! (page sizes and tokens), `terms` (priorities, channels, plans and their terms),
//! `calendar` (calendars, time zones), `account`, `case` (tracked cases, their filter), `contract` (contracts,
//! overrides, contacts, the TAM), `sla` (milestones, obligations, escalation, at-risk,
//! pauses) and `mask` (update masks).

mod account;
mod calendar;
mod case;
mod contract;
mod mask;
mod names;
mod page;
mod sla;
mod terms;
mod time;

pub use account::*;
pub use calendar::*;
pub use case::*;
pub use contract::*;
pub use mask::*;
pub use names::*;
pub use page::*;
pub use sla::*;
pub use terms::*;
pub use time::*;
