//! Anomalies and alerts end to end: detector → alert rule → durable records with dedup,
//! queried over REST with filters, acknowledged, resolved, labelled by an operator (a new
//! anomaly revision; a false positive silences the detector for that subject), and still
//! there after `kill -9`.

use std::time::Duration;

use crate::common::{
    self, Host, HostDirs, OPERATOR, Options, events, plugin, telemetry, wait_until,
};
use serde_json::Value;

fn start(dirs: &HostDirs) -> Host {
    Host::start(
        dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    )
}

/// A host with `link-utilisation` and `severity-mapping` that has replayed
/// `fabric.jsonl`, once its four alerts are in.
fn start_with_alerts(dirs: &HostDirs) -> Host {
    dirs.add(&plugin("link-utilisation"), "link-utilisation");
    dirs.add(&plugin("severity-mapping"), "severity-mapping");
    let mut host = start(dirs);
    host.send_file(&events("fabric.jsonl"));
    wait_until(Duration::from_secs(30), "the alerts", || {
        host.get("/alerts")
            .1
            .as_array()
            .is_some_and(|a| a.len() == 4)
    });
    host
}

fn alert_for<'a>(alerts: &'a Value, key: &str) -> &'a Value {
    alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["dedup_key"] == key)
        .unwrap_or_else(|| panic!("no alert {key} in {alerts}"))
}

