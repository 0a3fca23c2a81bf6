//! Property tests of the pure math (proptest): the claims the design makes about rounding,
//! health, liquidation and funding, checked on random inputs.

use proptest::prelude::*;

use super::*;
use crate::constants::{BASE_PRECISION, FUNDING_INDEX_SCALE, MIN_NET_FEE, RATIO_PRECISION};

const ONE: i64 = 1_000_000_000;

fn params() -> impl Strategy<Value = RiskParams> {
    (
        5_000u32..200_000,
        1u32..4,
        0u32..=1_000_000,
        0u8..4,
        0u32..=750_000,
    )
        .prop_map(|(mm, k, w, group, share)| RiskParams {
            initial_margin_ratio: (mm * (k + 1)).min(1_000_000),
            maintenance_margin_ratio: mm,
            upnl_initial_weight: w,
            margin_group: group,
            systematic_share: share,
        })
}

fn mode() -> impl Strategy<Value = MarginMode> {
    prop_oneof![Just(MarginMode::Standard), Just(MarginMode::Portfolio)]
}

fn std_req(ps: &[PositionRisk], kind: RequirementKind) -> i128 {
    requirements(ps, kind, MarginMode::Standard).unwrap().0
}

fn pm_req(ps: &[PositionRisk], kind: RequirementKind) -> i128 {
    requirements(ps, kind, MarginMode::Portfolio).unwrap().0
}

prop_compose! {
    fn position()(
        market in 0u16..16,
        base in prop_oneof![-1_000 * ONE..-ONE / 1_000, ONE / 1_000..1_000 * ONE],
        entry in 1_000_000i64..100_000_000_000,
        price in 1_000_000i64..100_000_000_000,
        funding in -1_000_000_000i64..1_000_000_000,
        params in params(),
    ) -> PositionRisk {
        PositionRisk {
            market_index: market,
            base,
            quote: trade_quote(base, entry).unwrap(),
            funding_owed: funding,
            price: OraclePrice { price, conf: 0, ema_price: price, publish_time: 0 },
            params,
        }
    }
}

