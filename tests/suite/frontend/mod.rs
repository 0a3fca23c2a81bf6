//! The TypeScript client (`app/ts`) against the program, in both directions, through committed
//! files that each side's tests check:
//! - `vectors`: Rust writes accounts' bytes, oracle bytes, risk figures and SDK instruction bytes
//!   to `app/ts/test/vectors/vectors.json`; the TS tests decode, build and compute the same.
//! - `scenario`: the TS tests write a whole scenario as serialized transactions to
//!   `app/ts/test/vectors/scenario.json`; Rust replays it in program-test, checks the outcome,
//!   and writes the resulting accounts (`replay.json`) for the TS risk view to read.
//!
//! A generated file that differs from the committed one fails the test;
//! `CM_UPDATE_VECTORS=1` rewrites it (then commit, and run the TS tests).

mod scenario;
mod vectors;

use std::path::PathBuf;

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../app/ts/test/vectors")
}

/// Compares `json` with the committed file `name` (or rewrites it under `CM_UPDATE_VECTORS`).
pub fn check_committed(name: &str, json: &serde_json::Value) {
    let text = serde_json::to_string_pretty(json).unwrap() + "\n";
    let path = vectors_dir().join(name);
    if std::env::var("CM_UPDATE_VECTORS").is_ok() {
        std::fs::create_dir_all(vectors_dir()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "app/ts/test/vectors/{name} differs from what the Rust side generates: run \
         CM_UPDATE_VECTORS=1 cargo test -p cross-margin-tests frontend, then the TS tests, and commit"
    );
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
