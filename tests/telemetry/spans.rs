//! The span assertions: a caller's RPC came back as one SERVER span of the caller's
//! trace, parented on the caller's span, with the RPC conventions old and new; its child
//! spans by name; and a span's attributes.

use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use crate::receiver::{attributes, hex};
use crate::server::Caller;

/// The spans of one caller's trace.
fn trace_of(spans: &[Span], caller: Caller) -> Vec<Span> {
    spans
        .iter()
        .filter(|s| hex(&s.trace_id) == caller.trace_id)
        .cloned()
        .collect()
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found = named(spans, name);
    assert_eq!(
        found.len(),
        1,
        "expected one {name} span, got {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

/// The server span of `caller`'s RPC `method`: a SERVER span of the caller's trace whose
/// parent is the caller's span, with the RPC conventions old and new.
pub(crate) fn server_span(
    spans: &[Span],
    caller: Caller,
    service: &str,
    method: &str,
    code: i32,
) -> Span {
    let trace = trace_of(spans, caller);
    let span = one(&trace, &format!("{service}/{method}")).clone();
    assert_eq!(span.kind(), SpanKind::Server);
    assert_eq!(hex(&span.parent_span_id), caller.span_id);
    let a = attributes(&span.attributes);
    let name = match code {
        0 => "OK",
        5 => "NOT_FOUND",
        _ => unreachable!(),
    };
    for (k, v) in [
        ("rpc.system", "grpc"),
        ("rpc.system.name", "grpc"),
        ("rpc.service", service),
        ("rpc.method", method),
        ("rpc.grpc.status_code", &code.to_string()),
        ("rpc.response.status_code", name),
        ("server.address", "127.0.0.1"),
        ("network.peer.address", "127.0.0.1"),
        ("network.transport", "tcp"),
    ] {
        assert_eq!(a.get(k).map(String::as_str), Some(v), "{k} in {a:?}");
    }
    for k in ["server.port", "network.peer.port"] {
        assert!(
            a.get(k).is_some_and(|p| p.parse::<u16>().is_ok()),
            "{k} in {a:?}"
        );
    }
    if code == 0 {
        assert!(!a.contains_key("error.type"), "{a:?}");
    } else {
        assert_eq!(a.get("error.type").map(String::as_str), Some(name));
    }
    span
}

/// The child spans `name` of `parent`.
pub(crate) fn children<'a>(spans: &'a [Span], parent: &Span, name: &str) -> Vec<&'a Span> {
    spans
        .iter()
        .filter(|s| s.trace_id == parent.trace_id && s.parent_span_id == parent.span_id)
        .filter(|s| s.name == name)
        .collect()
}

pub(crate) fn assert_attrs(span: &Span, expected: &[(&str, &str)]) {
    let a = attributes(&span.attributes);
    for (k, v) in expected {
        assert_eq!(
            a.get(*k).map(String::as_str),
            Some(*v),
            "{k} on {}: {a:?}",
            span.name
        );
    }
}
