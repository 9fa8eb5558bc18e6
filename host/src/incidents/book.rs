//! The open incidents, and how a new piece of evidence finds the incident it belongs to.
//!
//! - One attacker, one incident: evidence naming an attacker that an open incident has joins it
//!   (whatever the detector or kind: a scan and the GNN's verdict on the same scanner are one
//!   incident).
//! - Many sources acting together (more than `distributed_sources`, a distributed flood) are
//!   one incident per victim.
//! - A few sources doing the same thing to the same victim and service (the same kind of
//!   anomaly) join one incident, up to `max_group_sources` attackers.
//! - Evidence marked as a report (`alerting` false) only joins an open incident; it never
//!   starts one and never counts towards the evidence bar.
//!
//! Times are flow times (the evidence's first and last seen), so a capture replayed at any
//! speed gives the same incidents. The clock that closes quiet incidents is the flow time every
//! flow detector has got to (the slowest one's latest window), so a detector lagging behind
//! the others still adds its evidence to the incident it belongs to.

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::IncidentsConfig;
use super::{IncidentRecord, IncidentStatus};
use crate::model::AnomalyRecord;
use crate::model::evidence::{EvidenceRecord, FlowEvidenceRecord, MeasureRecord};
use crate::timefmt::ms_to_rfc3339;

/// Attackers, victims and services kept per incident for matching (the rest are counted).
const MAX_TRACKED: usize = 256;
/// Entries listed in the record.
const MAX_LISTED: usize = 20;
/// Anomaly ids listed in the record.
const MAX_ANOMALY_IDS: usize = 100;

/// One anomaly with its evidence.
pub struct Evidence<'a> {
    /// The anomaly.
    pub record: &'a AnomalyRecord,
    /// Its evidence.
    pub evidence: &'a EvidenceRecord,
    /// When it was detected, ms since the epoch: its time when the evidence gives no flow times.
    pub detected_at_ms: u64,
}

/// What observing one piece of evidence did.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The incident as it is now.
    pub incident: IncidentRecord,
    /// True when this evidence made the incident cross the evidence bar.
    pub newly_alerting: bool,
}

/// Counts by name, keeping at most [`MAX_TRACKED`] names.
#[derive(Debug, Default)]
struct Tally {
    counts: HashMap<String, u64>,
    distinct: u32,
}

impl Tally {
    fn add(&mut self, name: &str, weight: u64) {
        if let Some(count) = self.counts.get_mut(name) {
            *count += weight;
        } else {
            self.distinct = self.distinct.saturating_add(1);
            if self.counts.len() < MAX_TRACKED {
                self.counts.insert(name.to_owned(), weight);
            }
        }
    }

    fn contains(&self, name: &str) -> bool {
        self.counts.contains_key(name)
    }

