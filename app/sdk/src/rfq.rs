//! Request for quote: a market maker co-signs the taker's fill (the flow of Jupiter's and OKX's
//! Solana RFQ). The wire types of the reference maker's HTTP API (`crossmargin maker run`), and
//! the check a taker runs on a quoted transaction before signing it: exactly one fill of the
//! market, size and counterparty asked for, at a price within the taker's bound, with the health
//! accounts the SDK derives, nothing else but bounded compute-budget instructions, the taker as
//! fee payer and the maker's signature valid. A maker that changes anything is refused and
//! nothing is signed.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AnchorDeserialize, Discriminator};
use serde::{Deserialize, Serialize};
use solana_sdk::message::{AddressLookupTableAccount, VersionedMessage};
use solana_sdk::signature::Signature;
use solana_sdk::transaction::VersionedTransaction;

/// One market a maker quotes (`GET /markets`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotedMarket {
    pub market_index: u16,
    pub symbol: String,
    /// Largest |size| quoted, base native units (decimal string).
    pub max_size: String,
    pub spread_bps: u32,
    /// Indicative prices for the smallest size now (1e-6 USD), when the oracle is usable.
    pub bid: Option<String>,
    pub ask: Option<String>,
    /// The maker's position in the market, base native units.
    pub inventory: String,
}

/// `GET /markets`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketsResponse {
    /// The key that signs the maker's side.
    pub maker: String,
    /// The margin account that takes the other side.
    pub maker_account: String,
    pub markets: Vec<QuotedMarket>,
}

/// `POST /quote`: the taker's wallet (fee payer and signer), its sub-account, the market and the
/// taker's signed base size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteRequest {
    pub taker: String,
    #[serde(default)]
    pub sub_account: u16,
    pub market_index: u16,
    /// Base native units, signed (positive: the taker buys), decimal string.
    pub size: String,
}

/// `POST /quote`, answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteResponse {
    pub market_index: u16,
    pub size: String,
    /// The fill price, 1e-6 USD.
    pub price: String,
    pub oracle_price: String,
    pub maker: String,
    pub maker_account: String,
    /// The quote holds until this block height (its blockhash's validity): the runtime refuses
    /// the transaction after it.
    pub last_valid_block_height: u64,
    /// Unix time by which it expires at the cluster's slot pace (indicative).
    pub expires_at: i64,
    /// The fill transaction, base64: the maker has signed; the taker pays and signs.
    pub transaction: String,
}

/// `4xx` answers: what is wrong and a machine-readable reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteError {
    pub error: String,
    pub reason: String,
}

/// What the taker asked for and will accept.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    /// The taker's wallet: fee payer and signer.
    pub taker: Pubkey,
    pub taker_account: Pubkey,
    /// From the maker's `GET /markets`.
    pub maker: Pubkey,
    pub maker_account: Pubkey,
    pub market_index: u16,
    pub oracle: Pubkey,
    /// Signed base size.
    pub size: i64,
    /// The worst price accepted: at most this when buying, at least when selling.
    pub limit_price: i64,
    /// The health accounts the SDK derives from both accounts as they are.
    pub health: Vec<AccountMeta>,
    /// The exchange's registered lookup tables (no other table may resolve an address).
    pub tables: &'a [AddressLookupTableAccount],
    pub max_compute_units: u32,
    /// Largest compute-unit price (micro-lamports) the taker pays.
    pub max_compute_unit_price: u64,
}

