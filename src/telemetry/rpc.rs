//! The server span per RPC and the RPC duration histograms, as a tower layer on the tonic
//! server.
//!
//! Each request gets a `SERVER` span named after its path, `entitlements.v1.Service/Method`,
//! parented on the caller's W3C `traceparent` (and `tracestate`) when the request carries
//! one. It carries the RPC semantic-convention attributes in both generations:
//! `rpc.system`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code` (older) and
//! `rpc.system.name`, `rpc.response.status_code`, `error.type`, `server.address`,
//! `server.port`, `network.peer.address`, `network.peer.port`, `network.transport`
//! (newer). `rpc.method` keeps the older meaning (the bare method name); the newer
//! fully-qualified `Service/Method` is the span name and the `rpc.method` of the newer
//! `rpc.server.call.duration` metric.
//!
//! The server span is an OpenTelemetry span made directly with the SDK tracer, not a
//! `tracing` span: an RPC that is not sampled then costs one sampling decision and an
//! unrecorded span, where a `tracing` span would also go through the registry, both
//! per-layer filters and the bridge on every enter and exit. Handlers run with the span's
//! context as the current RPC context (see [`traced_context`] and [`current_ids`]): the
//! SLA and check spans are made, as its children, only when it is sampled, and log lines
//! carry its trace and span ids. Every RPC is counted in the metrics.
//!
//! An RPC ends when the last frame of its response has been sent (or the caller went
//! away): its status comes from the `grpc-status` of the response headers (trailers-only
//! errors) or trailers.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use opentelemetry::KeyValue;
use opentelemetry::metrics::ObservableGauge;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::Code;

use crate::store::Store;

/// The layer: wraps every service of the server. Built once per server; it also keeps the
/// store's snapshot-age gauge registered for as long as the server runs.
#[derive(Debug, Clone)]
pub struct RpcLayer {
    /// The `entitlements.store.snapshot.age` registration of the served store.
    _snapshot_age: Arc<ObservableGauge<f64>>,
}

impl RpcLayer {
    /// The layer for a server over `store`.
    pub fn new(store: &Arc<dyn Store>) -> Self {
        RpcLayer {
            _snapshot_age: Arc::new(super::metrics::observe_snapshot_age(store.clone())),
        }
    }
}

impl<S> tower_layer::Layer<S> for RpcLayer {
    type Service = RpcService<S>;

    fn layer(&self, inner: S) -> RpcService<S> {
        RpcService { inner }
    }
}

/// The service [`RpcLayer`] wraps around the server's routes.
#[derive(Debug, Clone)]
pub struct RpcService<S> {
    /// The routes.
    inner: S,
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The service and method of a gRPC path `/pkg.Service/Method`.
fn split_path(path: &str) -> (&str, &str) {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.rsplit_once('/').unwrap_or((path, ""))
}

/// The canonical name of a status code, as `rpc.response.status_code` and `error.type`
/// carry it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Codes that mark a server span as failed (the gRPC conventions: the others are the
/// caller's doing).
fn is_server_error(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

fn grpc_status(headers: &HeaderMap) -> Option<Code> {
    let v = headers.get("grpc-status")?.to_str().ok()?;
    Some(Code::from_i32(v.trim().parse().ok()?))
}

thread_local! {
    /// The server span's context of the RPC whose handler runs on this thread right now,
    /// and whether it is sampled; `None` outside RPC handlers (and without trace export).
    static CURRENT: RefCell<Option<(opentelemetry::Context, bool)>> = const { RefCell::new(None) };
}

/// The context of the RPC being handled on this thread, when that RPC is sampled: the
/// parent of the spans made inside it. `None` otherwise, and then no span is made.
pub fn traced_context() -> Option<opentelemetry::Context> {
    CURRENT.with(|c| match &*c.borrow() {
        Some((cx, true)) => Some(cx.clone()),
        _ => None,
    })
}

/// The trace and span ids of the server span of the RPC being handled on this thread,
/// sampled or not (so that log lines lead to the caller's trace).
pub fn current_ids() -> Option<(String, String)> {
    CURRENT.with(|c| {
        let current = c.borrow();
        let (cx, _) = current.as_ref()?;
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid()
            .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
    })
}

/// Puts back the previous RPC context when dropped, even if the handler panicked.
struct Restore(Option<(opentelemetry::Context, bool)>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs `f` with `current` as the current RPC context.
fn in_rpc<R>(current: Option<&(opentelemetry::Context, bool)>, f: impl FnOnce() -> R) -> R {
    let Some(current) = current else {
        return f();
    };
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(current.clone()))));
    f()
}

