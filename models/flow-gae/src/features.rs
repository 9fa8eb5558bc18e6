//! The feature transform: raw flow columns (`GaeInputs::flows`) → the features the model
//! reconstructs (targets) and those it is given (context), and their standardisation with the
//! training set's means and deviations. The ONNX graph computes exactly these expressions
//! (`export.rs`), operation for operation, so a caller never computes features differently.
//!
//! Context describes a flow's service twice: by a fixed grouping of well-known ports
//! ([`SERVICES`]: DNS, web, mail, ...; every flow is in exactly one group, or "other
//! well-known" / "other"), and by the network's own most used destination ports, learned from
//! the training windows ([`FeatureSpec::ports`]). A port the network uses a lot gets its own
//! column; a rare one still shares its group's behaviour (8443 with web).

use netassure_flowgraph::gae::{FLOW_COLUMNS, GaeInputs, TARGET_FEATURES};

/// Targets ([`TARGET_FEATURES`]): log bytes, log packets, log bytes per packet, log duration,
/// the TCP flag bits FIN, SYN, RST, PSH, ACK, and the service (protocol × group, from context).
pub const TARGETS: usize = TARGET_FEATURES.len();
/// Of the targets, the first four are continuous (log volumes).
pub const CONTINUOUS: usize = 4;
/// Then the TCP flag bits.
pub const FLAGS: usize = 5;
/// Feature columns before the context: the continuous targets and the flag bits.
pub const OBSERVED: usize = CONTINUOUS + FLAGS;
/// Service classes: protocol (3) × service group ([`GROUPS`]).
pub const CLASSES: usize = PROTOCOLS * GROUPS;
/// Protocol columns: TCP, UDP, other.
pub const PROTOCOLS: usize = 3;
/// Service-group columns: the [`SERVICES`], other well-known port, other port.
pub const GROUPS: usize = SERVICES.len() + 2;
/// At most this many of the network's own ports get a column.
pub const MAX_PORTS: usize = 16;
/// A port gets its own column if at least this share of training flows go to it.
pub const MIN_PORT_SHARE: f64 = 0.001;

/// Service groups by destination port.
pub const SERVICES: [(&str, &[u16]); 10] = [
    ("dns", &[53, 853, 5353]),
    ("web", &[80, 443, 8000, 8080, 8443]),
    ("ssh", &[22]),
    ("mail", &[25, 110, 143, 465, 587, 993, 995]),
    ("smb_rpc", &[135, 137, 138, 139, 445]),
    ("remote_admin", &[23, 3389, 5900, 5985, 5986]),
    ("ntp", &[123]),
    ("database", &[1433, 1521, 3306, 5432, 6379, 27017]),
    ("directory", &[88, 389, 464, 636, 3268]),
    ("file_transfer", &[20, 21, 69, 873, 2049]),
];

/// Which features a model uses: the network's own frequent destination ports.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeatureSpec {
    /// Destination ports with a column of their own, most used first.
    pub ports: Vec<u16>,
}