    /// Names by count, highest first (ties by name).
    fn top(&self, n: usize) -> Vec<String> {
        let mut names: Vec<(&String, &u64)> = self.counts.iter().collect();
        names.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        names
            .into_iter()
            .take(n)
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// An open incident and what matching and the evidence bar need beyond its record.
#[derive(Debug)]
struct Open {
    record: IncidentRecord,
    attackers: Tally,
    victims: Tally,
    services: Tally,
    kinds: Tally,
    detectors: BTreeSet<String>,
    alerting_detectors: BTreeSet<String>,
    /// Flow windows (event time, event id) with alerting evidence within the span.
    windows: VecDeque<(u64, u64)>,
    max_alerting_score: f64,
    touched_wall_ms: u64,
}

/// The open incidents.
#[derive(Debug, Default)]
pub(crate) struct Book {
    open: HashMap<String, Open>,
    by_attacker: HashMap<String, String>,
    by_victim: HashMap<String, Vec<String>>,
    /// Flow time (window end) each flow detector has finished.
    progress: HashMap<String, u64>,
}

impl Book {
    /// Add `evidence` seen at wall time `wall_ms`: it joins an open incident or starts one.
    /// `None` when it names nobody, or is a report with no open incident to join.
    pub fn observe(
        &mut self,
        config: &IncidentsConfig,
        evidence: Evidence<'_>,
        wall_ms: u64,
    ) -> Option<Observed> {
        let facts = evidence.evidence;
        if facts.attackers.is_empty() && facts.victims.is_empty() {
            return None;
        }
        let (first_ms, last_ms) = span_of(facts, evidence.detected_at_ms);
        let id = match self.find(config, &evidence) {
            Some(id) => id,
            None if facts.alerting => self.start(config, &evidence, first_ms),
            None => return None,
        };
        let open = self.open.get_mut(&id).expect("found or started");
        let was_alerting = open.record.alerting;
        open.add(config, &evidence, first_ms, last_ms, wall_ms);
        let new_attackers: Vec<String> = facts
            .attackers
            .iter()
            .filter(|a| !open.record.distributed && open.attackers.contains(a))
            .cloned()
            .collect();
        let new_victims: Vec<String> = facts.victims.clone();
        let incident = open.record.clone();
        for attacker in new_attackers {
            self.by_attacker
                .entry(attacker)
                .or_insert_with(|| id.clone());
        }
        for victim in new_victims {
            let ids = self.by_victim.entry(victim).or_default();
            if !ids.contains(&id) {
                ids.push(id.clone());
            }
        }
        Some(Observed {
            newly_alerting: incident.alerting && !was_alerting,
            incident,
        })
    }

    /// The open incident `evidence` belongs to.
    fn find(&self, config: &IncidentsConfig, evidence: &Evidence<'_>) -> Option<String> {
        let facts = evidence.evidence;
        if is_distributed(config, facts) {
            return facts
                .victims
                .iter()
                .find_map(|victim| {
                    self.by_victim.get(victim)?.iter().find(|id| {
                        self.open
                            .get(*id)
                            .is_some_and(|open| open.record.distributed)
                    })
                })
                .cloned();
        }
        if let Some(id) = facts
            .attackers
            .iter()
            .find_map(|attacker| self.by_attacker.get(attacker))
        {
            return Some(id.clone());
        }
        facts
            .victims
            .iter()
            .find_map(|victim| {
                self.by_victim.get(victim)?.iter().find(|id| {
                    self.open.get(*id).is_some_and(|open| {
                        !open.record.distributed
                            && open.kinds.contains(&evidence.record.kind)
                            && facts.services.iter().any(|s| open.services.contains(s))
                            && open.attackers.distinct as usize + facts.attackers.len()
                                <= config.max_group_sources
                    })
                })
            })
            .cloned()
    }

    fn start(
        &mut self,
        config: &IncidentsConfig,
        evidence: &Evidence<'_>,
        first_ms: u64,
    ) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let record = IncidentRecord {
            incident_id: id.clone(),
            status: IncidentStatus::Open,
            alerting: false,
            alerting_since_ms: None,
            alert_id: None,
            summary: String::new(),
            attackers: Vec::new(),
            attacker_count: 0,
            distributed: is_distributed(config, evidence.evidence),
            victims: Vec::new(),
            victim_count: 0,
            services: Vec::new(),
            kinds: Vec::new(),
            detectors: Vec::new(),
            score: 0.0,
            first_seen: ms_to_rfc3339(first_ms),
            last_seen: ms_to_rfc3339(first_ms),
            first_seen_ms: first_ms,
            last_seen_ms: first_ms,
            windows: 0,
            anomaly_count: 0,
            anomaly_ids: Vec::new(),
            flows: Vec::new(),
            measures: Vec::new(),
            closed_at: None,
        };
        self.open.insert(id.clone(), Open::new(record));
        id
    }

    /// Flow detector `detector` has finished the window ending at `window_end_ms`.
    pub fn advance(&mut self, detector: &str, window_end_ms: u64) {
        match self.progress.get_mut(detector) {
            Some(at) => *at = (*at).max(window_end_ms),
            None => {
                self.progress.insert(detector.to_owned(), window_end_ms);
            }
        }
    }

    /// Only `detectors` receive flows now: forget the progress of any other.
    pub(crate) fn keep_detectors(&mut self, detectors: &[String]) {
        self.progress.retain(|name, _| detectors.contains(name));
    }

    /// The flow time every flow detector has got to.
    fn clock_ms(&self) -> u64 {
        self.progress.values().copied().min().unwrap_or(0)
    }

    /// Close the incidents quiet for `quiet_s` (in flow time, or in wall time when no evidence
    /// arrives at all); returns them, closed.
    pub fn sweep(&mut self, config: &IncidentsConfig, wall_ms: u64) -> Vec<IncidentRecord> {
        let quiet_ms = config.quiet_s.saturating_mul(1000);
        let clock_ms = self.clock_ms();
        let quiet: Vec<String> = self
            .open
            .iter()
            .filter(|(_, open)| {
                clock_ms.saturating_sub(open.record.last_seen_ms) > quiet_ms
                    || wall_ms.saturating_sub(open.touched_wall_ms) > quiet_ms
            })
            .map(|(id, _)| id.clone())
            .collect();
        quiet
            .into_iter()
            .filter_map(|id| self.close(&id, wall_ms))
            .collect()
    }

    /// Close every open incident (a boundary: what follows is another time); returns them.
    pub(crate) fn close_all(&mut self, wall_ms: u64) -> Vec<IncidentRecord> {
        let ids: Vec<String> = self.open.keys().cloned().collect();
        ids.into_iter()
            .filter_map(|id| self.close(&id, wall_ms))
            .collect()
    }

    fn close(&mut self, id: &str, wall_ms: u64) -> Option<IncidentRecord> {
        let open = self.open.remove(id)?;
        self.by_attacker.retain(|_, incident| incident != id);
        for ids in self.by_victim.values_mut() {
            ids.retain(|incident| incident != id);
        }
        self.by_victim.retain(|_, ids| !ids.is_empty());
        let mut record = open.record;
        record.status = IncidentStatus::Closed;
        record.closed_at = Some(ms_to_rfc3339(wall_ms));
        Some(record)
    }

    /// Remember that `incident_id` opened alert `alert_id`; the updated record.
    pub(crate) fn set_alert(
        &mut self,
        incident_id: &str,
        alert_id: &str,
    ) -> Option<IncidentRecord> {
        let open = self.open.get_mut(incident_id)?;
        if open.record.alert_id.as_deref() == Some(alert_id) {
            return None;
        }
        open.record.alert_id = Some(alert_id.to_owned());
        Some(open.record.clone())
    }

    /// Take back incidents that were open when the host stopped.
    pub fn restore(&mut self, records: Vec<IncidentRecord>, wall_ms: u64) {
        for record in records {
            let id = record.incident_id.clone();
            let mut open = Open::new(record);
            open.touched_wall_ms = wall_ms;
            for attacker in &open.record.attackers {
                open.attackers.add(attacker, 1);
                if !open.record.distributed {
                    self.by_attacker.insert(attacker.clone(), id.clone());
                }
            }
            for victim in &open.record.victims {
                open.victims.add(victim, 1);
                self.by_victim
                    .entry(victim.clone())
                    .or_default()
                    .push(id.clone());
            }
            for service in &open.record.services {
                open.services.add(service, 1);
            }
            for kind in &open.record.kinds {
                open.kinds.add(kind, 1);
            }
            self.open.insert(id, open);
        }
    }

    /// Number of open incidents.
    pub fn len(&self) -> usize {
        self.open.len()
    }
}

fn is_distributed(config: &IncidentsConfig, evidence: &EvidenceRecord) -> bool {
    evidence.attacker_count as usize > config.distributed_sources
}

/// The flow-time span of the evidence (its detection time when it reports none).
fn span_of(evidence: &EvidenceRecord, detected_at_ms: u64) -> (u64, u64) {
    if evidence.last_seen_ms > 0 {
        let first = if evidence.first_seen_ms > 0 {
            evidence.first_seen_ms
        } else {
            evidence.last_seen_ms
        };
        return (first.min(evidence.last_seen_ms), evidence.last_seen_ms);
    }
    (detected_at_ms, detected_at_ms)
}

impl Open {
    fn new(record: IncidentRecord) -> Open {
        let windows = record.windows;
        Open {
            record,
            attackers: Tally::default(),
            victims: Tally::default(),
            services: Tally::default(),
            kinds: Tally::default(),
            detectors: BTreeSet::new(),
            alerting_detectors: BTreeSet::new(),
            windows: VecDeque::with_capacity(windows as usize),
            max_alerting_score: 0.0,
            touched_wall_ms: 0,
        }
    }