/// Why a quoted transaction was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuoteRejected {
    #[error("the transaction does not decode: {0}")]
    Malformed(String),
    #[error("the fee payer is {0}, not the taker")]
    FeePayer(Pubkey),
    #[error("the transaction needs signatures from {0:?}, not exactly the taker and the maker")]
    Signers(Vec<Pubkey>),
    #[error("the maker's signature does not verify")]
    MakerSignature,
    #[error("the taker's signature slot is already filled")]
    TakerSigned,
    #[error("lookup table {0} is not one of the exchange's")]
    UnknownTable(Pubkey),
    #[error("an instruction of program {0} that is neither the fill nor a compute budget")]
    ExtraInstruction(Pubkey),
    #[error("{0} fill instructions, not exactly one")]
    FillCount(usize),
    #[error("a compute-budget instruction other than one unit limit and one unit price")]
    ComputeBudget,
    #[error("compute-unit limit {0} over the taker's {1}")]
    ComputeUnits(u32, u32),
    #[error("compute-unit price {0} over the taker's {1} micro-lamports")]
    ComputeUnitPrice(u64, u64),
    #[error("the fill is for market {0}, not the one asked for")]
    Market(u16),
    #[error("the fill trades {0}, not the size asked for")]
    Size(i64),
    #[error("the fill price {price} is worse than the limit {limit}")]
    Price { price: i64, limit: i64 },
    #[error(
        "the fill's accounts are not the taker's, the maker's and their health accounts ({0})"
    )]
    Accounts(String),
}

/// The addresses `message` names, in order: static keys, then those it loads from `tables`
/// (writable, then readonly).
fn resolve(
    message: &VersionedMessage,
    tables: &[AddressLookupTableAccount],
) -> Result<Vec<Pubkey>, QuoteRejected> {
    let mut keys = message.static_account_keys().to_vec();
    if let Some(lookups) = message.address_table_lookups() {
        let (mut w, mut r) = (Vec::new(), Vec::new());
        for l in lookups {
            let t = tables
                .iter()
                .find(|t| t.key == l.account_key)
                .ok_or(QuoteRejected::UnknownTable(l.account_key))?;
            let get = |i: &u8| {
                t.addresses
                    .get(*i as usize)
                    .copied()
                    .ok_or_else(|| QuoteRejected::Malformed("lookup index out of range".into()))
            };
            for i in &l.writable_indexes {
                w.push(get(i)?);
            }
            for i in &l.readonly_indexes {
                r.push(get(i)?);
            }
        }
        keys.extend(w);
        keys.extend(r);
    }
    Ok(keys)
}

