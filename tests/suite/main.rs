//! One integration-test binary; every module shares the harness.

mod harness;

mod admin;
mod adversaries;
mod cli;
mod collateral;
mod frontend;
mod funding;
mod health_accounts;
mod idl;
mod incidents;
mod keeper;
mod liquidation;
mod localnet;
mod maker;
mod margin_accounts;
mod oracles;
mod portfolio;
mod randomized;
mod review;
mod settlement;
mod trading;
mod triggers;
