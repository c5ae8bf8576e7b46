//! Tests of the business-time engine ([`BusinessClock`] over a [`Calendar`]) through the
//! crate's public API. Random calendars in seven zones (with and without DST) are checked
//! against a minute-stepping reference that lives only in this binary: an instant is open
//! when chrono-tz's local wall time of it lies in an open interval of its local date
//! (closed date: none; special date: its own intervals; else its weekday's), exactly as
//! SPEC.md "Semantics: Calendar" words it. Algebraic properties (`between` undoes `add`,
//! monotonicity, composition, a 00:00-24:00 week equals the continuous clock) are checked
//! on longer spans, and hand-worked cases pin literal instants for office hours, holidays,
//! special dates and both DST transitions in Berlin and New York.
//!
//! reference.rs holds the calendar definitions and the reference, strategies.rs the random
//! calendars and the check against the reference, properties.rs the proptests (their saved
//! regression cases: tests/proptest-regressions/properties.txt), hand_worked.rs the
//! literal cases.
//!
//! [`BusinessClock`]: entitlements::domain::BusinessClock
//! [`Calendar`]: entitlements::domain::Calendar

mod reference;
mod strategies;

mod hand_worked;
mod properties;
