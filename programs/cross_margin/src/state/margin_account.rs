use anchor_lang::prelude::*;

use crate::constants::{
    MAX_DELEGATE_PERIOD_SECS, MAX_POSITIONS, MAX_PRICE_BAND, MIN_DELEGATE_PERIOD_SECS,
    RATIO_PRECISION,
};
use crate::error::ErrorCode;
use crate::risk::MarginMode;

/// What a delegate may do, set by the owner with the delegate (`set_delegate`).
///
/// A delegate trades for the account and never withdraws. What its fills cost the account,
/// measured at the oracle price at each fill (paying above or receiving below the oracle, plus
/// fees), is at most `loss_budget` per `period_secs`; every price it signs is within
/// `max_price_deviation` of the oracle; a reduce-only delegate only shrinks positions. What
/// remains is market risk: a delegate that is not reduce-only can open positions (at fair
/// prices, within initial margin) that later lose.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DelegateLimits {
    /// Largest `|price - oracle| / oracle` of a fill the delegate signs (ppm).
    pub max_price_deviation: u32,
    /// Most the delegate's fills may cost the account per period (quote native).
    pub loss_budget: u64,
    pub period_secs: u32,
    pub reduce_only: bool,
}

impl DelegateLimits {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.max_price_deviation <= MAX_PRICE_BAND
                && self.period_secs >= MIN_DELEGATE_PERIOD_SECS
                && self.period_secs <= MAX_DELEGATE_PERIOD_SECS,
            ErrorCode::InvalidDelegateLimits
        );
        Ok(())
    }
}

/// Who signed for an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerRole {
    Owner,
    Delegate,
}

/// One perpetual position. A slot is free when `base == 0` (closing a position realizes its
/// quote into collateral, so no quote is left behind in a free slot).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Signed base native units: positive long, negative short.
    pub base: i64,
    /// Quote native units the position holds: for a long, minus what was paid (fees excluded).
    pub quote: i64,
    /// The market's funding index for this side when funding was last settled.
    pub funding_snapshot: i64,
    pub market_index: u16,
    pub padding: [u8; 6],
}

impl Position {
    pub fn is_open(&self) -> bool {
        self.base != 0
    }
}

/// A cross-margin account (PDA `["margin_account", owner, sub_account_id as u16 LE]`).
/// One collateral balance backs all of its positions; sub-accounts give isolated margin.
#[account(zero_copy)]
#[derive(Debug)]
pub struct MarginAccount {
    pub owner: Pubkey,
    /// May trade for the owner within `delegate_*` limits, may not withdraw. Default = none.
    pub delegate: Pubkey,
    /// Settled collateral, quote native units. Negative while a liquidation that will end in
    /// bankruptcy is in progress, or when a realized loss exceeded it and the account's other
    /// positions still carry unrealized profit; a bankruptcy resolves it to zero.
    pub collateral: i64,
    pub total_deposits: u64,
    pub total_withdrawals: u64,
    /// Trading and liquidation fees paid (quote native).
    pub total_fees_paid: u64,
    /// Funding settled into collateral (positive = paid, negative = received), socialized
    /// losses included.
    pub total_funding_paid: i64,
    /// Pnl realized into collateral by reducing positions.
    pub total_realized_pnl: i64,
    pub sub_account_id: u16,
    /// Non-zero while a liquidation is in progress: the account may only reduce risk.
    pub being_liquidated: u8,
    pub bump: u8,
    /// `MarginMode` as u8.
    pub margin_mode: u8,
    pub delegate_reduce_only: u8,
    pub padding: [u8; 2],
    pub positions: [Position; MAX_POSITIONS],
    /// Maker rebates received (quote native).
    pub total_rebates: u64,
    /// Deficits covered for this account in bankruptcies (insurance, socialization, bad debt).
    pub total_deficit_covered: u64,
    pub delegate_max_deviation: u32,
    pub delegate_period_secs: u32,
    pub delegate_loss_budget: u64,
    /// Start of the delegate's current budget period, and what its fills cost in it.
    pub delegate_period_start: i64,
    pub delegate_period_spent: u64,
    /// What the delegate's fills cost the account over its life (quote native).
    pub total_delegate_cost: u64,
    /// Space for later fields (not deployed yet; new fields come out of here).
    pub reserved: [u8; 64],
}

impl MarginAccount {
    pub const SPACE: usize = 8 + std::mem::size_of::<MarginAccount>();

    pub fn is_owner(&self, key: &Pubkey) -> bool {
        self.owner == *key
    }

    /// Owner or delegate: may trade.
    pub fn is_trader(&self, key: &Pubkey) -> bool {
        self.signer_role(key).is_some()
    }

