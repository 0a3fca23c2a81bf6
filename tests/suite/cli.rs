//! The `crossmargin` command line: the risk report on hand-computed portfolios, clear errors,
//! and the demo's end-to-end story.

use clap::Parser;
use crossmargin_cli::app::{run, Cli};
use crossmargin_cli::portfolio::{evaluate, parse, to_output};

fn report_json(text: &str) -> serde_json::Value {
    serde_json::to_value(to_output(&evaluate(&parse(text).unwrap()).unwrap())).unwrap()
}

fn close(v: &serde_json::Value, expected: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((x - expected).abs() < 1e-6, "{x} != {expected}");
}

/// The example of the issue: 1,000 USDC, long 3.5 ETH from 3,000, oracle 2,950.
/// notional 10,325; uPnL -175; E 825; MM 516.25; IM 1,032.5; free -207.5; leverage 12.515152;
/// liquidation price: 1,000 + 3.5 (p - 3,000) = 0.175 p -> p = 2,857.142857.. -> 2,857.142858;
/// funding 1 bp/hour on 10,325 = 24.78 a day.
#[test]
fn risk_report_single_position() {
    let v = report_json(
        r#"{"collateral": 1000.0, "positions": [{"market": "ETH-PERP", "base": 3.5, "entry_price": 3000.0,
            "oracle_price": 2950.0, "initial_margin_ratio": 0.1, "maintenance_margin_ratio": 0.05,
            "funding_rate_hourly": 0.0001}]}"#,
    );
    close(&v["equity"], 825.0);
    close(&v["maintenance_requirement"], 516.25);
    close(&v["initial_requirement"], 1032.5);
    close(&v["free_collateral"], -207.5);
    close(&v["effective_leverage"], 12.515152);
    assert_eq!(v["liquidatable"], false);
    let p = &v["positions"][0];
    assert_eq!(p["market"], "ETH-PERP");
    close(&p["notional"], 10325.0);
    close(&p["unrealized_pnl"], -175.0);
    close(&p["liquidation_price"], 2857.142858);
    close(&p["funding_per_day"], 24.78);
}

/// Cross margin with default ratios: 500 USDC; ETH long 1 @ 3,000 now 2,700; BTC short 0.1 @
/// 60,000 now 55,000. E = 700; MM = 135 + 137.5; IM = 270 + 275; free 155; ETH liquidates at
/// 1,000 + (p - 3,000) = 0.05 p + 137.5 -> p = 2,250 exactly. A third position alone at a loss
/// shows the liquidation price as null when no price of its own can liquidate the account.
#[test]
fn risk_report_cross_margin() {
    let v = report_json(
        r#"{"collateral": 500, "positions": [
            {"market": "ETH-PERP", "base": 1, "entry_price": 3000, "oracle_price": 2700},
            {"market": "BTC-PERP", "base": -0.1, "entry_price": 60000, "oracle_price": 55000}]}"#,
    );
    close(&v["equity"], 700.0);
    close(&v["maintenance_requirement"], 272.5);
    close(&v["initial_requirement"], 545.0);
    close(&v["free_collateral"], 155.0);
    close(&v["effective_leverage"], 11.714286);
    close(&v["positions"][0]["liquidation_price"], 2250.0);
    close(&v["positions"][1]["unrealized_pnl"], 500.0);

    let v = report_json(
        r#"{"collateral": 5000, "positions": [{"market": "SOL-PERP", "base": 10, "entry_price": 150, "oracle_price": 140}]}"#,
    );
    assert!(v["positions"][0]["liquidation_price"].is_null());
    close(&v["equity"], 4900.0);
}

