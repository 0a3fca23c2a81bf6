//! Reading a market's price off-chain, with the program's own parser.

use anchor_lang::prelude::{Pubkey, Result};
use cross_margin::oracle::{parse_oracle_data, OraclePrice, OracleSpec};
use cross_margin::state::Market;

/// Parses `market`'s oracle account (its owner and raw data). The data is copied into an 8-byte
/// aligned buffer first, as account data is on chain (RPC buffers carry no such guarantee).
pub fn read_price(market: &Market, owner: &Pubkey, data: &[u8]) -> Result<OraclePrice> {
    let mut aligned = vec![0u64; data.len().div_ceil(8)];
    let bytes = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut aligned)[..data.len()];
    bytes.copy_from_slice(data);
    parse_oracle_data(&market.oracle, owner, bytes, &OracleSpec::of(market)?)
}
