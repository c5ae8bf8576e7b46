//! Telemetry: logs on stdout and, when an OTLP endpoint is configured, traces and metrics
//! exported over OTLP/gRPC.
//!
//! [`init`] sets up logs only: one JSON object per line when stdout is not a terminal,
//! readable text when it is. [`init_with_export`] adds the OpenTelemetry pipeline that the
//! standard `OTEL_*` variables (or the matching `serve` flags) configure, and returns a
//! [`TelemetryGuard`] whose [`TelemetryGuard::shutdown`] flushes every pending span and
//! metric. Without an endpoint nothing is exported and no OpenTelemetry layer is installed.
//!
//! - [`rpc`]: the server span per RPC and the RPC duration histograms (a tower layer).
//! - [`sla`]: SLA attributes on deadline, evaluation and check spans, breach events, and
//!   the SLA outcome and entitlement decision counters.
//! - [`metrics`]: every instrument, in one place.
//! - `log`: the JSON log line, with the trace and span ids of the current span.

mod log;
pub mod metrics;
pub mod rpc;
pub mod sla;

use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing::Level;
use tracing_subscriber::filter::{FilterExt, Targets, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

pub use crate::config::TracesSampler;
use crate::config::{LogFormat, ServeArgs};

/// The `service.name` of exported telemetry when none is configured.
pub const DEFAULT_SERVICE_NAME: &str = "entitlements";

/// The instrumentation scope of every span and metric this crate exports.
pub const SCOPE: &str = "entitlements";

/// The tracer of the export pipeline, set once by [`init_with_export`]; the server spans of
/// [`rpc`] are made with it directly.
static TRACER: OnceLock<opentelemetry_sdk::trace::SdkTracer> = OnceLock::new();

/// The export pipeline's tracer, when traces are exported.
fn tracer() -> Option<&'static opentelemetry_sdk::trace::SdkTracer> {
    TRACER.get()
}

/// What to export, and where: the `OTEL_*` settings of `serve`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportConfig {
    /// The OTLP/gRPC endpoint; `None` or empty means no export at all.
    pub endpoint: Option<String>,
    /// `service.name`; [`DEFAULT_SERVICE_NAME`] when unset (and not in the attributes).
    pub service_name: Option<String>,
    /// The trace sampler; parent-based always-on when unset.
    pub sampler: Option<TracesSampler>,
    /// The ratio of the `traceidratio` samplers, in [0, 1]; 1 when unset.
    pub sampler_arg: Option<f64>,
    /// More resource attributes: `key=value` pairs separated by commas, values
    /// percent-encoded (the `OTEL_RESOURCE_ATTRIBUTES` format).
    pub resource_attributes: Option<String>,
}

impl From<&ServeArgs> for ExportConfig {
    fn from(args: &ServeArgs) -> Self {
        ExportConfig {
            endpoint: args.otlp_endpoint.clone(),
            service_name: args.service_name.clone(),
            sampler: args.traces_sampler,
            sampler_arg: args.traces_sampler_arg,
            resource_attributes: args.resource_attributes.clone(),
        }
    }
}

impl ExportConfig {
    /// The endpoint, if export is on.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
    }

    /// The configured sampler.
    pub fn sampler(&self) -> Result<Sampler, TelemetryError> {
        let ratio = match self.sampler_arg {
            None => 1.0,
            Some(r) if (0.0..=1.0).contains(&r) => r,
            Some(r) => return Err(TelemetryError::SamplerArg(r)),
        };
        let parent_based = |root| Sampler::ParentBased(Box::new(root));
        Ok(
            match self.sampler.unwrap_or(TracesSampler::ParentBasedAlwaysOn) {
                TracesSampler::AlwaysOn => Sampler::AlwaysOn,
                TracesSampler::AlwaysOff => Sampler::AlwaysOff,
                TracesSampler::TraceIdRatio => Sampler::TraceIdRatioBased(ratio),
                TracesSampler::ParentBasedAlwaysOn => parent_based(Sampler::AlwaysOn),
                TracesSampler::ParentBasedAlwaysOff => parent_based(Sampler::AlwaysOff),
                TracesSampler::ParentBasedTraceIdRatio => {
                    parent_based(Sampler::TraceIdRatioBased(ratio))
                }
            },
        )
    }

    /// The resource every span and metric is exported with: `service.name` (the setting,
    /// else the attributes', else [`DEFAULT_SERVICE_NAME`]), `service.version`, the SDK's
    /// `telemetry.sdk.*`, and the configured attributes.
    pub fn resource(&self) -> Result<Resource, TelemetryError> {
        let attributes = match self.resource_attributes.as_deref() {
            Some(text) => parse_resource_attributes(text)?,
            None => Vec::new(),
        };
        let from_attributes = attributes
            .iter()
            .find(|kv| kv.key.as_str() == "service.name")
            .map(|kv| kv.value.to_string());
        let service_name = self
            .service_name
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or(from_attributes)
            .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned());
        Ok(Resource::builder_empty()
            .with_detector(Box::new(
                opentelemetry_sdk::resource::TelemetryResourceDetector,
            ))
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .with_attributes(attributes)
            .with_service_name(service_name)
            .build())
    }
}