    /// Whether `key` signs as the owner or as the delegate (the owner wins if both).
    pub fn signer_role(&self, key: &Pubkey) -> Option<SignerRole> {
        if self.owner == *key {
            Some(SignerRole::Owner)
        } else if self.delegate != Pubkey::default() && self.delegate == *key {
            Some(SignerRole::Delegate)
        } else {
            None
        }
    }

    /// The signer's role, or `NotOwnerOrDelegate`.
    pub fn require_trader(&self, key: &Pubkey) -> Result<SignerRole> {
        self.signer_role(key)
            .ok_or_else(|| error!(ErrorCode::NotOwnerOrDelegate))
    }

    pub fn margin_mode(&self) -> MarginMode {
        MarginMode::from_u8(self.margin_mode).unwrap_or_default()
    }

    pub fn delegate_limits(&self) -> DelegateLimits {
        DelegateLimits {
            max_price_deviation: self.delegate_max_deviation,
            loss_budget: self.delegate_loss_budget,
            period_secs: self.delegate_period_secs,
            reduce_only: self.delegate_reduce_only != 0,
        }
    }

    /// Names the delegate and its limits (default key clears both); the budget period restarts.
    pub fn set_delegate(&mut self, delegate: Pubkey, limits: &DelegateLimits, now: i64) {
        let limits = if delegate == Pubkey::default() {
            DelegateLimits::default()
        } else {
            *limits
        };
        self.delegate = delegate;
        self.delegate_max_deviation = limits.max_price_deviation;
        self.delegate_loss_budget = limits.loss_budget;
        self.delegate_period_secs = limits.period_secs;
        self.delegate_reduce_only = limits.reduce_only as u8;
        self.delegate_period_start = now;
        self.delegate_period_spent = 0;
    }

    /// Checks a trade a delegate signed at `price` with the oracle at `oracle`, and charges
    /// `cost` (`risk::trade_cost_at_oracle`) to its budget. `grows`: whether it adds risk.
    pub fn charge_delegate(
        &mut self,
        price: i64,
        oracle: i64,
        grows: bool,
        cost: u64,
        now: i64,
    ) -> Result<()> {
        require!(
            !(grows && self.delegate_reduce_only != 0),
            ErrorCode::DelegateReduceOnly
        );
        let deviation = (price as i128 - oracle as i128).abs() * RATIO_PRECISION;
        require!(
            deviation <= oracle as i128 * self.delegate_max_deviation as i128,
            ErrorCode::DelegatePriceDeviation
        );
        if now
            >= self
                .delegate_period_start
                .saturating_add(self.delegate_period_secs as i64)
        {
            self.delegate_period_start = now;
            self.delegate_period_spent = 0;
        }
        let spent = self
            .delegate_period_spent
            .checked_add(cost)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        require!(
            spent <= self.delegate_loss_budget,
            ErrorCode::DelegateBudgetExceeded
        );
        self.delegate_period_spent = spent;
        self.total_delegate_cost = self
            .total_delegate_cost
            .checked_add(cost)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        Ok(())
    }

    /// Checks that `signer` may withdraw from this account (owner only; a delegate gets its own
    /// error so a frontend can say why).
    pub fn require_owner_for_withdraw(&self, signer: &Pubkey) -> Result<()> {
        if self.is_owner(signer) {
            Ok(())
        } else if self.delegate != Pubkey::default() && self.delegate == *signer {
            err!(ErrorCode::DelegateCannotWithdraw)
        } else {
            err!(ErrorCode::NotOwner)
        }
    }