#[test]
fn risk_report_refuses_bad_portfolios() {
    let err = |text: &str| {
        evaluate(&parse(text).unwrap())
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    assert!(parse("{not json")
        .unwrap_err()
        .to_string()
        .starts_with("portfolio is not valid"));
    assert!(err(r#"{"collateral": 1, "positions": [{"market": "XYZ-PERP", "base": 1, "entry_price": 1, "oracle_price": 1}]}"#)
        .contains("unknown market 'XYZ-PERP'"));
    assert!(err(r#"{"collateral": 1, "positions": [{"market": "X", "base": 1, "entry_price": 1, "oracle_price": 1,
        "initial_margin_ratio": 0.05, "maintenance_margin_ratio": 0.1}]}"#)
    .contains("maintenance_margin_ratio < initial_margin_ratio"));
    assert!(err(r#"{"collateral": 1, "positions": [{"market": "ETH-PERP", "base": 1, "entry_price": -3, "oracle_price": 1}]}"#)
        .contains("positive"));
    assert!(parse(r#"{"collateral": 1, "extra": 2}"#).is_err());
}

#[tokio::test]
async fn cli_errors_are_one_line() {
    let dir = std::env::temp_dir().join(format!("crossmargin-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.json");
    let cli = Cli::try_parse_from([
        "crossmargin",
        "risk",
        "--portfolio",
        missing.to_str().unwrap(),
    ])
    .unwrap();
    let e = run(cli).await.unwrap_err().to_string();
    assert!(e.starts_with("cannot read") && !e.contains('\n'), "{e}");

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[1, 2").unwrap();
    let cli = Cli::try_parse_from([
        "crossmargin",
        "risk",
        "--portfolio",
        bad.to_str().unwrap(),
        "--json",
    ])
    .unwrap();
    let e = run(cli).await.unwrap_err().to_string();
    assert!(
        e.starts_with("portfolio is not valid") && !e.contains('\n'),
        "{e}"
    );

    // an RPC endpoint nobody listens on
    let kp = dir.join("id.json");
    solana_sdk::signature::write_keypair_file(&solana_sdk::signature::Keypair::new(), &kp).unwrap();
    let cli = Cli::try_parse_from([
        "crossmargin",
        "account",
        "--url",
        "http://127.0.0.1:9",
        "--keypair",
        kp.to_str().unwrap(),
        "show",
    ])
    .unwrap();
    let e = run(cli).await.unwrap_err().to_string();
    assert!(
        e.starts_with("http://127.0.0.1:9 is unreachable or not a Solana RPC endpoint"),
        "{e}"
    );

    let cli = Cli::try_parse_from([
        "crossmargin",
        "account",
        "--keypair",
        dir.join("nope.json").to_str().unwrap(),
        "create",
    ])
    .unwrap();
    let e = run(cli).await.unwrap_err().to_string();
    assert!(e.contains("cannot read keypair"), "{e}");
}

#[tokio::test]
async fn demo_tells_the_whole_story_and_ends_solvent() {
    let out = crossmargin_cli::demo::run().await.unwrap();
    assert!(out.contains("LIQUIDATABLE"), "{out}");
    assert!(
        out.contains("liquidatable: ") && out.contains("carol") && out.contains("bob"),
        "{out}"
    );
    assert!(out.contains("funding updated on 3 market(s)"), "{out}");
    assert!(out.contains("SOLVENT (difference"), "{out}");
    assert!(!out.contains("failures"), "{out}");
}

/// Portfolio margin in the what-if report, against the formula worked by hand. 4,000 USDC; long
/// 10 ETH and short 0.5 BTC, both at their entry (3,000 and 60,000), both 5% maintenance and
/// 10% initial, one margin group, 70% systematic. Maintenance terms a = 1,500 and -1,500:
/// R = 0.3 * 1,500 + 0.3 * 1,500 + |0.7 * 1,500 - 0.7 * 1,500| = 900 (standard 3,000);
/// initial 1,800 (standard 6,000). ETH's liquidation price, BTC held: E = 4,000 + 10 (p - 3,000)
/// and R = 0.15 p + 450 + |0.35 p - 1,050| = 1,500 - 0.2 p below 3,000, so p = 27,500 / 10.2 =
/// 2,696.078431; in standard margin MM = 0.5 p + 1,500 and p = 27,500 / 9.5 = 2,894.736842.
#[test]
fn risk_report_portfolio_margin_matches_the_formula() {
    let portfolio = |mode: &str| {
        format!(
            r#"{{"collateral": 4000, "margin_mode": "{mode}", "positions": [
            {{"market": "ETH-PERP", "base": 10, "entry_price": 3000, "oracle_price": 3000,
              "initial_margin_ratio": 0.1, "maintenance_margin_ratio": 0.05, "margin_group": 1, "systematic_share": 0.7}},
            {{"market": "BTC-PERP", "base": -0.5, "entry_price": 60000, "oracle_price": 60000,
              "initial_margin_ratio": 0.1, "maintenance_margin_ratio": 0.05, "margin_group": 1, "systematic_share": 0.7}}]}}"#
        )
    };
    let near = |v: &serde_json::Value, x: f64| {
        let got = v.as_f64().unwrap();
        assert!((got - x).abs() <= 2e-6, "{got} != {x}");
    };
    let v = report_json(&portfolio("portfolio"));
    assert_eq!(v["margin_mode"], "portfolio");
    close(&v["maintenance_requirement"], 900.0);
    close(&v["initial_requirement"], 1_800.0);
    close(&v["standard_maintenance_requirement"], 3_000.0);
    close(&v["standard_initial_requirement"], 6_000.0);
    close(&v["free_collateral"], 2_200.0);
    near(&v["positions"][0]["liquidation_price"], 27_500.0 / 10.2);
    let s = report_json(&portfolio("standard"));
    close(&s["maintenance_requirement"], 3_000.0);
    near(&s["positions"][0]["liquidation_price"], 27_500.0 / 9.5);
    // bad portfolio-margin inputs, each named
    let err = |text: String| {
        evaluate(&parse(&text).unwrap())
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    assert!(err(portfolio("both")).contains("margin_mode must be"));
    assert!(err(portfolio("portfolio").replacen("0.7", "0.8", 1))
        .contains("systematic_share must be at most 0.75"));
    assert!(
        err(portfolio("portfolio").replacen("\"margin_group\": 1", "\"margin_group\": 65", 1))
            .contains("margin_group must be 0 to 64")
    );
}

/// What a new user types with no node running: bad amounts are refused before any network call;
/// a keeper that cannot reach its node exits with an error; reading another owner's account
/// needs no keypair; the risk command has no chain flags.
#[tokio::test]
async fn cli_refuses_bad_input_before_the_network() {
    let dir = std::env::temp_dir().join(format!("crossmargin-cli-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kp = dir.join("id.json");
    solana_sdk::signature::write_keypair_file(&solana_sdk::signature::Keypair::new(), &kp).unwrap();
    let nobody = "http://127.0.0.1:9";
    for (amount, why) in [
        ("nan", "is not a number"),
        ("-5", "must be more than 0"),
        ("0", "must be more than 0"),
        ("1e30", "is not a number"),
        ("1.0000001", "more than 6 decimals"),
        ("99999999999999999999", "too large"),
    ] {
        for command in ["deposit", "withdraw"] {
            let cli = Cli::try_parse_from([
                "crossmargin",
                "account",
                "--url",
                nobody,
                "--keypair",
                kp.to_str().unwrap(),
                command,
                amount,
            ])
            .unwrap_or_else(|e| panic!("{command} {amount}: {e}"));
            let e = run(cli).await.unwrap_err().to_string();
            assert!(
                e.contains(why) && !e.contains("unreachable"),
                "{command} {amount}: {e}"
            );
        }
    }
    // the keeper exits with an error when it cannot reach its node
    let cli = Cli::try_parse_from([
        "crossmargin",
        "keeper",
        "--url",
        nobody,
        "--keypair",
        kp.to_str().unwrap(),
        "run",
        "--rounds",
        "1",
        "--interval",
        "0",
    ])
    .unwrap();
    let e = run(cli).await.unwrap_err().to_string();
    assert!(e.contains("unreachable"), "{e}");
    // another owner's account: no keypair read (the default path does not exist here)
    let owner = solana_sdk::pubkey::Pubkey::new_unique().to_string();
    let cli = Cli::try_parse_from([
        "crossmargin",
        "account",
        "--url",
        nobody,
        "--keypair",
        dir.join("absent.json").to_str().unwrap(),
        "show",
        "--owner",
        &owner,
    ])
    .unwrap();
    let e = run(cli).await.unwrap_err().to_string();
    assert!(e.contains("unreachable") && !e.contains("keypair"), "{e}");
    // risk needs no chain: no --url or --keypair, and --portfolio says what it is
    let help = match Cli::try_parse_from(["crossmargin", "risk", "--help"]) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("--help parses as an error that prints the help"),
    };
    assert!(
        !help.contains("--url") && !help.contains("--keypair"),
        "{help}"
    );
    assert!(
        help.contains("--portfolio <PORTFOLIO>") && help.contains("The portfolio file"),
        "{help}"
    );
}