/// Parses `OTEL_RESOURCE_ATTRIBUTES`: `key=value` pairs separated by commas, keys and
/// values trimmed and percent-decoded. Any malformed pair refuses the whole value, as the
/// OpenTelemetry specification asks.
pub fn parse_resource_attributes(text: &str) -> Result<Vec<KeyValue>, TelemetryError> {
    let bad = || TelemetryError::ResourceAttributes(text.to_owned());
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').ok_or_else(bad)?;
            let key = percent_decode(key.trim()).ok_or_else(bad)?;
            let value = percent_decode(value.trim()).ok_or_else(bad)?;
            if key.is_empty() {
                return Err(bad());
            }
            Ok(KeyValue::new(key, value))
        })
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The sampler ratio is outside [0, 1].
    #[error("OTEL_TRACES_SAMPLER_ARG / --traces-sampler-arg must be in [0, 1], got {0}")]
    SamplerArg(f64),
    /// `OTEL_RESOURCE_ATTRIBUTES` is not a list of `key=value` pairs.
    #[error(
        "OTEL_RESOURCE_ATTRIBUTES / --resource-attributes must be key=value pairs separated \
         by commas, got {0:?}"
    )]
    ResourceAttributes(String),
    /// An OTLP exporter could not be built (e.g. a malformed endpoint).
    #[error("OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// Keeps the export pipeline alive; [`TelemetryGuard::shutdown`] (or dropping it) flushes
/// every pending span and metric and stops the exporters.
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    /// The trace pipeline, when exporting.
    tracer_provider: Option<SdkTracerProvider>,
    /// The metric pipeline, when exporting; also the global meter provider.
    meter_provider: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// True when traces and metrics are exported.
    pub fn is_exporting(&self) -> bool {
        self.tracer_provider.is_some() || self.meter_provider.is_some()
    }

    /// Flushes and stops the exporters, off the async worker threads (the exporters'
    /// own I/O runs on the runtime, so a worker must not block on it).
    pub async fn shutdown(self) {
        if self.is_exporting() {
            let _ = tokio::task::spawn_blocking(move || drop(self)).await;
        }
    }

    fn flush_and_stop(&mut self) {
        if let Some(p) = self.tracer_provider.take()
            && let Err(e) = p.shutdown()
        {
            eprintln!("telemetry: flushing traces failed: {e}");
        }
        if let Some(p) = self.meter_provider.take()
            && let Err(e) = p.shutdown()
        {
            eprintln!("telemetry: flushing metrics failed: {e}");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.flush_and_stop();
    }
}

/// Installs the global subscriber for logs only (no export). Call once, at start.
pub fn init(format: LogFormat, filter: &str) {
    if let Err(e) = install(format, filter, None) {
        eprintln!("logging already initialised: {e}");
    }
}

/// Installs logs plus, when `export` names an endpoint, OTLP traces and metrics; returns the
/// guard that flushes them. Call once, at start, inside the Tokio runtime (the exporters'
/// gRPC clients run on it).
pub fn init_with_export(
    format: LogFormat,
    filter: &str,
    export: &ExportConfig,
) -> Result<TelemetryGuard, TelemetryError> {
    let Some(endpoint) = export.endpoint() else {
        init(format, filter);
        return Ok(TelemetryGuard::default());
    };
    let resource = export.resource()?;
    let span_exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    let tracer_provider = SdkTracerProvider::builder()
        .with_sampler(export.sampler()?)
        .with_resource(resource.clone())
        .with_batch_exporter(span_exporter)
        .build();
    let metric_exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_reader(PeriodicReader::builder(metric_exporter).build())
        .build();
    opentelemetry::global::set_meter_provider(meter_provider.clone());
    let tracer = tracer_provider.tracer(SCOPE);
    let _ = TRACER.set(tracer.clone());
    if let Err(e) = install(format, filter, Some(tracer)) {
        eprintln!("logging already initialised: {e}");
    }
    Ok(TelemetryGuard {
        tracer_provider: Some(tracer_provider),
        meter_provider: Some(meter_provider),
    })
}

/// The targets whose spans go to OpenTelemetry: this crate's own. Everything else (hyper,
/// h2, tonic, the exporter's own gRPC traffic) stays out, or the exporter would trace
/// itself in a loop.
fn own_targets() -> Targets {
    Targets::new().with_target(env!("CARGO_CRATE_NAME"), Level::INFO)
}