/// One RPC in flight: its server span and start. Finishing records the status and ends the
/// span, and records the duration metrics; dropping it unfinished (the caller went away)
/// finishes it CANCELLED.
#[derive(Debug)]
struct RpcCall {
    /// The server span's context and whether it is sampled; `None` without trace export.
    current: Option<(opentelemetry::Context, bool)>,
    start: Instant,
    /// `/pkg.Service/Method`.
    path: String,
    finished: bool,
}

impl RpcCall {
    fn start<B>(req: &http::Request<B>) -> RpcCall {
        let start = Instant::now();
        let path = req.uri().path().to_owned();
        let current = super::tracer().map(|tracer| {
            let parent = if req.headers().contains_key("traceparent") {
                TraceContextPropagator::new().extract(&Headers(req.headers()))
            } else {
                opentelemetry::Context::new()
            };
            // The name, kind and system are there from the start, for the sampler; the
            // other attributes are added only once the span is known to be sampled.
            let mut span = tracer
                .span_builder(path[1.min(path.len())..].to_owned())
                .with_kind(SpanKind::Server)
                .with_attributes([KeyValue::new("rpc.system", "grpc")])
                .start_with_context(tracer, &parent);
            let sampled = span.span_context().is_sampled();
            if sampled {
                let (service, method) = split_path(&path);
                span.set_attributes([
                    KeyValue::new("rpc.system.name", "grpc"),
                    KeyValue::new("rpc.service", service.to_owned()),
                    KeyValue::new("rpc.method", method.to_owned()),
                    KeyValue::new("network.transport", "tcp"),
                ]);
                if let Some(info) = req
                    .extensions()
                    .get::<tonic::transport::server::TcpConnectInfo>()
                {
                    if let Some(local) = info.local_addr() {
                        span.set_attribute(KeyValue::new("server.address", local.ip().to_string()));
                        span.set_attribute(KeyValue::new("server.port", i64::from(local.port())));
                    }
                    if let Some(peer) = info.remote_addr() {
                        span.set_attribute(KeyValue::new(
                            "network.peer.address",
                            peer.ip().to_string(),
                        ));
                        span.set_attribute(KeyValue::new(
                            "network.peer.port",
                            i64::from(peer.port()),
                        ));
                    }
                }
            }
            (parent.with_span(span), sampled)
        });
        RpcCall {
            current,
            start,
            path,
            finished: false,
        }
    }

    fn finish(mut self, code: Code) {
        self.record(code);
    }