    pub fn open_positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.iter().filter(|p| p.is_open())
    }

    /// Market indices of the open positions, in slot order: the order of the health accounts.
    pub fn position_market_indices(&self) -> Vec<u16> {
        self.open_positions().map(|p| p.market_index).collect()
    }

    pub fn has_open_positions(&self) -> bool {
        self.positions.iter().any(|p| p.is_open())
    }

    /// Open positions.
    pub fn open_position_count(&self) -> usize {
        self.open_positions().count()
    }

    /// Empty: closable. No collateral, no positions, not under liquidation.
    pub fn is_empty(&self) -> bool {
        self.collateral == 0 && !self.has_open_positions() && self.being_liquidated == 0
    }

    pub fn position(&self, market_index: u16) -> Option<&Position> {
        self.open_positions()
            .find(|p| p.market_index == market_index)
    }

    pub fn position_mut(&mut self, market_index: u16) -> Option<&mut Position> {
        self.positions
            .iter_mut()
            .find(|p| p.is_open() && p.market_index == market_index)
    }

    /// The open position in `market_index`, or a free slot prepared for it.
    pub fn position_or_free_slot(&mut self, market_index: u16) -> Result<&mut Position> {
        let idx = match self
            .positions
            .iter()
            .position(|p| p.is_open() && p.market_index == market_index)
        {
            Some(i) => i,
            None => {
                let free = self
                    .positions
                    .iter()
                    .position(|p| !p.is_open())
                    .ok_or_else(|| error!(ErrorCode::PositionSlotsFull))?;
                self.positions[free] = Position {
                    market_index,
                    ..Position::default()
                };
                free
            }
        };
        Ok(&mut self.positions[idx])
    }

    /// Collateral as its flows explain it: deposits - withdrawals + realized pnl - fees + rebates -
    /// funding + deficits covered. Equal to `collateral` at all times (tests check it).
    pub fn collateral_from_flows(&self) -> i128 {
        self.total_deposits as i128 - self.total_withdrawals as i128
            + self.total_realized_pnl as i128
            - self.total_fees_paid as i128
            + self.total_rebates as i128
            - self.total_funding_paid as i128
            + self.total_deficit_covered as i128
    }

    pub fn add_collateral(&mut self, amount: i64) -> Result<()> {
        self.collateral = self
            .collateral
            .checked_add(amount)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> MarginAccount {
        bytemuck::Zeroable::zeroed()
    }

    #[test]
    fn layout_is_small_and_stable() {
        assert_eq!(std::mem::size_of::<Position>(), 32);
        assert_eq!(std::mem::size_of::<MarginAccount>(), 752);
        assert_eq!(MarginAccount::SPACE, 760);
    }

    #[test]
    fn slots_fill_in_order_and_reuse_freed_slots() {
        let mut a = account();
        a.position_or_free_slot(3).unwrap().base = 5;
        a.position_or_free_slot(1).unwrap().base = -2;
        assert_eq!(a.position_market_indices(), vec![3, 1]);
        // same market -> same slot
        a.position_or_free_slot(3).unwrap().base = 7;
        assert_eq!(a.position(3).unwrap().base, 7);
        // close market 3, open market 9: it takes slot 0, before market 1
        a.position_mut(3).unwrap().base = 0;
        a.position_or_free_slot(9).unwrap().base = 1;
        assert_eq!(a.position_market_indices(), vec![9, 1]);
    }

    #[test]
    fn seventeenth_market_is_refused() {
        let mut a = account();
        for m in 0..MAX_POSITIONS as u16 {
            a.position_or_free_slot(m).unwrap().base = 1;
        }
        assert!(a.position_or_free_slot(99).is_err());
    }

    #[test]
    fn delegate_may_trade_not_withdraw() {
        let mut a = account();
        a.owner = Pubkey::new_unique();
        let d = Pubkey::new_unique();
        assert!(!a.is_trader(&Pubkey::default()));
        a.delegate = d;
        assert!(a.is_trader(&d));
        assert_eq!(
            crate::error::code_of(a.require_owner_for_withdraw(&d)),
            Some(u32::from(ErrorCode::DelegateCannotWithdraw))
        );
        assert_eq!(
            crate::error::code_of(a.require_owner_for_withdraw(&Pubkey::new_unique())),
            Some(u32::from(ErrorCode::NotOwner))
        );
        assert!(a.require_owner_for_withdraw(&a.owner.clone()).is_ok());
    }

    #[test]
    fn delegate_budget_per_period() {
        let mut a = account();
        let limits = DelegateLimits {
            max_price_deviation: 10_000,
            loss_budget: 100,
            period_secs: 3_600,
            reduce_only: false,
        };
        a.set_delegate(Pubkey::new_unique(), &limits, 1_000);
        let code = |r: Result<()>| crate::error::code_of(r);
        a.charge_delegate(1_010, 1_000, true, 60, 1_000).unwrap();
        assert_eq!(
            code(a.charge_delegate(1_000, 1_000, true, 41, 2_000)),
            Some(u32::from(ErrorCode::DelegateBudgetExceeded))
        );
        a.charge_delegate(1_000, 1_000, true, 40, 2_000).unwrap();
        // a new period
        a.charge_delegate(1_000, 1_000, true, 100, 4_600).unwrap();
        assert_eq!((a.delegate_period_spent, a.total_delegate_cost), (100, 200));
        assert_eq!(
            code(a.charge_delegate(1_011, 1_000, false, 0, 4_600)),
            Some(u32::from(ErrorCode::DelegatePriceDeviation))
        );
        a.delegate_reduce_only = 1;
        assert_eq!(
            code(a.charge_delegate(1_000, 1_000, true, 0, 4_600)),
            Some(u32::from(ErrorCode::DelegateReduceOnly))
        );
    }
}
