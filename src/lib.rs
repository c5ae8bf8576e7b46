//! `entitlements`: answers "is this customer entitled to this support benefit right now?"
//! and "when is this case's first response or next update due, and was it met?" over gRPC.
//!
//! # Layout
//! - [`domain`]: the pure engine (catalog, calendars, business time, deadlines, contracts,
//!   entitlements, obligations, escalation management); no gRPC or SQL types.
//! - [`app`]: the use cases; the only place a write's rules live ([`app::decide`]), and
//!   seed files.
//! - [`store`]: the [`store::Store`] trait, the in-memory state the hot path reads, the
//!   embedded memory store and the Postgres store; they persist what `app` decided.
//! - [`names`]: typed resource names (`plans/{id}`, `accounts/{a}/contracts/{c}`, ...):
//!   parsing and printing them happens there only.
//! - [`reason`]: the [`reason::Reason`] enum, owner of every stable error reason code.
//! - [`grpc`]: one module per gRPC service, proto <-> domain conversion, error mapping;
//!   the layers around every call: authentication (`auth`) and roles (`role`), deadlines,
//!   load shedding and panics (`guard`), consistency tokens.
//! - [`server`]: every service plus health and reflection on one listener: TLS, limits,
//!   graceful shutdown.
//! - [`config`]: the command line and its environment variables.
//! - [`cli`]: what each subcommand does.
//! - [`telemetry`]: logs, and traces and metrics over OTLP: the per-RPC server span, SLA
//!   and check spans, and the metrics.
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod grpc;
pub mod names;
pub mod reason;
pub mod server;
pub mod store;
pub mod telemetry;
