//! Keeper scan benchmark: decode and evaluate the health of N synthetic margin accounts (up to 4
//! positions each, over 8 markets in two margin groups; half of them in portfolio margin) on one
//! core. `cargo bench -p crossmargin-keeper --bench scan` (optionally with N values as arguments).
//! Prints accounts per second and resident memory.

use std::time::Instant;

use anchor_lang::Discriminator;
use cross_margin::oracle::OraclePrice;
use cross_margin::risk::MarketView;
use cross_margin::risk::{MarginMode, RiskParams, Valuation};
use cross_margin::state::{MarginAccount, Position};
use crossmargin_keeper::scan;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|pages| pages * 4096.0 / (1024.0 * 1024.0))
        .unwrap_or(0.0)
}

fn markets() -> Vec<Option<MarketView>> {
    (0..8u16)
        .map(|i| {
            Some(MarketView {
                market_index: i,
                params: RiskParams {
                    initial_margin_ratio: 100_000,
                    maintenance_margin_ratio: 50_000,
                    upnl_initial_weight: 800_000,
                    margin_group: 1 + (i % 2) as u8,
                    systematic_share: 600_000,
                },
                cumulative_funding_long: 1_000_000 * i as i64,
                cumulative_funding_short: 1_000_000 * i as i64,
                price: OraclePrice {
                    price: 1_000_000_000 + 500_000_000 * i as i64,
                    conf: 1_000_000,
                    ema_price: 1_000_000_000 + 500_000_000 * i as i64,
                    publish_time: 0,
                },
                valuation: Valuation::Oracle,
            })
        })
        .collect()
}

/// N accounts laid out back to back as on-chain data (8-byte aligned), some liquidatable.
fn accounts(n: usize) -> Vec<u64> {
    let words = MarginAccount::SPACE / 8;
    let mut buf = vec![0u64; n * words];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..n {
        let mut a: MarginAccount = bytemuck::Zeroable::zeroed();
        a.collateral = 1_000_000_000;
        if i % 2 == 1 {
            a.margin_mode = MarginMode::Portfolio as u8;
        }
        for s in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let market = (seed % 8) as u16;
            if a.position(market).is_some() {
                continue;
            }
            let base = ((seed >> 8) % 5_000_000_000) as i64 - 2_500_000_000;
            let entry =
                1_000_000_000 + 500_000_000 * market as i64 + ((seed >> 40) % 200_000_000) as i64
                    - 100_000_000;
            a.positions[s] = Position {
                base,
                quote: -((base as i128 * entry as i128) / 1_000_000_000) as i64,
                funding_snapshot: 0,
                market_index: market,
                padding: [0; 6],
            };
        }
        let bytes = bytemuck::cast_slice_mut::<u64, u8>(&mut buf[i * words..(i + 1) * words]);
        bytes[..8].copy_from_slice(MarginAccount::DISCRIMINATOR);
        bytes[8..].copy_from_slice(bytemuck::bytes_of(&a));
    }
    buf
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    let markets = markets();
    println!("| accounts | scan time | accounts/s | liquidatable | RSS after |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for n in sizes {
        let buf = accounts(n);
        let bytes = bytemuck::cast_slice::<u64, u8>(&buf);
        let size = MarginAccount::SPACE;
        // warm-up pass, then the best of three
        let _ = scan::scan_liquidatable(bytes.chunks_exact(size), &markets);
        let mut best = f64::MAX;
        let mut found = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let (liq, evaluated) = scan::scan_liquidatable(bytes.chunks_exact(size), &markets);
            let dt = t.elapsed().as_secs_f64();
            assert_eq!(evaluated, n);
            found = liq.len();
            best = best.min(dt);
        }
        println!(
            "| {n} | {:.1} ms | {:.2} M | {found} | {:.0} MiB |",
            best * 1e3,
            n as f64 / best / 1e6,
            rss_mib()
        );
    }
}