prop_compose! {
    /// Up to four positions in distinct markets.
    fn portfolio()(mut ps in prop::collection::vec(position(), 1..5)) -> Vec<PositionRisk> {
        for (i, p) in ps.iter_mut().enumerate() {
            p.market_index = i as u16;
        }
        ps
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// What an account is worth rounds down, what it must hold rounds up, what it owes in funding
    /// rounds up: never more than one unit from the exact value, always against the account.
    #[test]
    fn rounding_is_against_the_account(base in -1_000 * ONE..1_000 * ONE, price in 1i64..100_000_000_000,
                                        ratio in 1u32..1_000_000, di in -1_000_000_000_000i64..1_000_000_000_000) {
        let exact = base as i128 * price as i128; // value * BASE
        let v = base_value(base, price).unwrap();
        prop_assert!(v * BASE_PRECISION <= exact && exact - v * BASE_PRECISION < BASE_PRECISION);
        let r = requirement(base, price, ratio).unwrap();
        let exact_r = exact.abs() * ratio as i128;
        let scale = BASE_PRECISION * RATIO_PRECISION;
        prop_assert!(r * scale >= exact_r && r * scale - exact_r < scale);
        let f = funding_owed(base, di, 0).unwrap() as i128;
        let exact_f = base as i128 * di as i128;
        let fs = BASE_PRECISION * FUNDING_INDEX_SCALE;
        prop_assert!(f * fs >= exact_f && f * fs - exact_f < fs);
        // a trade: the buyer pays at least, the seller receives at most, the exact amount
        let q = trade_quote(base, price).unwrap() as i128;
        prop_assert!(q * BASE_PRECISION <= -exact && -exact - q * BASE_PRECISION < BASE_PRECISION);
    }

    /// More collateral never makes an account less healthy, on any measure.
    #[test]
    fn more_collateral_is_never_worse(ps in portfolio(), c in -1_000_000_000_000i64..1_000_000_000_000, extra in 1i64..1_000_000_000_000, mode in mode()) {
        let a = compute_health(c, &ps, mode).unwrap();
        let b = compute_health(c + extra, &ps, mode).unwrap();
        prop_assert!(b.maintenance_health() > a.maintenance_health());
        prop_assert!(b.free_collateral() > a.free_collateral());
        prop_assert!(!b.liquidatable() || a.liquidatable());
        prop_assert!(!a.meets_initial() || b.meets_initial());
    }

    /// At a position's liquidation price the account is not liquidatable and `E - MM` is within
    /// the change one price step makes (one unit for a whole base unit or less); one step past it,
    /// it is liquidatable.
    #[test]
    fn liquidation_price_is_the_boundary(ps in portfolio(), c in 0i64..1_000_000_000_000, pick in 0usize..4, mode in mode()) {
        let i = pick % ps.len();
        if let Some(lp) = liquidation_price(c, &ps, i, mode).unwrap() {
            let at = |p: i64| {
                let mut v = ps.clone();
                v[i].price.price = p;
                compute_health(c, &v, mode).unwrap()
            };
            let long = ps[i].base > 0;
            prop_assume!(lp > 1 && lp < MAX_SEARCH_PRICE);
            let h = at(lp);
            prop_assert!(!h.liquidatable());
            // one price unit moves E - MM by |b| (1 -/+ mm) / BASE, plus a unit of rounding
            // per position
            let mm = ps[i].params.maintenance_margin_ratio as i128;
            let step = ps[i].base.unsigned_abs() as i128 * (RATIO_PRECISION + mm) / (BASE_PRECISION * RATIO_PRECISION)
                + 2 * ps.len() as i128 + 1;
            prop_assert!(h.maintenance_health() <= step, "E - MM = {} at {lp}", h.maintenance_health());
            let beyond = if long { lp - 1 } else { lp + 1 };
            prop_assert!(at(beyond).liquidatable());
        }
    }

    /// One liquidation step never lowers `E - MM`, and when the position is large enough it
    /// restores `E >= (1 + buffer) MM`.
    #[test]
    fn liquidation_step_improves_health(
        lots in 10i64..100_000, long in any::<bool>(), price in 1_000_000i64..100_000_000_000,
        mm in 10_000u32..100_000, fee_share in 1u32..99, buffer in 0u32..500_000, equity_share in 1i64..99,
    ) {
        let base = lots * 1_000_000; // positions are whole lots (0.001)
        let b = if long { base } else { -base };
        let m = requirement(b, price, mm).unwrap();
        let fees = mm as u64 * fee_share as u64 / 100; // f_liq + f_if < mm
        let (f_liq, f_if) = ((fees / 2) as u32, (fees - fees / 2) as u32);
        let equity = m * equity_share as i128 / 100; // 0 < E < MM: liquidatable
        let input = LiquidationInput {
            equity, maintenance_requirement: m, position_base: b, oracle_price: price,
            maintenance_margin_ratio: mm, liquidation_fee: f_liq, insurance_fee: f_if,
            liquidation_buffer: buffer, base_lot_size: 1_000_000, min_position_base: 1_000_000, max_base: u64::MAX,
        };
        let d = liquidation_size(&input).unwrap() as i64;
        prop_assert!(d > 0 && d <= base);
        // the account after: the liquidatee sells (or buys back) d at the improved price and pays
        // the insurance fee; value moves at the oracle price
        let delta = if long { -d } else { d };
        let take = takeover_price(price, long, f_liq).unwrap();
        let loss_liq = (base_value(-delta, price).unwrap() + trade_quote(-delta, take).unwrap() as i128).max(0);
        let ins = trade_fee(delta, price, f_if as i64).unwrap() as i128;
        let e_after = equity - loss_liq - ins;
        let m_after = requirement(b + delta, price, mm).unwrap();
        prop_assert!(e_after - m_after >= equity - m, "E - MM fell: {} -> {}", equity - m, e_after - m_after);
        // the size is the continuous solution rounded up to the lot; what can keep it short of
        // the target is rounding against the liquidatee: the takeover price is rounded to 1e-6
        // (up to one quote unit per whole base unit taken) and value, quote and fee a unit each
        if d < base {
            let slack = d as i128 / BASE_PRECISION + 4;
            prop_assert!(e_after + slack >= liquidation_target(m_after, buffer).unwrap(), "buffer not restored");
        }
    }

    /// Funding over a balanced market (longs == shorts) moves no value into existence: what the
    /// positions owe sums to at least zero, for any index move and any split of the open interest.
    #[test]
    fn funding_creates_no_value(longs in prop::collection::vec(1i64..1_000 * ONE, 1..8), shorts_split in 1usize..8,
                                delta in -1_000_000_000_000i64..1_000_000_000_000) {
        let total: i64 = longs.iter().sum();
        let n = shorts_split.min(total as usize).max(1);
        let mut shorts = vec![total / n as i64; n];
        shorts[0] += total - shorts.iter().sum::<i64>();
        let mut sum = 0i128;
        for l in &longs { sum += funding_owed(*l, delta, 0).unwrap() as i128; }
        for s in &shorts { sum += funding_owed(-*s, delta, 0).unwrap() as i128; }
        prop_assert!(sum >= 0);
        prop_assert!(sum <= (longs.len() + shorts.len()) as i128);
    }

    /// Portfolio margin: never above the standard requirement, never below 25% of it; a single
    /// position needs exactly its standard requirement; positions of one direction within a
    /// group, or in different groups, get no credit.
    #[test]
    fn portfolio_requirement_bounds(ps in portfolio()) {
        for kind in [RequirementKind::Maintenance, RequirementKind::Initial] {
            let (std, pm) = (std_req(&ps, kind), pm_req(&ps, kind));
            prop_assert!(pm <= std, "{pm} > {std}");
            prop_assert!(pm * 4 >= std, "{pm} < 25% of {std}");
            prop_assert_eq!(pm_req(&ps[..1], kind), std_req(&ps[..1], kind));
            let mut one_way = ps.clone();
            for p in one_way.iter_mut() {
                p.base = p.base.abs();
                p.params.margin_group = 1;
            }
            prop_assert_eq!(pm_req(&one_way, kind), std_req(&one_way, kind));
            let mut apart = ps.clone();
            for (g, p) in apart.iter_mut().enumerate() {
                p.params.margin_group = g as u8 + 1;
            }
            prop_assert_eq!(pm_req(&apart, kind), std_req(&apart, kind));
        }
    }

    /// Scaling every position by one factor `k` scales the portfolio requirement by it, up to the
    /// rounding: each position's requirement and the credit are rounded once, so `R(k x)` and
    /// `k R(x)` differ by less than `k` units per position plus `k` for the credit.
    #[test]
    fn portfolio_requirement_is_homogeneous(ps in portfolio(), k in 2i64..10) {
        let mut scaled = ps.clone();
        for p in scaled.iter_mut() {
            p.base *= k;
        }
        for kind in [RequirementKind::Maintenance, RequirementKind::Initial] {
            let (r, rk) = (pm_req(&ps, kind), pm_req(&scaled, kind));
            let slack = k as i128 * (ps.len() as i128 + 1);
            prop_assert!((rk - k as i128 * r).abs() <= slack, "R({k}x) = {rk}, {k} R = {}", k as i128 * r);
        }
    }

    /// Wash trading cannot pay: whatever fills a period holds (sizes, prices within the band,
    /// count), the funding they can move is at most half the fees they paid.
    #[test]
    fn fills_move_at_most_half_their_fees_in_funding(
        fills in prop::collection::vec((1i64..10_000, -1_000_000i64..=1_000_000), 1..40),
        oracle in 1_000_000i64..100_000_000_000, oi_lots in 0u64..1_000_000,
        band in 1_000u32..200_000, premium in 1u32..100_000, taker in 100u32..5_000, elapsed in 60i64..86_400 * 7,
    ) {
        let maker = (MIN_NET_FEE as i32 - taker as i32).max(-(taker as i32)).min(0);
        let (mut notional, mut prem, mut fees) = (0u64, 0i64, 0i128);
        for (lots, dev) in fills {
            let size = lots * 10_000_000; // 0.01 lots
            // a price anywhere in the band
            let price = oracle + (oracle as i128 * band as i128 * dev as i128 / 1_000_000_000_000) as i64;
            prop_assume!(price > 0);
            let (w, p) = fill_premium_contribution(size as u64, price, oracle, premium).unwrap();
            notional += w;
            prem += p;
            fees += (trade_fee(size, price, taker as i64).unwrap() + trade_fee(size, price, maker as i64).unwrap()) as i128;
        }
        let i = FundingInputs {
            oracle_sum: oracle as i128 * elapsed as i128,
            elapsed,
            fill_notional: notional,
            fill_premium: prem,
            open_interest: oi_lots * 10_000_000,
            net_fee: (taker as i32 + maker) as u32,
            price_band: band,
            max_premium: premium,
        };
        let f = compute_funding(&i).unwrap();
        prop_assert!(f.premium.abs() <= premium as i64);
        let moved = funding_moved(i.open_interest, f.index_delta);
        prop_assert!(2 * moved <= fees, "moved {moved} of fees {fees}");
    }
}