impl FeatureSpec {
    /// The ports of at least [`MIN_PORT_SHARE`] of the flows of `windows`, at most
    /// [`MAX_PORTS`], most used first.
    pub fn fit<'a>(windows: impl IntoIterator<Item = &'a GaeInputs>) -> FeatureSpec {
        let mut counts = vec![0u64; 65_536];
        let mut total = 0u64;
        for w in windows {
            for raw in w.flows.chunks_exact(FLOW_COLUMNS) {
                counts[raw[5].clamp(0.0, 65_535.0) as usize] += 1;
                total += 1;
            }
        }
        let mut ports: Vec<(u64, u16)> = (0..=u16::MAX)
            .map(|p| (counts[usize::from(p)], p))
            .filter(|&(n, _)| n > 0 && n as f64 >= MIN_PORT_SHARE * total as f64)
            .collect();
        ports.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ports.truncate(MAX_PORTS);
        FeatureSpec {
            ports: ports.into_iter().map(|(_, p)| p).collect(),
        }
    }

    /// Context columns: protocols, groups, own ports.
    pub fn context(&self) -> usize {
        PROTOCOLS + GROUPS + self.ports.len()
    }

    /// All feature columns: continuous targets, flag bits, then context.
    pub fn features(&self) -> usize {
        OBSERVED + self.context()
    }

    /// Names of all features, in column order (for the card).
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = TARGET_FEATURES[..OBSERVED]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                if i < CONTINUOUS {
                    format!("log1p_{name}")
                } else {
                    (*name).to_owned()
                }
            })
            .collect();
        names.extend(["proto_tcp", "proto_udp", "proto_other"].map(String::from));
        names.extend(SERVICES.iter().map(|(name, _)| format!("service_{name}")));
        names.extend(["port_other_well_known", "port_other"].map(String::from));
        names.extend(self.ports.iter().map(|p| format!("port_{p}")));
        names
    }

    /// The unscaled features of one flow (`raw`: the six columns of `GaeInputs::flows`) into
    /// `out` (`features()` long).
    pub fn featurize_flow(&self, raw: &[f32], out: &mut [f32]) {
        let [bytes, packets, duration, protocol, flags, port] = [0, 1, 2, 3, 4, 5].map(|i| raw[i]);
        out[0] = log1p(bytes);
        out[1] = log1p(packets);
        out[2] = log1p(bytes / packets.max(1.0));
        out[3] = log1p(duration);
        // Bit k of the flags: floor(f / 2^k) − 2·floor(f / 2^(k+1)).
        let quotients: [f32; FLAGS + 1] =
            std::array::from_fn(|k| (flags / (1u32 << k) as f32).floor());
        for k in 0..FLAGS {
            out[CONTINUOUS + k] = quotients[k] - quotients[k + 1] * 2.0;
        }
        let context = &mut out[OBSERVED..];
        let tcp = indicator(protocol == 6.0);
        let udp = indicator(protocol == 17.0);
        context[..PROTOCOLS].copy_from_slice(&[tcp, udp, 1.0 - (tcp + udp)]);
        let groups = &mut context[PROTOCOLS..PROTOCOLS + GROUPS];
        let mut known = 0.0;
        for (index, (_, list)) in SERVICES.iter().enumerate() {
            let hit = indicator(list.iter().any(|&p| f32::from(p) == port));
            groups[index] = hit;
            known += hit;
        }
        let unknown = 1.0 - known;
        let low = indicator(port < 1024.0);
        groups[GROUPS - 2] = unknown * low;
        groups[GROUPS - 1] = unknown * (1.0 - low);
        for (slot, &p) in context[PROTOCOLS + GROUPS..].iter_mut().zip(&self.ports) {
            *slot = indicator(f32::from(p) == port);
        }
    }

    /// The unscaled features of every flow of `flows` (`[F, 6]` row-major),
    /// `[F, features()]`.
    pub fn featurize(&self, flows: &[f32]) -> Vec<f32> {
        let width = self.features();
        let mut out = vec![0.0; flows.len() / FLOW_COLUMNS * width];
        for (raw, row) in flows
            .chunks_exact(FLOW_COLUMNS)
            .zip(out.chunks_exact_mut(width))
        {
            self.featurize_flow(raw, row);
        }
        out
    }
}

fn indicator(b: bool) -> f32 {
    f32::from(u8::from(b))
}

/// `ln(x + 1)` as the graph computes it (`Log(Add(x, 1))`).
pub fn log1p(x: f32) -> f32 {
    (x + 1.0).ln()
}

/// The smallest deviation a continuous feature is scaled by.
pub const MIN_STD: f32 = 1e-2;

