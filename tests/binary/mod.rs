//! The real `entitlements` binary as the tests and benchmarks start it: with none of the
//! runner's store, logging, TLS or telemetry settings (the runner's `DATABASE_URL` is for
//! the store tests, and its `OTEL_*`, `ENTITLEMENTS_*` or `RUST_LOG` must not change what
//! a test sees or a benchmark measures), and the address it reports once serving.

#![allow(dead_code, unreachable_pub)]

use std::process::Command;

/// Removes the runner's settings from `cmd`'s environment.
pub fn without_runner_settings(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if name == "DATABASE_URL"
            || name == "RUST_LOG"
            || name.starts_with("ENTITLEMENTS_")
            || name.starts_with("OTEL_")
        {
            cmd.env_remove(&k);
        }
    }
    cmd
}

/// The test build of the binary, without the runner's settings.
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entitlements"));
    without_runner_settings(&mut cmd);
    cmd
}

/// The listening address, if `line` (a JSON log line) is the "serving" line.
pub fn serving_addr(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    (v["message"] == "serving").then(|| v["addr"].as_str().expect("addr").to_owned())
}