fn install(
    format: LogFormat,
    filter: &str,
    tracer: Option<opentelemetry_sdk::trace::SdkTracer>,
) -> Result<(), tracing_subscriber::util::TryInitError> {
    let env_filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let dispatch = Arc::new(OnceLock::new());
    let logs: Box<dyn Layer<Registry> + Send + Sync> = if json {
        // JSON lines show no span fields, only the trace and span ids, so spans are kept
        // away from this layer: formatting their fields on every RPC would be wasted work.
        tracing_subscriber::fmt::layer()
            .event_format(log::JsonLines::new(dispatch.clone()))
            // The level hint matters for speed: without one on both sides `and` has none,
            // so `tracing` cannot skip h2's and hyper's trace-level spans and events, and
            // every HTTP/2 frame pays for creating and filtering them.
            .with_filter(
                env_filter.and(
                    filter_fn(|m| m.is_event())
                        .with_max_level_hint(tracing::level_filters::LevelFilter::TRACE),
                ),
            )
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_filter(env_filter)
            .boxed()
    };
    let registry = tracing_subscriber::registry().with(logs);
    // Not an `Option` layer: a `None` layer still counts as one that wants every span, so
    // without export every span would be built (and its fields formatted) for nobody.
    match tracer {
        Some(tracer) => registry
            .with(
                tracing_opentelemetry::layer()
                    .with_tracer(tracer)
                    .with_location(false)
                    .with_threads(false)
                    .with_tracked_inactivity(false)
                    // Nothing here reads OpenTelemetry's own current context (child spans
                    // find their parent through tracing), so entering a span need not
                    // attach one.
                    .with_context_activation(false)
                    .with_filter(own_targets()),
            )
            .try_init()?,
        None => registry.try_init()?,
    }
    // Outside any event now, so this is the global dispatcher just installed.
    tracing::dispatcher::get_default(|d| {
        let _ = dispatch.set(d.downgrade());
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_endpoint_means_no_export() {
        for endpoint in [None, Some(String::new()), Some("  ".to_owned())] {
            let c = ExportConfig {
                endpoint,
                ..Default::default()
            };
            assert_eq!(c.endpoint(), None);
        }
        let c = ExportConfig {
            endpoint: Some("http://127.0.0.1:4317".into()),
            ..Default::default()
        };
        assert_eq!(c.endpoint(), Some("http://127.0.0.1:4317"));
    }

    #[test]
    fn samplers() {
        let sampler = |kind, arg| {
            let c = ExportConfig {
                sampler: kind,
                sampler_arg: arg,
                ..Default::default()
            };
            c.sampler().map(|s| format!("{s:?}"))
        };
        assert_eq!(sampler(None, None).unwrap(), "ParentBased(AlwaysOn)");
        assert_eq!(
            sampler(Some(TracesSampler::ParentBasedTraceIdRatio), Some(0.0)).unwrap(),
            "ParentBased(TraceIdRatioBased(0.0))"
        );
        assert_eq!(
            sampler(Some(TracesSampler::TraceIdRatio), Some(0.25)).unwrap(),
            "TraceIdRatioBased(0.25)"
        );
        assert_eq!(
            sampler(Some(TracesSampler::AlwaysOff), None).unwrap(),
            "AlwaysOff"
        );
        for bad in [1.5, -0.1, f64::NAN] {
            assert!(matches!(
                sampler(Some(TracesSampler::TraceIdRatio), Some(bad)),
                Err(TelemetryError::SamplerArg(_))
            ));
        }
    }

    #[test]
    fn resource_attributes_are_parsed_and_decoded() {
        let kvs = parse_resource_attributes(
            " deployment.environment.name = prod ,team=sla%20ops,,k8s.pod.name=a%2Cb",
        )
        .unwrap();
        let pairs: Vec<(String, String)> = kvs
            .iter()
            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("deployment.environment.name".into(), "prod".into()),
                ("team".into(), "sla ops".into()),
                ("k8s.pod.name".into(), "a,b".into()),
            ]
        );
        for bad in ["novalue", "=x", "a=%zz", "a=%4"] {
            assert!(
                parse_resource_attributes(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn service_name_precedence() {
        let name = |c: &ExportConfig| {
            c.resource()
                .unwrap()
                .get(&opentelemetry::Key::from_static_str("service.name"))
                .map(|v| v.to_string())
        };
        let mut c = ExportConfig::default();
        assert_eq!(name(&c).as_deref(), Some(DEFAULT_SERVICE_NAME));
        c.resource_attributes = Some("service.name=from-attrs,team=sla".into());
        assert_eq!(name(&c).as_deref(), Some("from-attrs"));
        c.service_name = Some("from-setting".into());
        assert_eq!(name(&c).as_deref(), Some("from-setting"));
        let r = c.resource().unwrap();
        assert_eq!(
            r.get(&opentelemetry::Key::from_static_str("team"))
                .map(|v| v.to_string())
                .as_deref(),
            Some("sla")
        );
    }
}
