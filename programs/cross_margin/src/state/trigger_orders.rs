//! Stop-loss and take-profit orders of one margin account, executed by keepers.

use anchor_lang::prelude::*;

use crate::constants::TRIGGER_ORDER_CAPACITY;
use crate::error::ErrorCode;
use crate::risk::TriggerKind;

/// One order (56 bytes). A slot is free when `flags & IN_USE == 0`.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TriggerOrder {
    pub id: u64,
    pub trigger_price: i64,
    /// The worst price the trader accepts: a long sells at or above it, a short buys at or below.
    pub limit_price: i64,
    /// Base to close (0 = the whole position at execution); never more than the position.
    pub size: u64,
    /// Unix seconds after which the order cannot execute (it can still be cancelled).
    pub expiry: i64,
    /// When it was placed: only a price published after this may execute it.
    pub placed_at: i64,
    /// The executor's premium (ppm of notional), taken from the oracle price against the trader.
    pub premium: u32,
    pub market_index: u16,
    /// `TriggerKind` as u8.
    pub kind: u8,
    pub flags: u8,
}

impl TriggerOrder {
    pub const IN_USE: u8 = 1;
    /// The order reduces a long (else a short).
    pub const LONG: u8 = 2;
    /// Placed by the account's delegate: its execution counts against the delegate's budget.
    pub const BY_DELEGATE: u8 = 4;

    pub fn in_use(&self) -> bool {
        self.flags & Self::IN_USE != 0
    }
    pub fn is_long(&self) -> bool {
        self.flags & Self::LONG != 0
    }
    pub fn by_delegate(&self) -> bool {
        self.flags & Self::BY_DELEGATE != 0
    }
    pub fn kind(&self) -> TriggerKind {
        TriggerKind::from_u8(self.kind).unwrap_or(TriggerKind::StopLoss)
    }
}

/// The trigger orders of one margin account (PDA `["trigger_orders", margin_account]`).
/// 32 slots: a stop-loss and a take-profit for each of the 16 positions an account may hold.
#[account(zero_copy)]
#[derive(Debug)]
pub struct TriggerOrders {
    pub margin_account: Pubkey,
    /// Who paid the rent (gets it back on close).
    pub payer: Pubkey,
    pub next_order_id: u64,
    pub bump: u8,
    pub padding: [u8; 7],
    pub orders: [TriggerOrder; TRIGGER_ORDER_CAPACITY],
}

impl TriggerOrders {
    pub const SPACE: usize = 8 + std::mem::size_of::<TriggerOrders>();

    pub fn active(&self) -> impl Iterator<Item = &TriggerOrder> {
        self.orders.iter().filter(|o| o.in_use())
    }

    pub fn is_empty(&self) -> bool {
        self.active().next().is_none()
    }

    /// Puts `order` in a free slot with the next id; returns the id.
    pub fn insert(&mut self, mut order: TriggerOrder) -> Result<u64> {
        let slot = self
            .orders
            .iter_mut()
            .find(|o| !o.in_use())
            .ok_or_else(|| error!(ErrorCode::TriggerOrdersFull))?;
        order.id = self.next_order_id;
        order.flags |= TriggerOrder::IN_USE;
        *slot = order;
        self.next_order_id += 1;
        Ok(order.id)
    }

    pub fn find(&self, id: u64) -> Result<TriggerOrder> {
        self.active()
            .find(|o| o.id == id)
            .copied()
            .ok_or_else(|| error!(ErrorCode::TriggerOrderNotFound))
    }

    /// Frees the order's slot.
    pub fn remove(&mut self, id: u64) -> Result<TriggerOrder> {
        let slot = self
            .orders
            .iter_mut()
            .find(|o| o.in_use() && o.id == id)
            .ok_or_else(|| error!(ErrorCode::TriggerOrderNotFound))?;
        let order = *slot;
        *slot = TriggerOrder::default();
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_slots() {
        assert_eq!(std::mem::size_of::<TriggerOrder>(), 56);
        assert_eq!(TriggerOrders::SPACE, 8 + 80 + 56 * 32);
        let mut t: TriggerOrders = bytemuck::Zeroable::zeroed();
        for i in 0..TRIGGER_ORDER_CAPACITY as u64 {
            assert_eq!(t.insert(TriggerOrder::default()).unwrap(), i);
        }
        assert_eq!(
            crate::error::code_of(t.insert(TriggerOrder::default())),
            Some(u32::from(ErrorCode::TriggerOrdersFull))
        );
        t.remove(3).unwrap();
        assert_eq!(t.insert(TriggerOrder::default()).unwrap(), 32);
        assert_eq!(
            crate::error::code_of(t.remove(3).map(|_| ())),
            Some(u32::from(ErrorCode::TriggerOrderNotFound))
        );
        assert!(!t.is_empty());
    }
}
