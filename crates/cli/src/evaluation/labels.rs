//! Labels of a capture or flow file: which attacks it holds, who attacked whom, when. TOML
//! (`[capture]` and one `[[attack]]` per attack) or CSV (`name,class,attackers,victims,start,end`
//! with space-separated lists); see docs/evaluation.md.

use std::net::IpAddr;
use std::path::Path;

use anyhow::{Context, bail};
use ipnet::IpNet;
use serde::Deserialize;

/// A labels file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// What was captured.
    #[serde(default)]
    pub capture: CaptureInfo,
    /// The attacks in it.
    #[serde(default, rename = "attack")]
    pub attacks: Vec<Attack>,
}

/// `[capture]`
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureInfo {
    /// What it holds.
    #[serde(default)]
    pub description: String,
    /// True when it holds no attack at all.
    #[serde(default)]
    pub benign: bool,
    /// IP bytes the capture describes (for alerts per 100 MB); counted from the flows when
    /// absent.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// How it was made.
    #[serde(default)]
    pub commands: Vec<String>,
}

/// `[[attack]]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attack {
    /// Name.
    pub name: String,
    /// Class (`port-scan`, `brute-force`, `flood`, ...).
    pub class: String,
    /// The tool that made it, if a real one.
    #[serde(default)]
    pub tool: Option<String>,
    /// Addresses or networks that started it.
    pub attackers: Vec<IpNet>,
    /// Addresses or networks attacked.
    #[serde(default)]
    pub victims: Vec<IpNet>,
    /// `protocol/port` of the attacked services.
    #[serde(default)]
    pub services: Vec<String>,
    /// First packet or flow, RFC 3339 or ms since the epoch.
    #[serde(deserialize_with = "time_ms")]
    pub start: u64,
    /// Last packet or flow.
    #[serde(deserialize_with = "time_ms")]
    pub end: u64,
}

/// Addresses in the TOML may be plain addresses (`10.0.0.5`) or networks (`10.0.0.0/24`).
fn parse_net(text: &str) -> anyhow::Result<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .with_context(|| format!("`{text}` is not an address or a network"))
}

fn time_ms<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Time {
        Ms(u64),
        Text(String),
    }
    match Time::deserialize(deserializer)? {
        Time::Ms(ms) => Ok(ms),
        Time::Text(text) => parse_time(&text).map_err(serde::de::Error::custom),
    }
}

/// RFC 3339 (`Z` or an offset) or milliseconds since the epoch.
pub(crate) fn parse_time(text: &str) -> Result<u64, String> {
    if let Ok(ms) = text.trim().parse::<u64>() {
        return Ok(ms);
    }
    let at: jiff::Timestamp = text
        .trim()
        .parse()
        .map_err(|err| format!("`{text}` is not RFC 3339 or ms: {err}"))?;
    u64::try_from(at.as_millisecond()).map_err(|_| format!("`{text}` is before 1970"))
}

impl Labels {
    /// Read a labels file: TOML, or CSV when it ends in `.csv`.
    pub fn read(path: &Path) -> anyhow::Result<Labels> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let labels = if path.extension().is_some_and(|e| e == "csv") {
            Self::from_csv(&text)
        } else {
            Self::from_toml(&text)
        };
        labels.with_context(|| format!("in {}", path.display()))
    }

    /// Labels from TOML (addresses may be plain or networks).
    pub fn from_toml(text: &str) -> anyhow::Result<Labels> {
        let raw: toml::Value = toml::from_str(text)?;
        let normalised = normalise_addresses(raw)?;
        let labels: Labels = normalised.try_into()?;
        labels.check()?;
        Ok(labels)
    }

    /// Labels from CSV: `name,class,attackers,victims,start,end`, lists space-separated.
    pub(crate) fn from_csv(text: &str) -> anyhow::Result<Labels> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut attacks = Vec::new();
        for (line, record) in reader.records().enumerate() {
            let record = record?;
            let field = |i: usize| record.get(i).unwrap_or("").trim();
            let nets = |i: usize| -> anyhow::Result<Vec<IpNet>> {
                field(i).split_whitespace().map(parse_net).collect()
            };
            let row = || -> anyhow::Result<Attack> {
                Ok(Attack {
                    name: field(0).to_owned(),
                    class: field(1).to_owned(),
                    tool: None,
                    attackers: nets(2)?,
                    victims: nets(3)?,
                    services: Vec::new(),
                    start: parse_time(field(4)).map_err(anyhow::Error::msg)?,
                    end: parse_time(field(5)).map_err(anyhow::Error::msg)?,
                })
            };
            attacks.push(row().with_context(|| format!("row {}", line + 2))?);
        }
        let labels = Labels {
            capture: CaptureInfo {
                benign: attacks.is_empty(),
                ..CaptureInfo::default()
            },
            attacks,
        };
        labels.check()?;
        Ok(labels)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.capture.benign && !self.attacks.is_empty() {
            bail!("a capture marked benign lists attacks");
        }
        for attack in &self.attacks {
            if attack.attackers.is_empty() {
                bail!("attack `{}` names no attacker", attack.name);
            }
            if attack.end < attack.start {
                bail!("attack `{}` ends before it starts", attack.name);
            }
        }
        Ok(())
    }

    /// The attack a flow from `src` to `dst` between `start_ms` and `end_ms` belongs to: one
    /// side among its attackers, the other (if it names victims) among its victims, in its
    /// span (with `slack_ms` either side).
    pub fn attack_of(
        &self,
        src: IpAddr,
        dst: IpAddr,
        start_ms: u64,
        end_ms: u64,
        slack_ms: u64,
    ) -> Option<&Attack> {
        self.attacks.iter().find(|attack| {
            let in_time = start_ms <= attack.end + slack_ms && end_ms + slack_ms >= attack.start;
            let pair = |a: IpAddr, v: IpAddr| {
                contains(&attack.attackers, a)
                    && (attack.victims.is_empty() || contains(&attack.victims, v))
            };
            in_time && (pair(src, dst) || pair(dst, src))
        })
    }
}

