//! Pyth accounts written with the real byte layouts, for the embedded chain (demo, tests):
//! `PriceUpdateV2` serialized with the receiver SDK's own types, legacy price accounts with
//! `pyth-sdk-solana`'s `SolanaPriceAccount`.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountSerialize;
use pyth_sdk_solana::state::{
    AccountType, PriceStatus, PriceType, SolanaPriceAccount, MAGIC, VERSION_2,
};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

/// Prices in the tests are written with exponent -8 (as Pyth's USD feeds are).
pub const EXPO: i32 = -8;

/// What one oracle account says, at PRICE_PRECISION (1e6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    pub price: i64,
    pub conf: u64,
    pub ema: i64,
    pub publish_time: i64,
}

fn to_expo(v: i64) -> i64 {
    v * 100 // 1e-6 -> 1e-8
}

/// A `PriceUpdateV2` as the sponsored feed account at `account` holds it: its write authority
/// is the account itself.
pub fn pull_data(
    account: Pubkey,
    feed_id: [u8; 32],
    q: Quote,
    level: VerificationLevel,
) -> Vec<u8> {
    pull_data_by(account, feed_id, q, level)
}

/// A `PriceUpdateV2` written by `write_authority` (a stranger's update, for the tests).
pub fn pull_data_by(
    write_authority: Pubkey,
    feed_id: [u8; 32],
    q: Quote,
    level: VerificationLevel,
) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority,
        verification_level: level,
        price_message: PriceFeedMessage {
            feed_id,
            price: to_expo(q.price),
            conf: q.conf * 100,
            exponent: EXPO,
            publish_time: q.publish_time,
            prev_publish_time: q.publish_time - 1,
            ema_price: to_expo(q.ema),
            ema_conf: q.conf * 100,
        },
        posted_slot: 1,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    update.try_serialize(&mut data).unwrap();
    data.resize(PriceUpdateV2::LEN, 0);
    data
}

pub fn legacy_data(q: Quote, status: PriceStatus) -> Vec<u8> {
    let mut acc: SolanaPriceAccount = bytemuck::Zeroable::zeroed();
    acc.magic = MAGIC;
    acc.ver = VERSION_2;
    acc.atype = AccountType::Price as u32;
    acc.size = std::mem::size_of::<SolanaPriceAccount>() as u32;
    acc.ptype = PriceType::Price;
    acc.expo = EXPO;
    acc.num = 1;
    acc.num_qt = 1;
    acc.ema_price.val = to_expo(q.ema);
    acc.ema_conf.val = (q.conf * 100) as i64;
    acc.timestamp = q.publish_time;
    acc.agg.price = to_expo(q.price);
    acc.agg.conf = q.conf * 100;
    acc.agg.status = status;
    acc.agg.pub_slot = 1;
    bytemuck::bytes_of(&acc).to_vec()
}