/// Means and deviations of the continuous targets and of the host counts in training; the model
/// standardises with them. Flag bits and context columns are 0/1 and not scaled.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaling {
    /// Per continuous target (log bytes, log packets, log bytes per packet, log duration).
    pub mean: Vec<f32>,
    /// Per continuous target, at least [`MIN_STD`].
    pub std: Vec<f32>,
    /// `ln(1 + flows sent)`, `ln(1 + flows received)` of a host in a window.
    pub host_mean: Vec<f32>,
    /// Their deviations, at least [`MIN_STD`].
    pub host_std: Vec<f32>,
}

/// Running mean and sample deviation of `width` columns.
struct Moments {
    n: f64,
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
}

impl Moments {
    fn new(width: usize) -> Moments {
        Moments {
            n: 0.0,
            sum: vec![0.0; width],
            sum_sq: vec![0.0; width],
        }
    }

    fn add(&mut self, row: &[f32]) {
        self.n += 1.0;
        for (j, &v) in row.iter().take(self.sum.len()).enumerate() {
            self.sum[j] += f64::from(v);
            self.sum_sq[j] += f64::from(v) * f64::from(v);
        }
    }

    fn finish(&self) -> (Vec<f32>, Vec<f32>) {
        let mean: Vec<f64> = self.sum.iter().map(|s| s / self.n.max(1.0)).collect();
        let std = (0..mean.len()).map(|j| {
            let var = (self.sum_sq[j] - self.n * mean[j] * mean[j]) / (self.n - 1.0).max(1.0);
            (var.max(0.0).sqrt() as f32).max(MIN_STD)
        });
        (std.collect(), mean.into_iter().map(|m| m as f32).collect())
    }
}