/// True when `address` is in one of `nets`.
pub fn contains(nets: &[IpNet], address: IpAddr) -> bool {
    nets.iter().any(|net| net.contains(&address))
}

/// Plain addresses in `attackers`/`victims` become /32 (/128) networks, so one type holds both.
fn normalise_addresses(mut raw: toml::Value) -> anyhow::Result<toml::Value> {
    let attacks = raw
        .get_mut("attack")
        .and_then(toml::Value::as_array_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    let mut fixed = Vec::with_capacity(attacks.len());
    for mut attack in attacks {
        for key in ["attackers", "victims"] {
            if let Some(list) = attack.get_mut(key).and_then(toml::Value::as_array_mut) {
                for item in list.iter_mut() {
                    if let Some(text) = item.as_str() {
                        *item = toml::Value::String(parse_net(text)?.to_string());
                    }
                }
            }
        }
        fixed.push(attack);
    }
    if let Some(table) = raw.as_table_mut()
        && !fixed.is_empty()
    {
        table.insert("attack".into(), toml::Value::Array(fixed));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[capture]
description = "hydra against sshd"
bytes = 1000

[[attack]]
name = "hydra ssh"
class = "brute-force"
attackers = ["198.51.100.23"]
victims = ["10.20.0.0/24"]
services = ["tcp/22"]
start = "2026-11-30T19:40:01.123Z"
end = 1796067751456
"#;

    #[test]
    fn toml_and_csv_labels_read_the_same_and_match_flows() {
        let labels = Labels::from_toml(TOML).unwrap();
        assert_eq!(labels.attacks.len(), 1);
        let attack = &labels.attacks[0];
        assert_eq!(attack.start, 1_796_067_601_123);
        let csv = "name,class,attackers,victims,start,end\nhydra ssh,brute-force,198.51.100.23,10.20.0.0/24,2026-11-30T19:40:01.123Z,1796067751456\n";
        let from_csv = Labels::from_csv(csv).unwrap();
        assert_eq!(from_csv.attacks[0].attackers, attack.attackers);
        assert_eq!(from_csv.attacks[0].start, attack.start);
        let (a, v): (IpAddr, IpAddr) = (
            "198.51.100.23".parse().unwrap(),
            "10.20.0.5".parse().unwrap(),
        );
        let at = attack.start + 10;
        assert!(labels.attack_of(a, v, at, at + 5, 0).is_some());
        assert!(
            labels.attack_of(v, a, at, at + 5, 0).is_some(),
            "the answers too"
        );
        assert!(
            labels
                .attack_of(v, "10.9.9.9".parse().unwrap(), at, at, 0)
                .is_none()
        );
        assert!(
            labels
                .attack_of(a, v, attack.end + 100_000, attack.end + 100_001, 0)
                .is_none()
        );
    }

    #[test]
    fn bad_labels_are_refused_with_the_reason() {
        let backwards = TOML.replace("end = 1796067751456", "end = 1");
        assert!(
            format!("{:#}", Labels::from_toml(&backwards).unwrap_err()).contains("ends before")
        );
        let bad_address = TOML.replace("198.51.100.23", "not-an-address");
        assert!(Labels::from_toml(&bad_address).is_err());
        let unknown = TOML.replace("class =", "klass =");
        assert!(Labels::from_toml(&unknown).is_err());
    }
}

#[cfg(test)]
mod generated {
    use netassure_flowsynth::{Scenario, generate, labels::labels_toml};

    use super::*;

    #[test]
    fn the_generators_labels_read_back() {
        let flows = generate(&Scenario {
            minutes: 60,
            clients: 30,
            episodes: 1,
            ..Scenario::default()
        });
        let labels = Labels::from_toml(&labels_toml(&flows, "generated")).unwrap();
        assert!(!labels.capture.benign);
        assert!(labels.attacks.len() >= 4, "{:?}", labels.attacks);
        for flow in flows.iter().filter(|f| f.attack.is_some()) {
            let attack = labels
                .attack_of(
                    flow.src.into(),
                    flow.dst.into(),
                    flow.start_ms,
                    flow.end_ms,
                    0,
                )
                .expect("every attack flow is labelled");
            assert_eq!(attack.class, flow.attack.unwrap().label_class());
        }
    }
}
