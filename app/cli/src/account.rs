//! Account commands against a cluster (`--url`, `--keypair`): create, deposit, withdraw, show,
//! delegate, margin mode, stop-loss / take-profit orders. Every transaction goes through the
//! keeper crate's sender: v0 against the exchange's lookup tables, compute budget from a
//! simulation.

use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::get_associated_token_address;
use cross_margin::instructions::TriggerOrderParams;
use cross_margin::risk::{MarginMode, TriggerKind};
use cross_margin::state::{DelegateLimits, MarginAccount, TriggerOrders};
use crossmargin_keeper::chain::{send_instructions, SendOptions};
use crossmargin_keeper::{load_exchange, Chain, ExchangeState};
use crossmargin_sdk::risk::{account_report, RiskReport};
use crossmargin_sdk::{accounts as decode, health, instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signature, Signer};

use crate::error::CliError;

/// How user commands send: a modest priority fee.
pub fn send_options() -> SendOptions {
    SendOptions {
        priority_fee: 5_000,
        ..SendOptions::default()
    }
}

/// Sends `ixs` signed by `signers` against the exchange's tables.
pub async fn send<C: Chain>(
    chain: &mut C,
    state: &ExchangeState,
    ixs: &[anchor_lang::solana_program::instruction::Instruction],
    signers: &[&Keypair],
) -> Result<Signature, CliError> {
    Ok(send_instructions(chain, ixs, signers, &state.tables, &send_options()).await?)
}

pub async fn create<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
) -> Result<Pubkey, CliError> {
    let state = load_exchange(chain).await?;
    send(
        chain,
        &state,
        &[ix::create_margin_account(owner.pubkey(), sub)],
        &[owner],
    )
    .await?;
    Ok(pda::margin_account(&owner.pubkey(), sub))
}

/// Deposits `amount` (native) from `token` (default: the owner's associated USDC account).
pub async fn deposit<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
    amount: u64,
    token: Option<Pubkey>,
) -> Result<(), CliError> {
    let state = load_exchange(chain).await?;
    let token = token.unwrap_or_else(|| {
        get_associated_token_address(&owner.pubkey(), &state.exchange.collateral_mint)
    });
    let account = pda::margin_account(&owner.pubkey(), sub);
    load_account(chain, &account).await?;
    send(
        chain,
        &state,
        &[ix::deposit(owner.pubkey(), account, token, amount)],
        &[owner],
    )
    .await?;
    Ok(())
}

fn oracles(state: &ExchangeState) -> impl Fn(u16) -> Option<Pubkey> + '_ {
    move |i| state.oracle(i)
}

/// Withdraws `amount` (native) to `token` (default: the owner's associated USDC account), with
/// the health accounts derived from the account's positions.
pub async fn withdraw<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
    amount: u64,
    token: Option<Pubkey>,
) -> Result<(), CliError> {
    let state = load_exchange(chain).await?;
    let token = token.unwrap_or_else(|| {
        get_associated_token_address(&owner.pubkey(), &state.exchange.collateral_mint)
    });
    let key = pda::margin_account(&owner.pubkey(), sub);
    let account = load_account(chain, &key).await?;
    let metas = health::health_metas_for(&[&account], &oracles(&state))
        .map_err(|e| CliError::new(e.to_string()))?;
    send(
        chain,
        &state,
        &[ix::withdraw(owner.pubkey(), sub, token, amount, metas)],
        &[owner],
    )
    .await?;
    Ok(())
}

pub async fn load_account<C: Chain>(
    chain: &mut C,
    key: &Pubkey,
) -> Result<MarginAccount, CliError> {
    let a = chain
        .get_account(key)
        .await?
        .ok_or_else(|| CliError::new(format!("no margin account at {key}: create it first")))?;
    decode::decode_margin_account(&a.data).map_err(|e| CliError::new(format!("{key}: {e}")))
}

/// The account's trigger orders, if it has a trigger-order account.
pub async fn load_orders<C: Chain>(
    chain: &mut C,
    account: &Pubkey,
) -> Result<Option<TriggerOrders>, CliError> {
    match chain.get_account(&pda::trigger_orders(account)).await? {
        None => Ok(None),
        Some(a) => decode::decode_trigger_orders(&a.data)
            .map(Some)
            .map_err(|e| CliError::new(e.to_string())),
    }
}

