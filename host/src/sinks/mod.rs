//! Outbound sinks fed from the live feed: the NATS event queue (`nats.rs`).

pub mod nats;
