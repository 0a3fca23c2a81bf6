//! Decoders for the program's accounts (raw account data, discriminator included).

use anchor_lang::{AccountDeserialize, Discriminator};
use cross_margin::state::{Exchange, MarginAccount, Market, QueuedAction, TriggerOrders};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Data shorter than the account type.
    TooShort { expected: usize, got: usize },
    /// The first 8 bytes are not the type's discriminator.
    WrongDiscriminator,
    /// Borsh decoding failed.
    Invalid(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooShort { expected, got } => {
                write!(f, "account data is {got} bytes, expected {expected}")
            }
            DecodeError::WrongDiscriminator => write!(f, "account discriminator does not match"),
            DecodeError::Invalid(e) => write!(f, "account data is invalid: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {}

fn zero_copy<T: bytemuck::Pod + Discriminator>(data: &[u8]) -> Result<T, DecodeError> {
    let size = 8 + std::mem::size_of::<T>();
    if data.len() < size {
        return Err(DecodeError::TooShort {
            expected: size,
            got: data.len(),
        });
    }
    if data[..8] != *T::DISCRIMINATOR {
        return Err(DecodeError::WrongDiscriminator);
    }
    // Copy out: RPC buffers carry no alignment guarantee.
    Ok(bytemuck::pod_read_unaligned(&data[8..size]))
}

pub fn decode_margin_account(data: &[u8]) -> Result<MarginAccount, DecodeError> {
    zero_copy(data)
}

pub fn decode_market(data: &[u8]) -> Result<Market, DecodeError> {
    zero_copy(data)
}

pub fn decode_exchange(data: &[u8]) -> Result<Exchange, DecodeError> {
    if data.len() < 8 || data[..8] != *Exchange::DISCRIMINATOR {
        return Err(DecodeError::WrongDiscriminator);
    }
    Exchange::try_deserialize(&mut &data[..]).map_err(|e| DecodeError::Invalid(e.to_string()))
}

pub fn decode_trigger_orders(data: &[u8]) -> Result<TriggerOrders, DecodeError> {
    zero_copy(data)
}

pub fn decode_queued_action(data: &[u8]) -> Result<QueuedAction, DecodeError> {
    if data.len() < 8 || data[..8] != *QueuedAction::DISCRIMINATOR {
        return Err(DecodeError::WrongDiscriminator);
    }
    QueuedAction::try_deserialize(&mut &data[..]).map_err(|e| DecodeError::Invalid(e.to_string()))
}
