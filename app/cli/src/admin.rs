//! Admin commands: every change is queued and waits out the exchange's timelock; anyone executes
//! it after; the admin or the guardian cancels it before. The one immediate power is a
//! protective market status (pause, reduce-only), for a bounded time.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountDeserialize;
use cross_margin::state::{ActionStatus, AdminAction, MarketStatus, QueuedAction};
use crossmargin_keeper::{load_exchange, Chain};
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};

use crate::account::send;
use crate::error::CliError;
use crossmargin_sdk::config::MarketConfig;

/// The `AddMarket` a market of the deploy config describes.
pub fn add_market_action(m: &MarketConfig) -> Result<AdminAction, CliError> {
    Ok(m.add_market_action()?)
}

/// Queues `action`; returns its id and when it may execute.
pub async fn queue<C: Chain>(
    chain: &mut C,
    admin: &Keypair,
    action: AdminAction,
) -> Result<(u64, i64), CliError> {
    let state = load_exchange(chain).await?;
    if state.exchange.admin != admin.pubkey() {
        return Err(CliError::new(format!(
            "{} is not the exchange admin ({})",
            admin.pubkey(),
            state.exchange.admin
        )));
    }
    let id = state.exchange.next_action_id;
    send(
        chain,
        &state,
        &[ix::queue_admin_action(admin.pubkey(), id, action.clone())],
        &[admin],
    )
    .await?;
    // a listing puts its market and oracle in the exchange's lookup table now (at the index it
    // will take if the listings queued before it run first; `execute` adds the actual one)
    if let AdminAction::AddMarket { oracle, .. } = &action {
        let before = pending(chain)
            .await?
            .iter()
            .filter(|q| q.id < id && matches!(q.action, AdminAction::AddMarket { .. }))
            .count() as u16;
        let index = state.exchange.market_count + before;
        extend_table(chain, &state, admin, &[pda::market(index), *oracle]).await?;
    }
    let q = load_queued(chain, id).await?;
    Ok((id, q.execute_after))
}

/// Adds `addresses` (those it lacks) to the exchange's first lookup table when `authority`
/// holds its authority; otherwise says who must.
pub async fn extend_table<C: Chain>(
    chain: &mut C,
    state: &crossmargin_keeper::ExchangeState,
    authority: &Keypair,
    addresses: &[Pubkey],
) -> Result<(), CliError> {
    use solana_address_lookup_table_interface::{instruction as alt, state::AddressLookupTable};
    let Some(table) = state.exchange.lookup_tables.first().copied() else {
        return Ok(());
    };
    let Some(account) = chain.get_account(&table).await? else {
        return Err(CliError::new(format!(
            "lookup table {table} does not exist"
        )));
    };
    let parsed = AddressLookupTable::deserialize(&account.data)
        .map_err(|e| CliError::new(format!("{table} is not a lookup table: {e}")))?;
    let missing: Vec<Pubkey> = addresses
        .iter()
        .filter(|a| !parsed.addresses.contains(a))
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if parsed.meta.authority != Some(authority.pubkey()) {
        return Err(CliError::new(format!(
            "lookup table {table} lacks {missing:?}; its authority ({:?}) must extend it",
            parsed.meta.authority
        )));
    }
    let payer = chain.payer().pubkey();
    let i = alt::extend_lookup_table(table, authority.pubkey(), Some(payer), missing);
    send(chain, state, &[i], &[authority]).await?;
    Ok(())
}

pub async fn load_queued<C: Chain>(chain: &mut C, id: u64) -> Result<QueuedAction, CliError> {
    let a = chain
        .get_account(&pda::admin_action(id))
        .await?
        .ok_or_else(|| CliError::new(format!("no queued change {id}")))?;
    QueuedAction::try_deserialize(&mut &a.data[..]).map_err(|e| CliError::new(e.to_string()))
}

