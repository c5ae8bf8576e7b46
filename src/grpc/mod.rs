//! The gRPC edge: one module per service, conversions between protobuf and domain
//! types, and the error mapping. Handlers are short: convert, call the domain, convert
//! back.

pub mod account;
pub mod catalog;
pub mod contract;
pub mod convert;
pub mod entitlement;
pub mod error;
pub mod pb;
pub mod sla;
