//! Events from transaction logs (the SDK's decoder; the embedded chain routes `sol_log_data`
//! into the logs, see `crossmargin_keeper::embedded::start_with_event_logs`).

use anchor_lang::{AnchorDeserialize, Discriminator, Event};

pub use crossmargin_sdk::events::events;

/// The single event of type `E` in `logs`.
pub fn one_event<E: Event + AnchorDeserialize + Discriminator>(logs: &[String]) -> E {
    let mut all = events::<E>(logs);
    assert_eq!(all.len(), 1, "expected exactly one event; logs: {logs:#?}");
    all.remove(0)
}