#[test]
fn alerts_and_anomalies_lifecycle_over_rest() {
    let dirs = HostDirs::new();
    let mut host = start_with_alerts(&dirs);

    let (status, alerts) = host.get("/alerts");
    assert_eq!(status, 200);
    for alert in alerts.as_array().unwrap() {
        for field in [
            "alert_id",
            "status",
            "node_id",
            "message",
            "severity",
            "created_at",
        ] {
            assert!(alert.get(field).is_some(), "`{field}` in {alert}");
        }
        assert_eq!(alert["status"], "active");
    }
    let repeated = alert_for(&alerts, "link-over-utilised:r1-r2");
    assert_eq!(
        (repeated["count"].as_u64(), repeated["severity"].as_str()),
        (Some(2), Some("critical")),
        "deduplicated, severity raised: {repeated}"
    );
    assert_eq!(repeated["anomaly_ids"].as_array().unwrap().len(), 2);

    assert_eq!(
        host.get("/alerts?status=active")
            .1
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(host.get("/alerts?node=r1").1.as_array().unwrap().len(), 1);
    assert_eq!(
        host.get("/alerts?severity=critical")
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(host.get("/alerts?limit=1").1.as_array().unwrap().len(), 1);
    assert_eq!(
        host.get("/alerts?since=2100-01-01T00:00:00Z").1,
        Value::Array(vec![])
    );
    assert_eq!(
        host.get("/alerts?since=2000-01-01T01:00:00%2B01:00")
            .1
            .as_array()
            .unwrap()
            .len(),
        4
    );
    for bad in [
        "/alerts?since=yesterday",
        "/alerts?status=weird",
        "/alerts?severity=huge",
        "/alerts?limit=0",
        "/alerts?colour=red",
        "/anomalies?since=soon",
        "/anomalies?min_score=high",
    ] {
        let (status, body) = host.get(bad);
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("bad_request")),
            "{bad}: {body}"
        );
    }
    assert_eq!(host.get("/alerts/no-such-alert").0, 404);
    assert_eq!(
        host.post("/alerts/no-such-alert/ack", b"", Some(OPERATOR))
            .0,
        404
    );
    assert_eq!(host.get("/anomalies/no-such-anomaly").0, 404);

    let (status, anomalies) = host.get("/anomalies?kind=link-over-utilised&min_score=0.9");
    assert_eq!(status, 200);
    let scores: Vec<f64> = anomalies
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores.len(), 2, "{anomalies}");
    for field in [
        "anomaly_id",
        "score",
        "contributing_node_ids",
        "kind",
        "detected_at",
    ] {
        assert!(
            anomalies[0].get(field).is_some(),
            "`{field}` in {}",
            anomalies[0]
        );
    }
    assert_eq!(
        (
            anomalies[0]["revision"].as_u64(),
            anomalies[0]["stage"].as_str()
        ),
        (Some(1), Some("problem-potential"))
    );
    // The IETF export of each is valid against the NMOP modules, checked by the real
    // yanglint; and yanglint does refuse a broken one.
    for anomaly in anomalies.as_array().unwrap() {
        let id = anomaly["anomaly_id"].as_str().unwrap();
        let (status, ietf) = host.get(&format!("/anomalies/{id}/ietf"));
        assert_eq!(status, 200, "{ietf}");
        if let Err(complaint) = common::yanglint(&ietf) {
            panic!("yanglint refuses the IETF export of {id}: {complaint}\n{ietf:#}");
        }
        let broken = serde_json::to_string(&ietf).unwrap().replacen(
            "\"ietf-relevant-state:",
            "\"ietf-relevant-state:no-such-",
            1,
        );
        let broken: Value = serde_json::from_str(&broken).unwrap();
        assert!(
            common::yanglint(&broken).is_err(),
            "yanglint takes anything: {broken}"
        );
    }

    // Acknowledge, resolve.
    let id = alert_for(&alerts, "link-over-utilised:r2-r3")["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        host.post(&format!("/alerts/{id}/ack"), b"", Some(OPERATOR))
            .1["status"],
        "acknowledged"
    );
    assert_eq!(
        host.post(&format!("/alerts/{id}/resolve"), b"", Some(OPERATOR))
            .1["status"],
        "resolved"
    );
    assert_eq!(
        host.get("/alerts?status=resolved")
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Feedback: bad bodies are refused; a confirmation adds a human revision.
    let confirmed = alert_for(&alerts, "link-over-utilised:r3-r4")["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for bad in [
        &b"{nope"[..],
        br#"{"notes": "x"}"#,
        br#"{"is_false_positive": "yes"}"#,
    ] {
        let (status, body) = host.post(
            &format!("/alerts/{confirmed}/feedback"),
            bad,
            Some(OPERATOR),
        );
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("bad_request")),
            "{body}"
        );
    }
    let (status, alert) = host.post(
        &format!("/alerts/{confirmed}/feedback"),
        br#"{"is_false_positive": false, "notes": "real congestion"}"#,
        Some(OPERATOR),
    );
    assert_eq!(status, 200, "{alert}");
    assert_eq!(
        (
            alert["status"].as_str(),
            alert["feedback"]["is_false_positive"].as_bool()
        ),
        (Some("active"), Some(false))
    );
    let anomaly_id = alert["anomaly_ids"][0].as_str().unwrap();
    let (_, anomaly) = host.get(&format!("/anomalies/{anomaly_id}"));
    assert_eq!(
        (anomaly["revision"].as_u64(), anomaly["stage"].as_str()),
        (Some(2), Some("problem-confirmed"))
    );
    assert_eq!(anomaly["revisions"][1]["annotator_type"], "human");
    assert_eq!(anomaly["revisions"][1]["notes"], "real congestion");
    assert_eq!(
        anomaly["revisions"][0]["annotator"], "link-utilisation",
        "history is kept"
    );

    // A false positive: the alert is suppressed and the detector silenced for that link.
    let noisy = alert_for(&alerts, "link-over-utilised:zz")["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, alert) = host.post(
        &format!("/alerts/{noisy}/feedback"),
        br#"{"is_false_positive": true, "notes": null}"#,
        Some(OPERATOR),
    );
    assert_eq!(alert["status"], "suppressed");
    assert!(alert["feedback"]["suppressed_until"].is_string(), "{alert}");
    assert_eq!(
        host.get(&format!(
            "/anomalies/{}",
            alert["anomaly_ids"][0].as_str().unwrap()
        ))
        .1["stage"],
        "discarded"
    );
    host.send(&telemetry("zz", 0.5));
    host.send(&telemetry("zz", 0.97));
    host.send(&telemetry("r2-r3", 0.5));
    host.send(&telemetry("r2-r3", 0.93));
    wait_until(Duration::from_secs(30), "the new r2-r3 alert", || {
        host.get("/alerts").1.as_array().unwrap().len() == 5
    });
    let (_, newest) = host.get("/anomalies?limit=2");
    let suppressed: Vec<(String, bool)> = newest
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["contributing_link_ids"][0].as_str().unwrap().to_owned(),
                a["suppressed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        suppressed.contains(&("zz".to_owned(), true))
            && suppressed.contains(&("r2-r3".to_owned(), false)),
        "{suppressed:?}"
    );
    assert_eq!(
        host.get("/alerts?status=suppressed")
            .1
            .as_array()
            .unwrap()
            .len(),
        1,
        "no new alert for the silenced link"
    );

    // The CLI shows and changes the same.
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(common::cli_bin())
            .args(["--api", &host.base])
            .args(args)
            .env_remove("NETASSURE_ADMIN_TOKEN")
            .env("NETASSURE_OPERATOR_TOKEN", OPERATOR)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let table = cli(&["alerts", "--status", "active"]);
    assert!(
        table.starts_with("ALERT")
            && table.contains("link r1-r2 at 99.0% utilisation")
            && table.lines().count() == 4,
        "{table}"
    );
    let listed: Value = serde_json::from_str(&cli(&["alerts", "--since", "1h", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 5);
    let anomalies = cli(&["anomalies", "--since", "1h", "--kind", "link-over-utilised"]);
    assert!(
        anomalies.lines().count() > 5 && anomalies.contains("problem-confirmed"),
        "{anomalies}"
    );
    let newest = listed[0]["alert_id"].as_str().unwrap();
    let tokenless = std::process::Command::new(common::cli_bin())
        .args(["--api", &host.base, "alerts", "ack", newest])
        .env_remove("NETASSURE_ADMIN_TOKEN")
        .env_remove("NETASSURE_OPERATOR_TOKEN")
        .output()
        .unwrap();
    assert!(
        !tokenless.status.success()
            && String::from_utf8_lossy(&tokenless.stderr).contains("needs the operator token"),
        "{tokenless:?}"
    );
    assert!(cli(&["alerts", "ack", newest]).contains("\"acknowledged\""));
    let labelled = cli(&["alerts", "feedback", newest, "--notes", "seen it"]);
    assert!(labelled.contains("seen it"), "{labelled}");

    let (_, metrics) = host.get("/metrics");
    let metrics = metrics.as_str().unwrap();
    for line in [
        r#"netassure_store_size{kind="anomalies"} 7"#,
        r#"netassure_alerts_stored{kind="resolved"} 1"#,
        r#"netassure_alerts_stored{kind="suppressed"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    // kill -9: everything acknowledged is still there.
    let before = host.get("/alerts").1;
    host.child.kill().unwrap();
    host.child.wait().unwrap();
    let host = Host::start(&dirs, Options::default());
    assert_eq!(host.get("/alerts").1, before);
    assert_eq!(host.get(&format!("/alerts/{id}")).1["status"], "resolved");
}

/// Acting on alerts takes the operator token (or the admin token); the operator token does
/// not open the admin calls; and a `POST` that is not declared JSON — what a page on another
/// site can make a browser send without a preflight — is refused before anything happens.
#[test]
fn operator_calls_need_the_operator_token_and_posts_must_be_json() {
    let dirs = HostDirs::new();
    let host = start_with_alerts(&dirs);
    let (_, alerts) = host.get("/alerts");
    let ids: Vec<String> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alert_id"].as_str().unwrap().to_owned())
        .collect();
    let feedback = br#"{"is_false_positive": true, "notes": null}"#;
    for (path, body) in [
        (format!("/alerts/{}/ack", ids[0]), &b""[..]),
        (format!("/alerts/{}/resolve", ids[0]), b""),
        (format!("/alerts/{}/feedback", ids[0]), feedback),
    ] {
        for token in [
            None,
            Some("wrong"),
            Some("operator-test-toke"),
            Some("OPERATOR-TEST-TOKEN"),
        ] {
            let (status, answer) = host.post(&path, body, token);
            assert_eq!(
                (status, answer["error"].as_str()),
                (401, Some("unauthorized")),
                "{path} with {token:?}: {answer}"
            );
        }
    }
    let (_, untouched) = host.get(&format!("/alerts/{}", ids[0]));
    assert_eq!(
        untouched["status"], "active",
        "refused calls changed nothing"
    );

    // A cross-site form post or text/plain body, even with a valid token, and a bodiless POST
    // that does not say JSON: 415, nothing changed.
    let path = format!("/alerts/{}/feedback", ids[1]);
    for content_type in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let header = content_type
            .map(|value| format!("Content-Type: {value}\r\n"))
            .unwrap_or_default();
        let (status, answer) = host.raw(&format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {OPERATOR}\r\n{header}Content-Length: {}\r\nConnection: close\r\n\r\n{}",
            feedback.len(),
            String::from_utf8_lossy(feedback)
        ));
        assert_eq!(
            (status, answer["error"].as_str()),
            (415, Some("unsupported_media_type")),
            "{content_type:?}: {answer}"
        );
    }
    let (status, answer) = host.raw(
        "POST /analysis/run/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        (status, answer["error"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (_, untouched) = host.get(&format!("/alerts/{}", ids[1]));
    assert!(untouched["feedback"].is_null(), "{untouched}");

    // The operator token acts on alerts, the admin token too; the operator token opens no
    // admin call.
    let acked = host.post(&format!("/alerts/{}/ack", ids[0]), b"", Some(OPERATOR));
    assert_eq!(
        (acked.0, acked.1["status"].as_str()),
        (200, Some("acknowledged"))
    );
    let labelled = host.post(&path, feedback, Some(OPERATOR));
    assert_eq!(
        (labelled.0, labelled.1["status"].as_str()),
        (200, Some("suppressed"))
    );
    let resolved = host.post(
        &format!("/alerts/{}/resolve", ids[2]),
        b"",
        Some(common::TOKEN),
    );
    assert_eq!(
        (resolved.0, resolved.1["status"].as_str()),
        (200, Some("resolved"))
    );
    let (status, _) = host.post("/plugins/link-utilisation/disable", b"", Some(OPERATOR));
    assert_eq!(status, 401, "the operator token is not an admin token");
    assert_eq!(host.plugin("link-utilisation")["status"], "enabled");
}
