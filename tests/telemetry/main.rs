//! Traces, metrics and logs end to end: a real OTLP/gRPC receiver (opentelemetry-proto's
//! TraceService and MetricsService on port 0, in this test) and the real binary configured
//! to export to it through the standard variables and flags. Real RPCs carrying a W3C
//! `traceparent` must come back as server spans of the caller's trace with the RPC
//! conventions, SLA and check spans with every attribute, a `sla.breach` event on each
//! breach, and the metrics; the binary flushes everything when it exits on SIGTERM, so
//! every assertion runs after the process is gone.
//!
//! One module per part: receiver.rs (the OTLP receiver, what it was sent, and the
//! attribute and span readers), server.rs (the binary under test, the callers and the
//! RPCs every run makes), spans.rs (the span assertions), metrics.rs (the metric data
//! points and the metrics every run must show), end_to_end.rs (the tests).

#[path = "../binary/mod.rs"]
mod binary;
#[path = "../hardening/mod.rs"]
mod hardening;

mod metrics;
mod receiver;
mod server;
mod spans;

mod end_to_end;
