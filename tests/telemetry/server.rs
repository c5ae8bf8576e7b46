//! The server under test: the real binary with a seed of its own, exporting to the
//! receiver through the standard variables and flags, stopped with SIGTERM so that it
//! flushes; the callers' W3C trace contexts; and the RPCs every run makes, with what
//! they answered.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use entitlements::grpc::pb;
use tonic::transport::Channel;

use crate::binary;

// ---- the server under test ----

/// Demo data of its own, so that outcomes do not depend on today's date: a premium
/// contract from 2020 with no end, and an account that never had a contract.
const SEED: &str = r#"
accounts:
  - { id: sre, display_name: "SRE Test Co", time_zone: Europe/Berlin }
  - { id: lapsed, display_name: "No Contract Ltd", time_zone: Europe/Berlin }
contracts:
  - account: sre
    id: main
    plan: premium
    start: 2020-01-01T00:00:00Z
"#;

pub(crate) struct Served {
    child: Child,
    pub(crate) addr: String,
    /// The log lines, once the process has exited.
    logs: Option<std::thread::JoinHandle<Vec<String>>>,
}

impl Served {
    /// The real binary with the seed above, exporting to `endpoint` with extra `args`.
    pub(crate) fn start(seed: &Path, endpoint: &str, args: &[&str]) -> Served {
        let mut cmd = binary::command();
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--seed")
            .arg(seed)
            .args(args)
            // The standard variables, as a deployment would set them.
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env(
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment.name=test,team=sla%20ops",
            )
            .env("RUST_LOG", "info,entitlements::telemetry=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server exited before serving")
                .expect("read a log line");
            if let Some(addr) = binary::serving_addr(&line) {
                break addr;
            }
        };
        // Keep reading so the server never blocks on a full pipe; the lines are returned
        // when the process has exited.
        let logs = std::thread::spawn(move || lines.map_while(Result::ok).collect());
        Served {
            child,
            addr,
            logs: Some(logs),
        }
    }

    /// SIGTERM, then wait: the binary flushes traces and metrics before it exits.
    pub(crate) fn terminate(mut self) -> Vec<String> {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "server exited with {status}");
        self.logs
            .take()
            .expect("log reader")
            .join()
            .expect("log reader")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ts(rfc3339: &str) -> prost_types::Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("RFC 3339");
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// A caller's span: a W3C trace id and parent span id, sampled.
#[derive(Clone, Copy)]
pub(crate) struct Caller {
    pub(crate) trace_id: &'static str,
    pub(crate) span_id: &'static str,
}

impl Caller {
    fn request<T>(self, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        r.metadata_mut().insert(
            "traceparent",
            format!("00-{}-{}-01", self.trace_id, self.span_id)
                .parse()
                .unwrap(),
        );
        r
    }
}

pub(crate) const GRANTED: Caller = Caller {
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    span_id: "00f067aa0ba902b7",
};
pub(crate) const NOT_STARTED: Caller = Caller {
    trace_id: "5bf92f3577b34da6a3ce929d0e0e4737",
    span_id: "10f067aa0ba902b7",
};
pub(crate) const UNKNOWN_ACCOUNT: Caller = Caller {
    trace_id: "6bf92f3577b34da6a3ce929d0e0e4738",
    span_id: "20f067aa0ba902b7",
};
pub(crate) const PAST_DEADLINE: Caller = Caller {
    trace_id: "7bf92f3577b34da6a3ce929d0e0e4739",
    span_id: "30f067aa0ba902b7",
};
pub(crate) const FUTURE_DEADLINE: Caller = Caller {
    trace_id: "8bf92f3577b34da6a3ce929d0e0e473a",
    span_id: "40f067aa0ba902b7",
};
pub(crate) const NO_CONTRACT_DEADLINE: Caller = Caller {
    trace_id: "9bf92f3577b34da6a3ce929d0e0e473b",
    span_id: "50f067aa0ba902b7",
};
pub(crate) const BREACHED_CASE: Caller = Caller {
    trace_id: "abf92f3577b34da6a3ce929d0e0e473c",
    span_id: "60f067aa0ba902b7",
};
pub(crate) const MET_CASE: Caller = Caller {
    trace_id: "bbf92f3577b34da6a3ce929d0e0e473d",
    span_id: "70f067aa0ba902b7",
};
pub(crate) const AT_RISK_CASE: Caller = Caller {
    trace_id: "cbf92f3577b34da6a3ce929d0e0e473e",
    span_id: "80f067aa0ba902b7",
};

