//! `crossmargin`: run the demo, evaluate a portfolio, manage an account, run the keeper.

use std::process::ExitCode;

use clap::Parser;
use crossmargin_cli::app::{run, Cli};

/// This project's log lines only, unless RUST_LOG says otherwise (the Solana and RPC crates log
/// thousands of lines at info).
const DEFAULT_LOG: &str =
    "warn,tarpc=error,crossmargin_keeper=info,crossmargin_cli=info,crossmargin_localnet=info";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| DEFAULT_LOG.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
