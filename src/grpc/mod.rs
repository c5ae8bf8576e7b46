//! The gRPC edge: one module per service, conversions between protobuf and domain
//! types, the error mapping, and the layers around every call (auth, guard, consistency).
//! Handlers are short: convert, call the domain, convert back.

pub mod account;
pub mod auth;
pub mod batch;
pub mod case;
pub mod catalog;
pub mod consistency;
pub mod contract;
pub mod convert;
pub mod entitlement;
pub mod error;
pub mod guard;
pub mod once;
pub mod pb;
pub mod role;
pub mod sla;
pub mod wire;
