//! Account commands against a cluster (`--url`, `--keypair`): create, deposit, withdraw, show.

use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::get_associated_token_address;
use crossmargin_keeper::{load_exchange_and_markets, Chain};
use crossmargin_sdk::risk::{account_report, RiskReport};
use crossmargin_sdk::{accounts as decode, health, instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};

use crate::error::CliError;

/// Priority fee for user commands, micro-lamports per compute unit.
pub const PRIORITY_FEE: u64 = 5_000;

fn usdc_native(amount: f64) -> Result<u64, CliError> {
    let v = (amount * 1e6).round();
    if !(1.0..1.8e19).contains(&v) {
        return Err(CliError::new(format!(
            "amount {amount} USDC is not a positive amount"
        )));
    }
    Ok(v as u64)
}

pub async fn create<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
) -> Result<Pubkey, CliError> {
    chain
        .send(
            &[ix::create_margin_account(owner.pubkey(), sub)],
            &[owner],
            PRIORITY_FEE,
        )
        .await?;
    Ok(pda::margin_account(&owner.pubkey(), sub))
}

/// Deposits from `token` (default: the owner's associated USDC account).
pub async fn deposit<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
    amount: f64,
    token: Option<Pubkey>,
) -> Result<(), CliError> {
    let (exchange, _) = load_exchange_and_markets(chain).await?;
    let token = token.unwrap_or_else(|| {
        get_associated_token_address(&owner.pubkey(), &exchange.collateral_mint)
    });
    let account = pda::margin_account(&owner.pubkey(), sub);
    chain
        .send(
            &[ix::deposit(
                owner.pubkey(),
                account,
                token,
                usdc_native(amount)?,
            )],
            &[owner],
            PRIORITY_FEE,
        )
        .await?;
    Ok(())
}

/// Withdraws to `token` (default: the owner's associated USDC account), with the health accounts
/// derived from the account's positions.
pub async fn withdraw<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
    amount: f64,
    token: Option<Pubkey>,
) -> Result<(), CliError> {
    let (exchange, markets) = load_exchange_and_markets(chain).await?;
    let token = token.unwrap_or_else(|| {
        get_associated_token_address(&owner.pubkey(), &exchange.collateral_mint)
    });
    let key = pda::margin_account(&owner.pubkey(), sub);
    let account = load_account(chain, &key).await?;
    let oracles = |i: u16| markets.get(i as usize).map(|(m, _)| m.oracle);
    let metas = health::health_metas_for(&[&account], &oracles)
        .map_err(|e| CliError::new(e.to_string()))?;
    chain
        .send(
            &[ix::withdraw(
                owner.pubkey(),
                key,
                token,
                usdc_native(amount)?,
                metas,
            )],
            &[owner],
            PRIORITY_FEE,
        )
        .await?;
    Ok(())
}

async fn load_account<C: Chain>(
    chain: &mut C,
    key: &Pubkey,
) -> Result<cross_margin::state::MarginAccount, CliError> {
    let a = chain
        .get_account(key)
        .await?
        .ok_or_else(|| CliError::new(format!("no margin account at {key}: create it first")))?;
    decode::decode_margin_account(&a.data).map_err(|e| CliError::new(format!("{key}: {e}")))
}

/// The risk view of the owner's account `sub`.
pub async fn show<C: Chain>(
    chain: &mut C,
    owner: &Pubkey,
    sub: u16,
) -> Result<RiskReport, CliError> {
    let (_, markets) = load_exchange_and_markets(chain).await?;
    let key = pda::margin_account(owner, sub);
    let account = load_account(chain, &key).await?;
    Ok(account_report(&account, &markets)?)
}
