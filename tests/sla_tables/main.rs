//! Hand-worked SLA tables for the domain engine. Every expected instant below is a
//! literal worked out by hand from the catalog in SPEC.md (first-response targets and
//! update cadences per tier and priority, 24x7 coverage for extended P1 and premium
//! P1/P2) and its "Semantics" section (business-hours clock, closing-instant rule,
//! pauses, cadence anchored on the previous event, priority changes measured from the
//! opening, DST wall-time rule), with the arithmetic in a comment next to it. Nothing
//! here is computed with the engine's own helpers: if a test fails, either the engine or
//! the comment is wrong, and the comment says which numbers to re-check.
//!
//! Unless said otherwise the calendar is Europe/Berlin, Monday-Friday 09:00-17:00, with
//! 2026-12-24 "Christmas Eve" open 09:00-12:00 and 2026-12-25 "Christmas Day" closed.
//! Berlin is UTC+01:00 until 2026-03-29 and from 2026-10-25, UTC+02:00 in between;
//! instants are written with their local offset so the wall time is visible.
//!
//! One module per part: tiers.rs (the tier tables and P3/P4), dst.rs, cases.rs (case
//! evaluation), entitlement.rs (contracts, benefits, availability); the literals and
//! calendars they share are in helpers.rs.

mod helpers;

mod cases;
mod dst;
mod entitlement;
mod tiers;
