//! Outbound sinks fed from the live feed: the NATS event queue (`nats.rs`) and the webhook
//! notifier (`webhook.rs`).

pub mod nats;
pub mod webhook;
