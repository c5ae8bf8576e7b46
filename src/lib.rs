//! `entitlements`: answers "is this customer entitled to this support benefit right now?"
//! and "when is this case's first response or next update due, and was it met?" over gRPC.
//!
//! # Layout
//! - [`domain`]: the pure engine (catalog, calendars, business time, deadlines, contracts,
//!   entitlements, obligations); no gRPC or SQL types.
//! - [`store`]: the [`store::Store`] trait, the in-memory state the hot path reads, the
//!   embedded memory store and seed files.
pub mod domain;
pub mod grpc;
pub mod store;