/// The risk view of the owner's account `sub` (its trigger orders included).
pub async fn show<C: Chain>(
    chain: &mut C,
    owner: &Pubkey,
    sub: u16,
) -> Result<RiskReport, CliError> {
    let state = load_exchange(chain).await?;
    let key = pda::margin_account(owner, sub);
    let account = load_account(chain, &key).await?;
    let orders = load_orders(chain, &key).await?;
    Ok(account_report(
        &account,
        &state.priced_markets(),
        orders.as_ref(),
    )?)
}

/// Names a delegate with its limits (`Pubkey::default()` clears it).
pub async fn set_delegate<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
    delegate: Pubkey,
    limits: DelegateLimits,
) -> Result<(), CliError> {
    let state = load_exchange(chain).await?;
    let key = pda::margin_account(&owner.pubkey(), sub);
    load_account(chain, &key).await?;
    send(
        chain,
        &state,
        &[ix::set_delegate(owner.pubkey(), sub, delegate, limits)],
        &[owner],
    )
    .await?;
    Ok(())
}

pub async fn set_margin_mode<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
    mode: MarginMode,
) -> Result<(), CliError> {
    let state = load_exchange(chain).await?;
    let key = pda::margin_account(&owner.pubkey(), sub);
    let account = load_account(chain, &key).await?;
    let metas = health::health_metas_for(&[&account], &oracles(&state))
        .map_err(|e| CliError::new(e.to_string()))?;
    send(
        chain,
        &state,
        &[ix::set_margin_mode(owner.pubkey(), sub, mode, metas)],
        &[owner],
    )
    .await?;
    Ok(())
}

/// The market index of `symbol` (or of an index given as a number).
pub fn market_by_name(state: &ExchangeState, name: &str) -> Result<u16, CliError> {
    if let Ok(i) = name.parse::<u16>() {
        if state.markets.contains_key(&i) {
            return Ok(i);
        }
    }
    state
        .markets
        .values()
        .find(|m| m.market.symbol_str().eq_ignore_ascii_case(name))
        .map(|m| m.market.market_index)
        .ok_or_else(|| {
            let names: Vec<&str> = state
                .markets
                .values()
                .map(|m| m.market.symbol_str())
                .collect();
            CliError::new(format!("no market '{name}' (listed: {})", names.join(", ")))
        })
}

/// Places a stop-loss or take-profit (creating the trigger-order account first if needed).
pub async fn place_order<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
    market: &str,
    params: TriggerOrderParams,
) -> Result<u64, CliError> {
    let state = load_exchange(chain).await?;
    let index = market_by_name(&state, market)?;
    let key = pda::margin_account(&owner.pubkey(), sub);
    let account = load_account(chain, &key).await?;
    account
        .position(index)
        .ok_or_else(|| CliError::new(format!("the account has no {market} position to protect")))?;
    let existing = load_orders(chain, &key).await?;
    let id = existing.as_ref().map_or(0, |t| t.next_order_id);
    let mut ixs = Vec::new();
    if existing.is_none() {
        ixs.push(ix::create_trigger_orders(owner.pubkey(), key));
    }
    let oracle = state
        .oracle(index)
        .ok_or_else(|| CliError::new("market without oracle"))?;
    ixs.push(ix::place_trigger_order(
        owner.pubkey(),
        key,
        index,
        oracle,
        params,
    ));
    send(chain, &state, &ixs, &[owner]).await?;
    Ok(id)
}

pub async fn cancel_order<C: Chain>(
    chain: &mut C,
    owner: &Keypair,
    sub: u16,
    order_id: u64,
) -> Result<(), CliError> {
    let state = load_exchange(chain).await?;
    let key = pda::margin_account(&owner.pubkey(), sub);
    send(
        chain,
        &state,
        &[ix::cancel_trigger_order(owner.pubkey(), key, order_id)],
        &[owner],
    )
    .await?;
    Ok(())
}

/// Builds the order parameters a `stop-loss` / `take-profit` command describes.
pub fn order_params(
    kind: TriggerKind,
    trigger_price: i64,
    limit_price: i64,
    size: u64,
    premium_bps: u32,
    expiry: i64,
) -> TriggerOrderParams {
    TriggerOrderParams {
        kind,
        trigger_price,
        limit_price,
        size,
        expiry,
        premium: premium_bps * 100,
    }
}
