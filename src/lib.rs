//! `entitlements`: answers "is this customer entitled to this support benefit right now?"
//! and "when is this case's first response or next update due, and was it met?" over gRPC.
//!
//! # Layout
//! - [`domain`]: the pure engine (catalog, calendars, business time, deadlines, contracts,
//!   entitlements, obligations); no gRPC or SQL types.
pub mod domain;