/// Reason names as the telemetry carries them: the proto enum name without its prefix,
/// lowercase.
fn reason_key(reason: i32) -> String {
    pb::DecisionReason::try_from(reason)
        .unwrap()
        .as_str_name()
        .trim_start_matches("DECISION_REASON_")
        .to_lowercase()
}

/// A plaintext channel to the server at `addr`.
pub(crate) async fn plaintext(addr: &str) -> Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect")
}

/// What the RPCs answered, for comparison with what the telemetry says.
pub(crate) struct Answers {
    pub(crate) not_started_reason: String,
    pub(crate) past_due: String,
}

/// The same RPCs for every run: two checks, a check of an unknown account (a store
/// error), three deadlines and two case evaluations.
pub(crate) async fn make_calls(channel: Channel) -> Answers {
    let mut ent = pb::entitlement_service_client::EntitlementServiceClient::new(channel.clone());
    let mut sla = pb::sla_service_client::SlaServiceClient::new(channel);
    let check = |account: &str, time: &str| pb::CheckEntitlementRequest {
        account: account.into(),
        benefit: "technical_account_manager".into(),
        check_time: Some(ts(time)),
        ..Default::default()
    };
    let granted = ent
        .check_entitlement(GRANTED.request(check("accounts/sre", "2020-06-01T10:00:00Z")))
        .await
        .unwrap()
        .into_inner();
    assert!(granted.allowed);
    let not_started = ent
        .check_entitlement(NOT_STARTED.request(check("accounts/sre", "2019-06-01T10:00:00Z")))
        .await
        .unwrap()
        .into_inner();
    assert!(!not_started.allowed);
    let status = ent
        .check_entitlement(
            UNKNOWN_ACCOUNT.request(check("accounts/nobody", "2020-06-01T10:00:00Z")),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);

    let deadline = |account: &str, open: &str| pb::ComputeDeadlineRequest {
        account: account.into(),
        priority: pb::Priority::P1.into(),
        open_time: Some(ts(open)),
        milestone: pb::Milestone::FirstResponse.into(),
        ..Default::default()
    };
    // Premium P1 first response: 30 minutes on the continuous clock.
    let past = sla
        .compute_deadline(PAST_DEADLINE.request(deadline("accounts/sre", "2020-06-01T10:00:00Z")))
        .await
        .unwrap()
        .into_inner();
    let past_due = past.due_time.expect("due");
    assert_eq!(past_due, ts("2020-06-01T10:30:00Z"));
    sla.compute_deadline(FUTURE_DEADLINE.request(deadline("accounts/sre", "2099-06-01T10:00:00Z")))
        .await
        .unwrap();
    let none = sla
        .compute_deadline(
            NO_CONTRACT_DEADLINE.request(deadline("accounts/lapsed", "2020-06-01T10:00:00Z")),
        )
        .await
        .unwrap()
        .into_inner();
    assert!(!none.has_target);

    let case = |first_response: &str| pb::EvaluateCaseRequest {
        account: "accounts/sre".into(),
        case: Some(pb::CaseTimeline {
            open_time: Some(ts("2020-06-01T10:00:00Z")),
            priority: pb::Priority::P1.into(),
            first_response_time: Some(ts(first_response)),
            ..Default::default()
        }),
        evaluate_time: Some(ts("2020-06-01T12:00:00Z")),
    };
    // First response 15 minutes late; the next update (every 12h) is pending at 12:00.
    sla.evaluate_case(BREACHED_CASE.request(case("2020-06-01T10:45:00Z")))
        .await
        .unwrap();
    // First response 10 minutes early.
    sla.evaluate_case(MET_CASE.request(case("2020-06-01T10:20:00Z")))
        .await
        .unwrap();
    // No response yet at 10:25: 25 of 30 minutes used, past the 75% threshold (not 90%).
    sla.evaluate_case(AT_RISK_CASE.request(pb::EvaluateCaseRequest {
        account: "accounts/sre".into(),
        case: Some(pb::CaseTimeline {
            open_time: Some(ts("2020-06-01T10:00:00Z")),
            priority: pb::Priority::P1.into(),
            ..Default::default()
        }),
        evaluate_time: Some(ts("2020-06-01T10:25:00Z")),
    }))
    .await
    .unwrap();
    Answers {
        not_started_reason: reason_key(not_started.reason),
        past_due: "2020-06-01T10:30:00Z".into(),
    }
}

pub(crate) fn seed_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("seed.yaml");
    std::fs::write(&path, SEED).unwrap();
    path
}