    fn record(&mut self, code: Code) {
        self.finished = true;
        let elapsed = self.start.elapsed().as_secs_f64();
        let name = code_name(code);
        if let Some((cx, sampled)) = &self.current {
            let span = cx.span();
            if *sampled {
                span.set_attribute(KeyValue::new("rpc.grpc.status_code", code as i64));
                span.set_attribute(KeyValue::new("rpc.response.status_code", name));
                if code != Code::Ok {
                    span.set_attribute(KeyValue::new("error.type", name));
                }
                if is_server_error(code) {
                    span.set_status(Status::error(name));
                }
            }
            span.end();
        }
        // An unknown service or method is UNIMPLEMENTED: its name could be anything, so it
        // is counted as `_OTHER` to keep the metrics' cardinality bounded.
        let (service, method, full) = if code == Code::Unimplemented {
            ("_OTHER", "_OTHER", "_OTHER")
        } else {
            let (s, m) = split_path(&self.path);
            (s, m, &self.path[1.min(self.path.len())..])
        };
        let m = super::metrics::instruments();
        let mut current = vec![
            KeyValue::new("rpc.system.name", "grpc"),
            KeyValue::new("rpc.method", full.to_owned()),
            KeyValue::new("rpc.response.status_code", name),
        ];
        if code != Code::Ok {
            current.push(KeyValue::new("error.type", name));
        }
        m.rpc_call_duration.record(elapsed, &current);
        m.rpc_duration_ms.record(
            elapsed * 1000.0,
            &[
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", service.to_owned()),
                KeyValue::new("rpc.method", method.to_owned()),
                KeyValue::new("rpc.grpc.status_code", code as i64),
            ],
        );
        in_rpc(self.current.as_ref(), || {
            tracing::debug!(
                rpc = %full,
                status = name,
                duration_us = (elapsed * 1e6) as u64,
                "rpc finished"
            )
        });
    }
}

impl Drop for RpcCall {
    fn drop(&mut self) {
        if !self.finished {
            self.record(Code::Cancelled);
        }
    }
}

impl<S, B, ResBody> tower_service::Service<http::Request<B>> for RpcService<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<ResBody>>,
    ResBody: Body,
{
    type Response = http::Response<RpcBody<ResBody>>;
    type Error = S::Error;
    type Future = RpcFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let call = RpcCall::start(&req);
        let inner = in_rpc(call.current.as_ref(), || self.inner.call(req));
        RpcFuture {
            inner,
            call: Some(call),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future: runs the handler inside the RPC span.
    #[derive(Debug)]
    pub struct RpcFuture<F> {
        #[pin]
        inner: F,
        call: Option<RpcCall>,
    }
}

impl<F, ResBody, E> Future for RpcFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
    ResBody: Body,
{
    type Output = Result<http::Response<RpcBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let current = this.call.as_ref().and_then(|c| c.current.as_ref());
        let result = ready!(in_rpc(current, || this.inner.poll(cx)));
        let call = this.call.take();
        Poll::Ready(match result {
            Ok(response) => {
                // A trailers-only response (an error) has its status in the headers.
                let call = match (call, grpc_status(response.headers())) {
                    (Some(call), Some(code)) => {
                        call.finish(code);
                        None
                    }
                    (call, _) => call,
                };
                Ok(response.map(|inner| RpcBody { inner, call }))
            }
            Err(e) => {
                if let Some(call) = call {
                    call.finish(Code::Unknown);
                }
                Err(e)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// The response body: finishes the RPC at its trailers, its end, or when dropped.
    #[derive(Debug)]
    pub struct RpcBody<B> {
        #[pin]
        inner: B,
        call: Option<RpcCall>,
    }
}

impl<B: Body> Body for RpcBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(f)) => {
                if let Some(trailers) = f.trailers_ref()
                    && let Some(call) = this.call.take()
                {
                    call.finish(grpc_status(trailers).unwrap_or(Code::Unknown));
                }
            }
            Some(Err(_)) => {
                if let Some(call) = this.call.take() {
                    call.finish(Code::Unknown);
                }
            }
            None => {
                if let Some(call) = this.call.take() {
                    call.finish(Code::Unknown);
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(
            split_path("/entitlements.v1.SlaService/ComputeDeadline"),
            ("entitlements.v1.SlaService", "ComputeDeadline")
        );
        assert_eq!(split_path("/nonsense"), ("nonsense", ""));
    }

    #[test]
    fn status_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(grpc_status(&h), None);
        h.insert("grpc-status", "5".parse().unwrap());
        assert_eq!(grpc_status(&h), Some(Code::NotFound));
        assert_eq!(code_name(Code::NotFound), "NOT_FOUND");
        assert!(is_server_error(Code::Internal));
        assert!(!is_server_error(Code::InvalidArgument));
    }
}