/// Executes queued change `id` (anyone; the signer pays the rent of a new market).
pub async fn execute<C: Chain>(chain: &mut C, executor: &Keypair, id: u64) -> Result<(), CliError> {
    let state = load_exchange(chain).await?;
    let q = load_queued(chain, id).await?;
    if q.status != ActionStatus::Queued {
        return Err(CliError::new(format!("change {id} is {:?}", q.status)));
    }
    if state.now < q.execute_after {
        return Err(CliError::new(format!(
            "change {id} may execute in {} s (at unix time {})",
            q.execute_after - state.now,
            q.execute_after
        )));
    }
    let (market, oracle) = ix::action_accounts(&q.action, state.exchange.market_count);
    send(
        chain,
        &state,
        &[ix::execute_admin_action(
            executor.pubkey(),
            id,
            market,
            oracle,
        )],
        &[executor],
    )
    .await?;
    if let (AdminAction::AddMarket { .. }, Some(m), Some(o)) = (&q.action, market, oracle) {
        // the market's actual index: in the table unless the executor cannot extend it
        if let Err(e) = extend_table(chain, &state, executor, &[m, o]).await {
            tracing::warn!(error = %e, "listed; the lookup table was not extended");
        }
    }
    Ok(())
}

/// Cancels queued change `id` (the admin or the guardian).
pub async fn cancel<C: Chain>(chain: &mut C, authority: &Keypair, id: u64) -> Result<(), CliError> {
    let state = load_exchange(chain).await?;
    send(
        chain,
        &state,
        &[ix::cancel_admin_action(authority.pubkey(), id)],
        &[authority],
    )
    .await?;
    Ok(())
}

/// Every queued change still waiting, with its id.
pub async fn pending<C: Chain>(chain: &mut C) -> Result<Vec<QueuedAction>, CliError> {
    let state = load_exchange(chain).await?;
    let keys: Vec<Pubkey> = (0..state.exchange.next_action_id)
        .map(pda::admin_action)
        .collect();
    let mut out = Vec::new();
    for a in chain
        .get_multiple_accounts(&keys)
        .await?
        .into_iter()
        .flatten()
    {
        let q = QueuedAction::try_deserialize(&mut &a.data[..])
            .map_err(|e| CliError::new(e.to_string()))?;
        if q.status == ActionStatus::Queued {
            out.push(q);
        }
    }
    Ok(out)
}

/// A protective status for `hours` (or `Active` to lift it), by the admin or the guardian.
pub async fn set_status<C: Chain>(
    chain: &mut C,
    authority: &Keypair,
    market: u16,
    status: MarketStatus,
    duration_secs: u32,
) -> Result<(), CliError> {
    let state = load_exchange(chain).await?;
    send(
        chain,
        &state,
        &[ix::set_market_status(
            authority.pubkey(),
            market,
            status,
            duration_secs,
        )],
        &[authority],
    )
    .await?;
    Ok(())
}

/// One line per queued change.
pub fn describe(q: &QueuedAction, now: i64) -> String {
    let wait = if now >= q.execute_after {
        "due".to_string()
    } else {
        format!("in {} s", q.execute_after - now)
    };
    let what = match &q.action {
        AdminAction::AddMarket { symbol, oracle, .. } => {
            let end = symbol.iter().position(|b| *b == 0).unwrap_or(16);
            format!(
                "add market {} (oracle {oracle})",
                String::from_utf8_lossy(&symbol[..end])
            )
        }
        AdminAction::UpdateMarket { market_index, .. } => format!("update market {market_index}"),
        AdminAction::SetOracle {
            market_index,
            oracle,
            ..
        } => {
            format!("move market {market_index} to oracle {oracle}")
        }
        AdminAction::SetLookupTables { tables } => format!("lookup tables {tables:?}"),
        AdminAction::TransferAdmin { new_admin } => format!("transfer admin to {new_admin}"),
        AdminAction::SetGuardian { guardian } => format!("guardian {guardian}"),
        AdminAction::SetTimelockDelay { delay_secs } => format!("timelock delay {delay_secs} s"),
        AdminAction::SetLiquidationBuffer { buffer } => format!("liquidation buffer {buffer} ppm"),
        AdminAction::SettleMarket { market_index } => format!("settle market {market_index}"),
        AdminAction::SetPortfolioMargin { enabled } => {
            format!("portfolio margin {}", if *enabled { "on" } else { "off" })
        }
    };
    format!(
        "#{} {what} (queued by {}, executes {wait})",
        q.id, q.proposer
    )
}
