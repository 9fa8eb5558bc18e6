//! `netassure generate-flows`: labelled synthetic NetFlow (NIDS-schema CSV) from
//! `netassure-flowsynth`, for training, evaluation and demos.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use netassure_flowsynth::labels::labels_toml;
use netassure_flowsynth::{AttackClass, Scenario, generate, write_nids_csv};

/// `netassure generate-flows`
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Seed of every random choice: the same arguments always give the same file.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Minutes of traffic, from midnight UTC of the scenario's first day.
    #[arg(long, default_value_t = 1440)]
    minutes: u32,
    /// Start this many hours after midnight.
    #[arg(long, default_value_t = 0)]
    start_hour: u32,
    /// Day offset from the default first day (2026-09-21), for sets that do not overlap.
    #[arg(long, default_value_t = 0)]
    day: u32,
    /// Client workstations.
    #[arg(long, default_value_t = 200)]
    clients: u32,
    /// Attack classes, comma-separated (PortScan, DDoS, BruteForce, Exfiltration,
    /// LateralMovement, C2Beacon), `all` or `none`.
    #[arg(long, default_value = "all")]
    attacks: String,
    /// Episodes of each attack class.
    #[arg(long, default_value_t = 3)]
    episodes: u32,
    /// The CSV file to write.
    #[arg(long)]
    out: PathBuf,
    /// Also write the attacks as labels (attackers, victims, span per episode; TOML for
    /// `netassure eval --labels`).
    #[arg(long)]
    labels: Option<PathBuf>,
}

fn attack_classes(list: &str) -> anyhow::Result<Vec<AttackClass>> {
    match list {
        "all" => Ok(AttackClass::ALL.to_vec()),
        "none" | "" => Ok(Vec::new()),
        list => list
            .split(',')
            .map(|name| {
                AttackClass::parse(name.trim()).with_context(|| {
                    let known: Vec<&str> = AttackClass::ALL.iter().map(|c| c.name()).collect();
                    format!(
                        "unknown attack class `{name}` (known: {})",
                        known.join(", ")
                    )
                })
            })
            .collect(),
    }
}

/// Write the scenario's flows and print what was written.
pub(crate) fn generate_flows(args: GenerateArgs) -> anyhow::Result<()> {
    if args.clients == 0 || args.minutes == 0 {
        bail!("--clients and --minutes must be at least 1");
    }
    let defaults = Scenario::default();
    let scenario = Scenario {
        seed: args.seed,
        start_ms: defaults.start_ms
            + u64::from(args.day) * 86_400_000
            + u64::from(args.start_hour) * 3_600_000,
        minutes: args.minutes,
        clients: args.clients,
        attacks: attack_classes(&args.attacks)?,
        episodes: args.episodes,
    };
    let flows = generate(&scenario);
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    write_nids_csv(&flows, file).with_context(|| format!("writing {}", args.out.display()))?;
    if let Some(path) = &args.labels {
        let description = format!(
            "netassure generate-flows --seed {} --clients {} --minutes {} ({})",
            args.seed, args.clients, args.minutes, args.attacks
        );
        std::fs::write(path, labels_toml(&flows, &description))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let attacks = flows.iter().filter(|flow| flow.attack.is_some()).count();
    println!(
        "{}: {} flows ({} benign, {attacks} attack) over {} minutes, seed {}",
        args.out.display(),
        flows.len(),
        flows.len() - attacks,
        args.minutes,
        args.seed
    );
    Ok(())
}