    fn add(
        &mut self,
        config: &IncidentsConfig,
        evidence: &Evidence<'_>,
        first_ms: u64,
        last_ms: u64,
        wall_ms: u64,
    ) {
        let (record, facts) = (evidence.record, evidence.evidence);
        for attacker in &facts.attackers {
            self.attackers.add(attacker, 1);
        }
        for victim in &facts.victims {
            self.victims.add(victim, 1);
        }
        for service in &facts.services {
            self.services.add(service, 1);
        }
        self.kinds.add(&record.kind, 1);
        self.detectors.insert(record.detector.clone());
        if facts.alerting {
            self.alerting_detectors.insert(record.detector.clone());
            self.max_alerting_score = self.max_alerting_score.max(record.score);
            if !self.windows.iter().any(|&(_, id)| id == record.event_id) {
                self.windows.push_back((last_ms, record.event_id));
            }
            let span_start = last_ms.saturating_sub(config.span_s.saturating_mul(1000));
            while self.windows.front().is_some_and(|&(at, _)| at < span_start) {
                self.windows.pop_front();
            }
        }
        self.touched_wall_ms = wall_ms;
        self.merge_into_record(config, record, facts, first_ms, last_ms);
    }

    fn merge_into_record(
        &mut self,
        config: &IncidentsConfig,
        record: &AnomalyRecord,
        facts: &EvidenceRecord,
        first_ms: u64,
        last_ms: u64,
    ) {
        let incident = &mut self.record;
        incident.attackers = self.attackers.top(MAX_LISTED);
        incident.attacker_count = incident
            .attacker_count
            .max(self.attackers.distinct)
            .max(facts.attacker_count);
        incident.victims = self.victims.top(MAX_LISTED);
        incident.victim_count = self.victims.distinct;
        incident.services = self.services.top(MAX_LISTED);
        incident.kinds = self.kinds.top(MAX_LISTED);
        incident.detectors = self.detectors.iter().cloned().collect();
        incident.score = incident.score.max(record.score);
        if first_ms < incident.first_seen_ms || incident.anomaly_count == 0 {
            incident.first_seen_ms = first_ms;
            incident.first_seen = ms_to_rfc3339(first_ms);
        }
        if last_ms > incident.last_seen_ms {
            incident.last_seen_ms = last_ms;
            incident.last_seen = ms_to_rfc3339(last_ms);
        }
        incident.windows = incident.windows.max(self.windows.len() as u32);
        incident.anomaly_count += 1;
        incident.anomaly_ids.push(record.anomaly_id.clone());
        if incident.anomaly_ids.len() > MAX_ANOMALY_IDS {
            incident.anomaly_ids.remove(0);
        }
        merge_flows(&mut incident.flows, &facts.flows);
        merge_measures(&mut incident.measures, &facts.measures);
        let qualifies = self.max_alerting_score >= config.strong_score
            || self.windows.len() >= config.min_windows
            || self.alerting_detectors.len() >= config.min_detectors;
        if qualifies && !incident.alerting {
            incident.alerting = true;
            incident.alerting_since_ms = Some(last_ms);
        }
        incident.summary = super::summary::summarise(incident);
    }
}

fn merge_flows(kept: &mut Vec<FlowEvidenceRecord>, new: &[FlowEvidenceRecord]) {
    for flow in new {
        if !kept
            .iter()
            .any(|k| k.key == flow.key && k.start_ms == flow.start_ms)
        {
            kept.push(flow.clone());
        }
    }
    kept.sort_by(|a, b| b.score.total_cmp(&a.score));
    kept.truncate(MAX_LISTED);
}

fn merge_measures(kept: &mut Vec<MeasureRecord>, new: &[MeasureRecord]) {
    for measure in new {
        match kept.iter_mut().find(|k| k.name == measure.name) {
            Some(k) => k.value = k.value.max(measure.value),
            None => kept.push(measure.clone()),
        }
    }
}
