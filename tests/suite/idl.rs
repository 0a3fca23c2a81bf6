//! The IDL is generated natively (Anchor's `idl-build` feature: the program's IDL-printing tests,
//! as `anchor idl build` runs them, in their own target directory) and must equal the committed
//! `app/ts/idl/cross_margin.json`. `CM_UPDATE_IDL=1` rewrites the committed file.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn idl_target_dir() -> PathBuf {
    match std::env::var("CM_IDL_TARGET_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => {
            let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
            Path::new(&home).join(".cache/crossmargin/idl-target")
        }
    }
}

/// Runs the IDL-printing tests and assembles their output: the program block, with the address,
/// the errors, and the events and their types added. (`anchor-lang-idl`'s builder cannot run
/// inside `cargo test`: it re-invokes cargo with a literal `+{toolchain}` when `RUSTUP_TOOLCHAIN`
/// is set, which it is here. That variable must stay: without it rustup picks the toolchain of
/// `pythnet-sdk`'s own `rust-toolchain` file, 1.82.0, while compiling that crate.)
fn generate_idl(program: &Path, target: &Path) -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "test",
            "__anchor_private_print_idl",
            "--features",
            "idl-build",
            "--lib",
            "--target-dir",
        ])
        .arg(target)
        .args(["--", "--show-output", "--quiet"])
        .env("ANCHOR_IDL_BUILD_PROGRAM_PATH", program)
        .env("ANCHOR_IDL_BUILD_NO_DOCS", "FALSE")
        .env("ANCHOR_IDL_BUILD_RESOLUTION", "TRUE")
        .env("ANCHOR_IDL_BUILD_SKIP_LINT", "FALSE")
        .env("RUSTFLAGS", "-A warnings")
        .current_dir(program)
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "IDL build failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // blocks: `--- IDL begin <kind> ---` ... `--- IDL end <kind> ---`
    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in stdout.lines() {
        if let Some(kind) = line
            .strip_prefix("--- IDL begin ")
            .and_then(|l| l.strip_suffix(" ---"))
        {
            current = Some((kind.to_string(), String::new()));
        } else if line.starts_with("--- IDL end ") {
            blocks.extend(current.take());
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let parse = |s: &str| -> Value { serde_json::from_str(s).expect("IDL block is JSON") };
    let (mut program, mut address) = (None, None);
    let mut errors = Value::Array(vec![]);
    let (mut events, mut types): (Vec<Value>, Vec<Value>) = (Vec::new(), Vec::new());
    for (kind, body) in blocks {
        match kind.as_str() {
            "program" => program = Some(parse(&body)),
            // a JSON string holding the address as a JSON string
            "address" => address = Some(parse(parse(&body).as_str().expect("address string"))),
            "errors" => errors = parse(&body),
            "event" => {
                let mut v = parse(&body);
                events.push(v["event"].take());
                if let Value::Array(ts) = v["types"].take() {
                    types.extend(ts);
                }
            }
            other => panic!("unknown IDL block {other}"),
        }
    }
    let mut idl = program.expect("program block");
    idl["address"] = address.expect("address block");
    if let Value::Array(ts) = idl["types"].take() {
        types.extend(ts);
    }
    let name = |v: &Value| v["name"].as_str().unwrap_or_default().to_string();
    types.sort_by_key(name);
    types.dedup_by_key(|v| name(v));
    events.sort_by_key(name);
    idl["types"] = Value::Array(types);
    idl["events"] = Value::Array(events);
    idl["errors"] = errors;
    simplify_paths(&mut idl);
    idl
}

/// Names come out as module paths (`cross_margin::state::market::Market`); like `anchor idl
/// build`, use the last segment wherever that is unambiguous.
fn simplify_paths(idl: &mut Value) {
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.contains("::") => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            Value::Object(o) => o.values().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    fn rewrite(v: &mut Value, map: &std::collections::BTreeMap<String, String>) {
        match v {
            Value::String(s) => {
                if let Some(short) = map.get(s.as_str()) {
                    *s = short.clone();
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| rewrite(x, map)),
            Value::Object(o) => o.values_mut().for_each(|x| rewrite(x, map)),
            _ => {}
        }
    }
    let mut paths = Vec::new();
    collect(idl, &mut paths);
    paths.sort();
    paths.dedup();
    let last = |p: &str| p.rsplit("::").next().unwrap_or(p).to_string();
    let mut map = std::collections::BTreeMap::new();
    for p in &paths {
        if paths.iter().filter(|q| last(q) == last(p)).count() == 1 {
            map.insert(p.clone(), last(p));
        }
    }
    rewrite(idl, &map);
}

#[test]
fn idl_is_generated_and_committed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let program = root.join("programs/cross_margin").canonicalize().unwrap();
    let idl = generate_idl(&program, &idl_target_dir());
    // Anchor's own IDL type accepts it
    let typed: anchor_lang_idl::types::Idl =
        serde_json::from_value(idl).expect("a valid Anchor IDL");
    assert_eq!(typed.metadata.name, "cross_margin");
    assert_eq!(typed.address, cross_margin::ID.to_string());
    let names: Vec<&str> = typed.instructions.iter().map(|i| i.name.as_str()).collect();
    // every entry point of lib.rs, and every event of events.rs, is in it (no list to keep)
    let src = program.join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let entries: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub fn "))
        .map(|l| l.split(['(', '<']).next().unwrap())
        .collect();
    assert!(entries.len() >= 25, "{entries:?}");
    for n in &entries {
        assert!(names.contains(n), "{n} missing from the IDL");
    }
    assert_eq!(names.len(), entries.len());
    assert_eq!(
        typed.errors.len(),
        cross_margin::error::ErrorCode::ALL.len()
    );
    let events = std::fs::read_to_string(src.join("events.rs")).unwrap();
    assert_eq!(typed.events.len(), events.matches("#[event]").count());
    let json = serde_json::to_string_pretty(&typed).unwrap() + "\n";
    let path = root.join("app/ts/idl/cross_margin.json");
    if std::env::var("CM_UPDATE_IDL").is_ok() {
        std::fs::write(&path, &json).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == json,
        "app/ts/idl/cross_margin.json is not the IDL the program generates: \
         run CM_UPDATE_IDL=1 cargo test -p cross-margin-tests idl and commit it"
    );
}
