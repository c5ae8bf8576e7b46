//! The API driven by clients nobody on this project wrote, against the real binary:
//! Python grpcio (health, reflection listing, a CheckEntitlement and a ComputeDeadline),
//! `buf lint` on the protos, and every `buf curl` call of the README's tour. Also the
//! binary's own `health` subcommand and its graceful exit on SIGTERM.
//!
//! The tools are installed by the README's test command (`bash .ci/test`) under
//! target/tools; the paths can be overridden with ENTITLEMENTS_TEST_PYTHON and
//! ENTITLEMENTS_TEST_BUF.

mod binary;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tool(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(default));
    assert!(
        path.exists(),
        "{} not found: run `bash .ci/test` once to install the test tools, or set {var}",
        path.display()
    );
    path
}

/// The real binary serving the demo seed on a free loopback port.
struct Served {
    child: Child,
    addr: String,
}

impl Served {
    fn start() -> Served {
        let mut child = binary::command()
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--seed")
            .arg(root().join("examples/demo-seed.yaml"))
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
        // Keep draining logs so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Served { child, addr }
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
        self.child.wait().expect("wait")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn python_grpcio_client() {
    let python = tool("ENTITLEMENTS_TEST_PYTHON", "target/tools/venv/bin/python");
    let served = Served::start();
    let out = Command::new(python)
        .arg(root().join("tests/clients/grpcio_client.py"))
        .arg(&served.addr)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["health"], "SERVING");
    assert_eq!(v["health_entitlements"], "SERVING");
    let services: Vec<&str> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for s in [
        "entitlements.v1.EntitlementService",
        "entitlements.v1.SlaService",
        "entitlements.v1.CatalogService",
        "entitlements.v1.AccountService",
        "entitlements.v1.ContractService",
        "entitlements.v1.CaseService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            services.contains(&s),
            "{s} missing from reflection: {services:?}"
        );
    }
    assert_eq!(v["check"]["allowed"], true);
    assert_eq!(v["check"]["reason"], "DECISION_REASON_GRANTED");
    assert_eq!(
        v["check"]["contract"]["contract"],
        "accounts/acme/contracts/2026"
    );
    // Initech (standard, Asia/Seoul 09-12 and 13-18, Christmas closed): opened Thursday
    // 2026-12-24 17:30 KST; 0.5h that day, Friday closed, Monday 09-12 (3h) and 13-17:30
    // (4.5h) make 8h at Monday 17:30 KST = 08:30 UTC.
    assert_eq!(v["deadline"]["dueTime"], "2026-12-28T08:30:00Z");
    assert_eq!(v["deadline"]["clock"], "CLOCK_BUSINESS_HOURS");
    assert_eq!(v["bad_benefit"], "INVALID_ARGUMENT");
    // The tracked case, created and read back through grpcio.
    assert_eq!(
        v["case_created"]["case"]["name"],
        "accounts/acme/cases/py-1"
    );
    assert_eq!(v["case_created"]["case"]["state"], "CASE_STATE_OPEN");
    let case = &v["case"]["case"];
    assert_eq!(case["externalReference"], "PY-1");
    assert_eq!(
        case["timeline"]["firstResponseTime"],
        "2026-06-01T10:20:00Z"
    );
    let first = &v["case"]["evaluation"]["milestones"][0];
    assert_eq!(first["milestone"], "MILESTONE_FIRST_RESPONSE");
    assert_eq!(first["status"], "MILESTONE_STATUS_MET");
    assert_eq!(first["dueTime"], "2026-06-01T10:30:00Z");
    assert_eq!(
        v["case"]["evaluation"]["contract"]["contract"],
        "accounts/acme/contracts/2026"
    );
    let listed: Vec<&str> = v["cases_listed"]["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["accounts/acme/cases/py-1"]);
}

#[test]
fn buf_lint_is_clean() {
    let buf = tool(
        "ENTITLEMENTS_TEST_BUF",
        "target/tools/buf/node_modules/.bin/buf",
    );
    let out = Command::new(buf)
        .arg("lint")
        .current_dir(root().join("proto"))
        .output()
        .expect("run buf lint");
    assert!(
        out.status.success(),
        "buf lint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `buf curl` commands of the README, as written (one per line, `\` continuations
/// joined).
fn readme_buf_curls() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in readme.lines() {
        let line = line.trim_end();
        if current.is_empty() && !line.starts_with("buf curl") {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    commands
}

#[test]
fn readme_buf_curl_tour_works_as_written() {
    let buf = tool(
        "ENTITLEMENTS_TEST_BUF",
        "target/tools/buf/node_modules/.bin/buf",
    );
    let commands = readme_buf_curls();
    assert!(
        commands.len() >= 5,
        "the README tour has {} buf curl calls",
        commands.len()
    );
    let served = Served::start();
    for cmd in commands {
        let cmd = cmd
            .replacen("buf curl", &format!("{} curl", buf.display()), 1)
            .replace("127.0.0.1:50051", &served.addr);
        let out = Command::new("bash")
            .args(["-c", &cmd])
            .output()
            .expect("run buf curl");
        assert!(
            out.status.success(),
            "{cmd}\nfailed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{cmd}: {e}"));
        assert!(v.is_object(), "{cmd}: {v}");
    }
}

#[test]
fn health_subcommand_and_graceful_sigterm() {
    let served = Served::start();
    let out = binary::command()
        .args(["health", "--addr", &format!("http://{}", served.addr)])
        .output()
        .expect("run health");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "SERVING");
    let out = binary::command()
        .args(["health", "--addr", &format!("http://{}", served.addr)])
        .args(["--service", "entitlements.v1.NoSuchService"])
        .output()
        .expect("run health");
    assert!(!out.status.success(), "an unknown service is not healthy");
    let status = served.terminate();
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}
