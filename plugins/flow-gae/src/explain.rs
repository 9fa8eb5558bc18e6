//! What the model expected of a flagged flow and how far the flow was from it: the features an
//! analyst asks about first.

use netassure_flowgraph::gae::TARGET_FEATURES;
use netassure_plugin_sdk::FlowBatch;
use netassure_plugin_sdk::evidence::FeatureDeviation;

/// Bits of the TCP flags the model reconstructs, in [`TARGET_FEATURES`] order after the four
/// volume features: FIN, SYN, RST, PSH, ACK.
const FLAG_BITS: [u8; 5] = [0x01, 0x02, 0x04, 0x08, 0x10];

/// The flow's own value of each target feature, in natural units: volumes, 0 or 1 per flag,
/// and 1 for `service` (the flow used its service; the model says how likely that was).
pub fn observed(batch: &FlowBatch, flow: usize) -> [f64; TARGET_FEATURES.len()] {
    let bytes = batch.bytes[flow] as f64;
    let packets = batch.packets[flow] as f64;
    let duration = batch.end_ms[flow].saturating_sub(batch.start_ms[flow]) as f64;
    let flags = batch.tcp_flags[flow];
    let mut values = [0.0; TARGET_FEATURES.len()];
    values[0] = bytes;
    values[1] = packets;
    values[2] = bytes / packets.max(1.0);
    values[3] = duration;
    for (slot, bit) in values[4..].iter_mut().zip(FLAG_BITS) {
        *slot = if flags & bit != 0 { 1.0 } else { 0.0 };
    }
    if let Some(service) = values.get_mut(4 + FLAG_BITS.len()) {
        *service = 1.0;
    }
    values
}

/// The `top` features of `flow` furthest from what the model expected (by the size of the
/// standardised deviation), furthest first. `expected` and `deviation` are the model's
/// `[flows, T]` outputs.
pub fn furthest(
    batch: &FlowBatch,
    flow: usize,
    expected: &[f32],
    deviation: &[f32],
    top: usize,
) -> Vec<FeatureDeviation> {
    let width = TARGET_FEATURES.len();
    let row = flow * width..(flow + 1) * width;
    let (Some(expected), Some(deviation)) = (expected.get(row.clone()), deviation.get(row)) else {
        return Vec::new();
    };
    let observed = observed(batch, flow);
    let mut features: Vec<FeatureDeviation> = (0..width)
        .map(|i| FeatureDeviation {
            name: TARGET_FEATURES[i].to_owned(),
            observed: observed[i],
            expected: f64::from(expected[i]),
            deviation: f64::from(deviation[i]),
        })
        .collect();
    features.sort_by(|a, b| b.deviation.abs().total_cmp(&a.deviation.abs()));
    features.truncate(top);
    features
}
