//! The JSON log line: `timestamp`, `level`, `target`, `message` and the event's own fields
//! at the top level, plus `trace_id` and `span_id` of the current span when OpenTelemetry
//! traces it, so that a log line leads to its trace.

use std::fmt;
use std::sync::{Arc, OnceLock};

use opentelemetry::trace::TraceContextExt as _;
use serde_json::{Map, Value};
use tracing::dispatcher::WeakDispatch;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats each event as one JSON object per line.
#[derive(Debug, Clone)]
pub(super) struct JsonLines {
    /// The subscriber this format is part of, set once it is installed: the OpenTelemetry
    /// context of a span is read through it. Unset (no ids) until then.
    dispatch: Arc<OnceLock<WeakDispatch>>,
}

impl JsonLines {
    pub(super) fn new(dispatch: Arc<OnceLock<WeakDispatch>>) -> Self {
        JsonLines { dispatch }
    }

    /// The trace and span ids of the event's span (its explicit parent, else the current
    /// span) when that span has a valid OpenTelemetry context, else those of the RPC being
    /// handled on this thread (only when traces are exported).
    fn ids(&self, event: &Event<'_>) -> Option<(String, String)> {
        self.span_ids(event).or_else(super::rpc::current_ids)
    }

    fn span_ids(&self, event: &Event<'_>) -> Option<(String, String)> {
        let dispatch = self.dispatch.get()?.upgrade()?;
        let id = match event.parent() {
            Some(id) => id.clone(),
            None if event.is_contextual() => dispatch.current_span().id()?.clone(),
            None => return None,
        };
        let cx = tracing_opentelemetry::get_otel_context(&id, &dispatch)?;
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid()
            .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
    }
}

struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), format!("{value:?}").into());
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("level".into(), meta.level().as_str().into());
        event.record(&mut Fields(&mut line));
        line.insert("target".into(), meta.target().into());
        if let Some((trace_id, span_id)) = self.ids(event) {
            line.insert("trace_id".into(), trace_id.into());
            line.insert("span_id".into(), span_id.into());
        }
        writeln!(writer, "{}", Value::Object(line))
    }
}
