use anchor_lang::prelude::*;

use crate::constants::MAX_POSITIONS;
use crate::error::ErrorCode;

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
    /// May trade for the owner, may not withdraw. Default = none.
    pub delegate: Pubkey,
    /// Settled collateral, quote native units. Negative only transiently during bankruptcy.
    pub collateral: i64,
    pub total_deposits: u64,
    pub total_withdrawals: u64,
    /// Trading and liquidation fees paid (quote native).
    pub total_fees_paid: u64,
    /// Funding settled into collateral: positive = paid, negative = received.
    pub total_funding_paid: i64,
    /// Pnl realized into collateral by reducing positions.
    pub total_realized_pnl: i64,
    pub sub_account_id: u16,
    /// Non-zero while a liquidation is in progress: the account may only reduce risk.
    pub being_liquidated: u8,
    pub bump: u8,
    pub padding: [u8; 4],
    pub positions: [Position; MAX_POSITIONS],
    /// Maker rebates received (quote native).
    pub total_rebates: u64,
    /// Deficits covered for this account in bankruptcies (insurance, socialization, bad debt).
    pub total_deficit_covered: u64,
    pub reserved: [u8; 48],
}

impl MarginAccount {
    pub const SPACE: usize = 8 + std::mem::size_of::<MarginAccount>();

    pub fn is_owner(&self, key: &Pubkey) -> bool {
        self.owner == *key
    }

    /// Owner or delegate: may trade.
    pub fn is_trader(&self, key: &Pubkey) -> bool {
        self.owner == *key || (self.delegate != Pubkey::default() && self.delegate == *key)
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
        assert_eq!(std::mem::size_of::<MarginAccount>(), 696);
        assert_eq!(MarginAccount::SPACE, 704);
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
}