impl Scaling {
    /// Fitted to `features` (`[_, width]` per window) and the windows' hosts.
    pub fn fit<'a>(
        width: usize,
        features: impl IntoIterator<Item = &'a [f32]>,
        windows: impl IntoIterator<Item = &'a GaeInputs>,
    ) -> Scaling {
        let mut flows = Moments::new(CONTINUOUS);
        for rows in features {
            rows.chunks_exact(width).for_each(|row| flows.add(row));
        }
        let mut hosts = Moments::new(2);
        for w in windows {
            for h in w.hosts.chunks_exact(3) {
                hosts.add(&[log1p(h[0]), log1p(h[1])]);
            }
        }
        let (std, mean) = flows.finish();
        let (host_std, host_mean) = hosts.finish();
        Scaling {
            mean,
            std,
            host_mean,
            host_std,
        }
    }

    /// Standardise the continuous targets of `features` (`[_, width]`) in place:
    /// `(x − mean) / std`.
    pub fn apply(&self, width: usize, features: &mut [f32]) {
        for row in features.chunks_exact_mut(width) {
            for (j, v) in row.iter_mut().take(CONTINUOUS).enumerate() {
                *v = (*v - self.mean[j]) / self.std[j];
            }
        }
    }

    /// Host features as the model uses them (`hosts`: `[N, 3]`): standardised
    /// `ln(1 + flows sent)`, `ln(1 + flows received)`, and private (0/1).
    pub fn host_features(&self, hosts: &[f32]) -> Vec<f32> {
        let scaled = |j: usize, v: f32| (log1p(v) - self.host_mean[j]) / self.host_std[j];
        hosts
            .chunks_exact(3)
            .flat_map(|h| [scaled(0, h[0]), scaled(1, h[1]), h[2]])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_of_known_flows() {
        let spec = FeatureSpec {
            ports: vec![443, 40000],
        };
        let width = spec.features();
        assert_eq!(width, OBSERVED + PROTOCOLS + GROUPS + 2);
        assert_eq!(spec.names().len(), width);
        let ctx = OBSERVED;
        let mut row = vec![0.0; width];
        // A TCP HTTPS flow, 1,000 bytes in 4 packets over 99 ms, flags SYN|ACK|FIN|PSH (0x1b).
        spec.featurize_flow(&[1000.0, 4.0, 99.0, 6.0, 27.0, 443.0], &mut row);
        assert!((row[0] - 1001f32.ln()).abs() < 1e-6);
        assert!((row[1] - 5f32.ln()).abs() < 1e-6);
        assert!((row[2] - 251f32.ln()).abs() < 1e-6);
        assert!((row[3] - 100f32.ln()).abs() < 1e-6);
        assert_eq!(
            &row[4..9],
            &[1.0, 1.0, 0.0, 1.0, 1.0],
            "FIN SYN RST PSH ACK"
        );
        assert_eq!(&row[ctx..ctx + 3], &[1.0, 0.0, 0.0], "TCP");
        assert_eq!(row[ctx + 3 + 1], 1.0, "web");
        assert_eq!(row[ctx + 3..ctx + 3 + GROUPS].iter().sum::<f32>(), 1.0);
        assert_eq!(&row[width - 2..], &[1.0, 0.0], "its own port column");
        // UDP to an unassigned high port the network uses, no packets, RST only.
        spec.featurize_flow(&[60.0, 0.0, 0.0, 17.0, 4.0, 40000.0], &mut row);
        assert_eq!(row[1], 0.0);
        assert!((row[2] - 61f32.ln()).abs() < 1e-6);
        assert_eq!(&row[4..9], &[0.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(&row[ctx..ctx + 3], &[0.0, 1.0, 0.0]);
        assert_eq!(row[ctx + 3 + GROUPS - 1], 1.0, "other port");
        assert_eq!(&row[width - 2..], &[0.0, 1.0]);
        // ICMP to port 0: other protocol, other well-known port, no own column.
        spec.featurize_flow(&[84.0, 1.0, 0.0, 1.0, 0.0, 0.0], &mut row);
        assert_eq!(&row[ctx..ctx + 3], &[0.0, 0.0, 1.0]);
        assert_eq!(row[ctx + 3 + GROUPS - 2], 1.0);
        assert_eq!(&row[width - 2..], &[0.0, 0.0]);
    }

    #[test]
    fn the_networks_own_ports() {
        let mut w = GaeInputs::default();
        for (port, n) in [(443.0, 500), (53.0, 300), (9999.0, 199), (1234.0, 1)] {
            for _ in 0..n {
                w.flows.extend_from_slice(&[1.0, 1.0, 1.0, 6.0, 0.0, port]);
            }
        }
        let spec = FeatureSpec::fit([&w]);
        assert_eq!(
            spec.ports,
            [443, 53, 9999, 1234],
            "1234 has 0.1% of the flows: just in"
        );
        let mut w2 = w.clone();
        w2.flows.extend_from_slice(&[1.0, 1.0, 1.0, 6.0, 0.0, 7.0]);
        assert_eq!(
            FeatureSpec::fit([&w2]).ports,
            [443, 53, 9999],
            "now just below"
        );
    }

    #[test]
    fn scaling_standardises() {
        let width = 10;
        let a: Vec<f32> = (0..width).map(|j| j as f32).collect();
        let b: Vec<f32> = (0..width).map(|j| j as f32 + 2.0).collect();
        let window = GaeInputs {
            hosts: vec![0.0, 1.0, 1.0, 2.0, 1.0, 0.0],
            ..GaeInputs::default()
        };
        let scaling = Scaling::fit(width, [a.as_slice(), b.as_slice()], [&window]);
        assert!((scaling.mean[3] - 4.0).abs() < 1e-6);
        // Sample deviation of {x, x + 2} is √2.
        assert!((scaling.std[3] - 2f32.sqrt()).abs() < 1e-6);
        let mut rows = [a, b].concat();
        scaling.apply(width, &mut rows);
        assert!((rows[3] + 1.0 / 2f32.sqrt()).abs() < 1e-6);
        assert_eq!(rows[5], 5.0, "flags and context are not scaled");
        assert_eq!(scaling.host_std[1], MIN_STD, "constant: the floor");
        let hosts = scaling.host_features(&window.hosts);
        assert_eq!(hosts.len(), 6);
        assert!(
            (hosts[0] + hosts[3]).abs() < 1e-6,
            "two hosts, ± one deviation"
        );
    }
}
