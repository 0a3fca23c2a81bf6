//! DESIGN.md's invariants over the whole state, for randomized sequences.

use std::collections::HashMap;

use anchor_lang::prelude::Pubkey;
use cross_margin::risk::funding_owed;
use cross_margin::state::Market;

use super::TestEnv;

/// What the invariants measured (for reports and bounds).
#[derive(Debug, Default, Clone, Copy)]
pub struct Solvency {
    /// Vault balance plus recorded bad debt.
    pub vault: i128,
    /// `sum (C + sum (q - F)) + insurance + fees pending in markets`.
    pub claims: i128,
}

impl Solvency {
    pub fn dust(&self) -> i128 {
        self.vault - self.claims
    }
}

/// Checks invariants 1-4 over `accounts` (all margin accounts in existence):
/// 1. the vault (plus recorded bad debt) covers every claim, with at most `max_dust` to spare
///    (a position in a settled market claims its value at the settlement price too: the other
///    side may already have been paid out);
/// 2. per market, bases sum to zero and both open interests equal the sum of longs (in a settled
///    market, each side's open interest equals the sum of its remaining positions);
/// 3. funding created no value: funding paid so far plus funding owed is never negative;
/// 4. every account's collateral is exactly what its flows explain (deposits - withdrawals +
///    realized pnl - fees + rebates - funding + deficits covered), and realized pnl plus the quote
///    still held in open positions never sums above zero (trading only moves value between
///    accounts, rounding in the vault's favour): what an account or a group takes out beyond what
///    it put in is what it took from others' losses, or a deficit the fund covered.
pub async fn check(
    env: &mut TestEnv,
    accounts: &[Pubkey],
    max_dust: i128,
) -> Result<Solvency, String> {
    check_with_closed(env, accounts, max_dust, Closed::default()).await
}

/// What accounts closed so far contributed to the sums (their history left the chain).
#[derive(Debug, Default, Clone, Copy)]
pub struct Closed {
    pub realized: i128,
    pub funding_paid: i128,
}

/// `check`, counting what closed accounts contributed.
pub async fn check_with_closed(
    env: &mut TestEnv,
    accounts: &[Pubkey],
    max_dust: i128,
    closed: Closed,
) -> Result<Solvency, String> {
    let mut realized_total = closed.realized;
    let exchange = env.exchange().await;
    let mut markets: Vec<Market> = Vec::new();
    for i in 0..exchange.market_count {
        markets.push(env.market(i).await);
    }
    let mut claims: i128 = exchange.insurance_balance as i128
        + markets
            .iter()
            .map(|m| m.insurance_fees_pending as i128)
            .sum::<i128>();
    let mut base_sum: HashMap<u16, i128> = HashMap::new();
    let mut long_sum: HashMap<u16, i128> = HashMap::new();
    let mut short_sum: HashMap<u16, i128> = HashMap::new();
    let mut funding_total: i128 = closed.funding_paid;
    for key in accounts {
        let a = env.margin_account(*key).await;
        claims += a.collateral as i128;
        if a.collateral_from_flows() != a.collateral as i128 {
            return Err(format!(
                "invariant 4: {key} collateral {} but its flows explain {}",
                a.collateral,
                a.collateral_from_flows()
            ));
        }
        realized_total += a.total_realized_pnl as i128;
        if a.collateral < 0 && !a.has_open_positions() {
            return Err(format!(
                "invariant 7: {key} has {} collateral and no positions (unresolved bankruptcy)",
                a.collateral
            ));
        }
        funding_total += a.total_funding_paid as i128;
        for p in a.open_positions() {
            let m = &markets[p.market_index as usize];
            let f = funding_owed(p.base, m.funding_index(p.base), p.funding_snapshot)
                .map_err(|e| e.to_string())?;
            claims += p.quote as i128 - f as i128;
            realized_total += p.quote as i128;
            if m.is_settled() {
                let v = cross_margin::risk::base_value(p.base, m.settlement_price)
                    .map_err(|e| e.to_string())?;
                claims += v;
                realized_total += v;
            }
            funding_total += f as i128;
            *base_sum.entry(p.market_index).or_default() += p.base as i128;
            *long_sum.entry(p.market_index).or_default() += p.base.max(0) as i128;
            *short_sum.entry(p.market_index).or_default() += -(p.base.min(0) as i128);
        }
    }
    // Bad debt is the recorded shortfall: the vault lacks exactly that much.
    let vault = env.vault_balance().await as i128 + exchange.bad_debt as i128;
    let s = Solvency { vault, claims };
    if vault < claims {
        return Err(format!("invariant 1: vault {vault} < claims {claims}"));
    }
    if s.dust() > max_dust {
        return Err(format!(
            "invariant 1: vault exceeds claims by {} (> {max_dust} of dust)",
            s.dust()
        ));
    }
    for m in &markets {
        let i = m.market_index;
        let b = base_sum.get(&i).copied().unwrap_or(0);
        let l = long_sum.get(&i).copied().unwrap_or(0);
        if m.is_settled() {
            let sh = short_sum.get(&i).copied().unwrap_or(0);
            if m.open_interest_long as i128 != l || m.open_interest_short as i128 != sh {
                return Err(format!(
                    "invariant 2: settled market {i} OI {}/{} vs positions {l}/{sh}",
                    m.open_interest_long, m.open_interest_short
                ));
            }
            continue;
        }
        if b != 0 {
            return Err(format!("invariant 2: market {i} bases sum to {b}"));
        }
        if m.open_interest_long as i128 != l || m.open_interest_short as i128 != l {
            return Err(format!(
                "invariant 2: market {i} OI {}/{} vs sum of longs {l}",
                m.open_interest_long, m.open_interest_short
            ));
        }
    }
    if realized_total > 0 {
        return Err(format!(
            "invariant 4: realized pnl sums to {realized_total} > 0: value was created"
        ));
    }
    if funding_total < 0 {
        return Err(format!(
            "invariant 3: funding paid + owed = {funding_total} < 0"
        ));
    }
    Ok(s)
}
