//! The exchange as a client sees it: its markets keyed by index, each market's oracle read with
//! the program's parser and classified the way the program would for a given use, and the
//! exchange's lookup tables.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use cross_margin::oracle::{
    check_price, is_price_unavailable, OracleLimits, OraclePrice, OracleUse,
};
use cross_margin::risk::MarketView;
use cross_margin::state::{Exchange, Market};
use crossmargin_sdk::{accounts as decode, oracle, pda};
use solana_sdk::message::AddressLookupTableAccount;

use crate::chain::{load_lookup_tables, Chain, ChainError};

/// What a market's oracle account holds now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OracleRead {
    /// Parsed (freshness is judged per use, `MarketState::view`).
    Price(OraclePrice),
    /// Missing, wrong owner, not a price account of this market: nothing can use this market
    /// (the program refuses it too), so accounts holding it are skipped.
    Unreadable(String),
}

#[derive(Clone, Debug)]
pub struct MarketState {
    pub market: Market,
    pub oracle: OracleRead,
}

/// How a use sees a market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usable {
    /// A view the program would compute too.
    View(MarketView),
    /// The program would refuse (the oracle is unreadable, or not valid for trading).
    No,
}

impl MarketState {
    /// The view the program would use for `use_` at `now`: the oracle when its price passes
    /// the checks; for a liquidation a stale one when it is unusable (`Valuation::Stale`); a
    /// settled market's settlement price.
    pub fn view(&self, use_: OracleUse, now: i64) -> Usable {
        if self.market.is_settled() {
            return Usable::View(self.market.settled_view());
        }
        let OracleRead::Price(p) = &self.oracle else {
            return Usable::No;
        };
        match check_price(p, &OracleLimits::of(&self.market, use_), now) {
            Ok(()) => Usable::View(self.market.view(*p)),
            Err(e) if use_ == OracleUse::Liquidation && is_price_unavailable(&e) => {
                Usable::View(self.market.stale_view())
            }
            Err(_) => Usable::No,
        }
    }

    /// The price if the program would accept it for trading this market now.
    pub fn trading_price(&self, now: i64) -> Option<OraclePrice> {
        match self.view(OracleUse::Trading, now) {
            Usable::View(v) if v.is_tradable() => Some(v.price),
            _ => None,
        }
    }
}

/// The exchange, every market (by index), the lookup tables, and the cluster's clock.
#[derive(Clone, Debug)]
pub struct ExchangeState {
    pub exchange: Exchange,
    pub markets: BTreeMap<u16, MarketState>,
    pub tables: Vec<AddressLookupTableAccount>,
    pub now: i64,
}

impl ExchangeState {
    pub fn oracle(&self, market_index: u16) -> Option<Pubkey> {
        self.markets.get(&market_index).map(|m| m.market.oracle)
    }

    /// Views for `use_`, indexed by market index (`None` where the program would refuse).
    pub fn views(&self, use_: OracleUse) -> Vec<Option<MarketView>> {
        let n = self
            .markets
            .keys()
            .next_back()
            .map_or(0, |k| *k as usize + 1);
        let mut out = vec![None; n];
        for (i, m) in &self.markets {
            if let Usable::View(v) = m.view(use_, self.now) {
                out[*i as usize] = Some(v);
            }
        }
        out
    }

    /// Markets whose oracle cannot be read at all.
    pub fn unreadable(&self) -> Vec<u16> {
        self.markets
            .iter()
            .filter(|(_, m)| {
                matches!(m.oracle, OracleRead::Unreadable(_)) && !m.market.is_settled()
            })
            .map(|(i, _)| *i)
            .collect()
    }

    /// Decoded markets with their prices (a default price where unreadable), for reports.
    pub fn priced_markets(&self) -> Vec<(Market, OraclePrice)> {
        self.markets
            .values()
            .map(|m| {
                let p = match &m.oracle {
                    OracleRead::Price(p) => *p,
                    OracleRead::Unreadable(_) => OraclePrice::default(),
                };
                (m.market, p)
            })
            .collect()
    }
}

/// Loads the exchange, its markets and oracles, and its lookup tables.
pub async fn load_exchange<C: Chain>(chain: &mut C) -> Result<ExchangeState, ChainError> {
    let bad = |e: decode::DecodeError| ChainError::Unavailable(e.to_string());
    let now = chain.unix_timestamp().await?;
    let ex = chain
        .get_account(&pda::exchange())
        .await?
        .ok_or_else(|| ChainError::Unavailable("no crossmargin exchange on this cluster".into()))?;
    if ex.owner != cross_margin::ID {
        return Err(ChainError::Unavailable(format!(
            "the exchange address is owned by {}, not the crossmargin program",
            ex.owner
        )));
    }
    let exchange = decode::decode_exchange(&ex.data).map_err(bad)?;
    let keys: Vec<Pubkey> = (0..exchange.market_count).map(pda::market).collect();
    let mut markets = Vec::with_capacity(keys.len());
    for a in chain
        .get_multiple_accounts(&keys)
        .await?
        .into_iter()
        .flatten()
    {
        markets.push(decode::decode_market(&a.data).map_err(bad)?);
    }
    let oracle_keys: Vec<Pubkey> = markets.iter().map(|m| m.oracle).collect();
    let oracles = chain.get_multiple_accounts(&oracle_keys).await?;
    let mut by_index = BTreeMap::new();
    for (m, o) in markets.into_iter().zip(oracles) {
        let oracle = match o {
            None => OracleRead::Unreadable("the oracle account does not exist".into()),
            Some(o) => match oracle::read_price(&m, &o.owner, &o.data) {
                Ok(p) => OracleRead::Price(p),
                Err(e) => OracleRead::Unreadable(e.to_string()),
            },
        };
        by_index.insert(m.market_index, MarketState { market: m, oracle });
    }
    let tables = load_lookup_tables(chain, &exchange.lookup_tables).await?;
    Ok(ExchangeState {
        exchange,
        markets: by_index,
        tables,
        now,
    })
}
