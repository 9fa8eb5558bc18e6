//! `evidence` (0.1.2): a detector reports an anomaly together with its evidence during
//! `on-event`. Reports are kept on the plugin's state and handed to the pipeline with the
//! anomalies the call returns; a call that fails drops them. Each call keeps at most
//! [`MAX_REPORTS`] reports, and each report's lists are cut to bounded lengths, so a hostile
//! plugin cannot make the host hold more than a bounded amount per call.

use crate::bindings::anomalies::Anomaly;
use crate::bindings::evidence::{AnomalyEvidence, Host};
use crate::{Finding, PluginState};

/// Reports one `on-event` call may make; later ones are dropped (and logged once per call).
pub(crate) const MAX_REPORTS: usize = 4096;
/// Flows kept per report.
const MAX_FLOWS: usize = 64;
/// Addresses, services, measures and features kept per list.
const MAX_ITEMS: usize = 64;

impl Host for PluginState {
    fn report(&mut self, anomaly: Anomaly, evidence: AnomalyEvidence) -> wasmtime::Result<()> {
        if self.delivering.is_none() {
            return Ok(());
        }
        if self.reported.len() >= MAX_REPORTS {
            if self.reports_dropped == 0 {
                tracing::warn!(
                    plugin = %self.plugin,
                    "more than {MAX_REPORTS} evidence reports in one call: the rest are dropped"
                );
            }
            self.reports_dropped += 1;
            return Ok(());
        }
        self.reported.push(Finding {
            anomaly,
            evidence: Some(bounded(evidence)),
        });
        Ok(())
    }
}

fn bounded(mut evidence: AnomalyEvidence) -> AnomalyEvidence {
    evidence.attackers.truncate(MAX_ITEMS);
    evidence.victims.truncate(MAX_ITEMS);
    evidence.services.truncate(MAX_ITEMS);
    evidence.measures.truncate(MAX_ITEMS);
    evidence.flows.truncate(MAX_FLOWS);
    for flow in &mut evidence.flows {
        flow.features.truncate(MAX_ITEMS);
    }
    evidence.attacker_count = evidence.attacker_count.max(evidence.attackers.len() as u32);
    evidence
}
