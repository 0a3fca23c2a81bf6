//! Events from transaction logs: Anchor writes each as `Program data: <base64>` (the embedded
//! chain routes it into the log the same way).

use anchor_lang::{AnchorDeserialize, Discriminator, Event};
use base64::prelude::{Engine, BASE64_STANDARD};

/// All events of type `E` in `logs`, in order.
pub fn events<E: Event + AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    let mut out = Vec::new();
    for line in logs {
        let Some(pos) = line.find("Program data: ") else {
            continue;
        };
        for field in line[pos + "Program data: ".len()..].split(' ') {
            let Ok(bytes) = BASE64_STANDARD.decode(field) else {
                continue;
            };
            if bytes.len() >= 8 && bytes[..8] == *E::DISCRIMINATOR {
                if let Ok(e) = E::deserialize(&mut &bytes[8..]) {
                    out.push(e);
                }
            }
        }
    }
    out
}
