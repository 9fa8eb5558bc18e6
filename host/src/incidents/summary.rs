//! One line that says who did what to whom, for alert messages and lists.

use super::IncidentRecord;

/// `198.51.100.23 → 10.20.0.5 tcp/22: auth-bruteforce, flow-gae for 2 min 30 s (5 windows)`.
pub(crate) fn summarise(incident: &IncidentRecord) -> String {
    let attackers = if incident.distributed {
        format!("{} sources", incident.attacker_count)
    } else {
        listed(&incident.attackers, incident.attacker_count as usize)
    };
    let victims = listed(&incident.victims, incident.victim_count as usize);
    let services = if incident.services.is_empty() {
        String::new()
    } else {
        format!(" {}", listed(&incident.services, incident.services.len()))
    };
    let target = if victims.is_empty() {
        String::new()
    } else {
        format!(" → {victims}")
    };
    format!(
        "{attackers}{target}{services}: {} for {} ({} windows)",
        incident.kinds.join(", "),
        duration(incident.last_seen_ms.saturating_sub(incident.first_seen_ms)),
        incident.windows
    )
}

/// The first three names, and how many more.
fn listed(names: &[String], total: usize) -> String {
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    let more = total.saturating_sub(shown.len());
    if more > 0 {
        format!("{} (+{more})", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// `45 s`, `2 min 30 s`, `3 h 5 min`.
fn duration(ms: u64) -> String {
    let seconds = ms / 1000;
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(45_000), "45 s");
        assert_eq!(duration(150_000), "2 min 30 s");
        assert_eq!(duration(3 * 3_600_000 + 300_000), "3 h 5 min");
    }

    #[test]
    fn long_lists_say_how_many_more() {
        let names: Vec<String> = (1..=5).map(|i| format!("10.0.0.{i}")).collect();
        assert_eq!(listed(&names, 7), "10.0.0.1, 10.0.0.2, 10.0.0.3 (+4)");
        assert_eq!(listed(&names[..1], 1), "10.0.0.1");
    }
}