/// Checks a quoted transaction; returns the fill's price.
pub fn verify_quote_transaction(
    tx: &VersionedTransaction,
    e: &Expected,
) -> Result<i64, QuoteRejected> {
    tx.sanitize()
        .map_err(|err| QuoteRejected::Malformed(err.to_string()))?;
    let message = &tx.message;
    let keys = resolve(message, e.tables)?;
    let header = message.header();
    let signers = &message.static_account_keys()[..header.num_required_signatures as usize];
    if signers.first() != Some(&e.taker) {
        return Err(QuoteRejected::FeePayer(
            signers.first().copied().unwrap_or_default(),
        ));
    }
    if signers.len() != 2 || signers[1] != e.maker {
        return Err(QuoteRejected::Signers(signers.to_vec()));
    }
    if tx.signatures.len() != 2 {
        return Err(QuoteRejected::Malformed("signature count".into()));
    }
    if tx.signatures[0] != Signature::default() {
        return Err(QuoteRejected::TakerSigned);
    }
    if !tx.signatures[1].verify(e.maker.as_ref(), &message.serialize()) {
        return Err(QuoteRejected::MakerSignature);
    }

    let (mut limit, mut price_set, mut fills) = (None, None, Vec::new());
    for ci in message.instructions() {
        let program = keys
            .get(ci.program_id_index as usize)
            .copied()
            .ok_or_else(|| QuoteRejected::Malformed("program index".into()))?;
        if program == solana_sdk::compute_budget::ID {
            // borsh: a variant byte, then the value (2: unit limit u32, 3: unit price u64)
            match (ci.data.first(), ci.data.len()) {
                (Some(2), 5) if limit.is_none() => {
                    limit = Some(u32::from_le_bytes(
                        ci.data[1..5].try_into().expect("4 bytes"),
                    ))
                }
                (Some(3), 9) if price_set.is_none() => {
                    price_set = Some(u64::from_le_bytes(
                        ci.data[1..9].try_into().expect("8 bytes"),
                    ))
                }
                _ => return Err(QuoteRejected::ComputeBudget),
            }
        } else if program == cross_margin::ID {
            let accounts = ci
                .accounts
                .iter()
                .map(|i| {
                    let i = *i as usize;
                    let key = *keys
                        .get(i)
                        .ok_or_else(|| QuoteRejected::Malformed("account index".into()))?;
                    Ok(AccountMeta {
                        pubkey: key,
                        is_signer: message.is_signer(i),
                        is_writable: message.is_maybe_writable(i, None),
                    })
                })
                .collect::<Result<Vec<_>, QuoteRejected>>()?;
            fills.push((ci.data.clone(), accounts));
        } else {
            return Err(QuoteRejected::ExtraInstruction(program));
        }
    }
    if let Some(u) = limit.filter(|u| *u > e.max_compute_units) {
        return Err(QuoteRejected::ComputeUnits(u, e.max_compute_units));
    }
    if let Some(p) = price_set.filter(|p| *p > e.max_compute_unit_price) {
        return Err(QuoteRejected::ComputeUnitPrice(p, e.max_compute_unit_price));
    }
    if fills.len() != 1 {
        return Err(QuoteRejected::FillCount(fills.len()));
    }
    let (data, accounts) = &fills[0];
    let disc = cross_margin::instruction::Fill::DISCRIMINATOR;
    if data.len() < disc.len() || &data[..disc.len()] != disc {
        return Err(QuoteRejected::FillCount(0));
    }
    let args = cross_margin::instruction::Fill::deserialize(&mut &data[disc.len()..])
        .map_err(|err| QuoteRejected::Malformed(err.to_string()))?;
    if args.market_index != e.market_index {
        return Err(QuoteRejected::Market(args.market_index));
    }
    if args.taker_base_delta != e.size {
        return Err(QuoteRejected::Size(args.taker_base_delta));
    }
    let worse = if e.size > 0 {
        args.price > e.limit_price
    } else {
        args.price < e.limit_price
    };
    if worse || args.price <= 0 {
        return Err(QuoteRejected::Price {
            price: args.price,
            limit: e.limit_price,
        });
    }
    let want: Instruction = crate::instructions::fill(
        e.taker,
        e.maker,
        e.taker_account,
        e.maker_account,
        e.market_index,
        e.oracle,
        e.size,
        args.price,
        e.health.clone(),
    );
    // the accounts, with the signer and writable flags the message grants them
    if want.accounts.len() != accounts.len() {
        return Err(QuoteRejected::Accounts(format!(
            "{} accounts, not {}",
            accounts.len(),
            want.accounts.len()
        )));
    }
    for (i, (w, g)) in want.accounts.iter().zip(accounts).enumerate() {
        // the fee payer is writable in every message
        let writable = w.is_writable || w.pubkey == e.taker;
        if w.pubkey != g.pubkey || w.is_signer != g.is_signer || writable != g.is_writable {
            return Err(QuoteRejected::Accounts(format!(
                "account {i} is {} (signer {}, writable {}), not {} (signer {}, writable {})",
                g.pubkey, g.is_signer, g.is_writable, w.pubkey, w.is_signer, writable
            )));
        }
    }
    Ok(args.price)
}

#[cfg(test)]
mod tests {
    use solana_sdk::compute_budget::ComputeBudgetInstruction;

    /// The compute-budget instructions decode as the program encodes them (borsh: a variant
    /// byte, then the little-endian value).
    #[test]
    fn compute_budget_layout() {
        let l = ComputeBudgetInstruction::set_compute_unit_limit(400_000);
        assert_eq!(l.data, [&[2u8][..], &400_000u32.to_le_bytes()].concat());
        let p = ComputeBudgetInstruction::set_compute_unit_price(12_345);
        assert_eq!(p.data, [&[3u8][..], &12_345u64.to_le_bytes()].concat());
    }
}
