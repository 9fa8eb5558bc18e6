//! The webhook notifier retries with backoff until the receiver takes the alert, and delivers
//! every alert decision once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{self, Host, HostDirs, OPERATOR, Options, events, plugin, wait_until};
use serde_json::Value;

/// Bodies the receiver took, shared with the test.
type Taken = Arc<Mutex<Vec<Value>>>;

/// One request read from `stream` (headers, then `Content-Length` bytes of body).
fn read_request(stream: impl Read) -> Vec<u8> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    body
}

/// A receiver that answers 503 to its first `failures` requests, then 200, each after
/// `delay`; keeps the bodies it took and counts every request. `tls` serves HTTPS.
fn receiver_with(
    failures: usize,
    delay: Duration,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (String, Taken, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}/hook", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let requests = Arc::new(Mutex::new(0usize));
    let (kept, seen) = (accepted.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let stream = stream.unwrap();
            let mut stream: Box<dyn ReadWrite> = match &tls {
                Some(config) => Box::new(rustls::StreamOwned::new(
                    rustls::ServerConnection::new(config.clone()).unwrap(),
                    stream,
                )),
                None => Box::new(stream),
            };
            let body = read_request(&mut stream);
            // A deliberately slow receiver.
            std::thread::sleep(delay);
            let number = {
                let mut seen = seen.lock().unwrap();
                *seen += 1;
                *seen
            };
            let status = if number <= failures {
                "503 Service Unavailable"
            } else {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.flush();
        }
    });
    (url, accepted, requests)
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn receiver(failures: usize) -> (String, Taken, Arc<Mutex<usize>>) {
    receiver_with(failures, Duration::ZERO, None)
}

#[test]
fn alerts_are_posted_with_retries() {
    let (url, accepted, requests) = receiver(2);
    let dirs = HostDirs::new();
    dirs.add(&plugin("link-utilisation"), "link-utilisation");
    dirs.add(&plugin("severity-mapping"), "severity-mapping");
    let extra = dirs.config(&format!(
        "[sinks.webhook]\nurl = \"{url}\"\nmax_retries = 3\nbackoff_ms = 50\n"
    ));
    let mut host = Host::start(&dirs, Options::piped(extra));
    host.send_file(&events("fabric.jsonl"));
    wait_until(Duration::from_secs(30), "five alerts delivered", || {
        accepted.lock().unwrap().len() == 5
    });
    let alerts = accepted.lock().unwrap().clone();
    assert!(
        alerts
            .iter()
            .all(|a| a["type"] == "alert-opened" && a["alert"]["alert_id"].is_string()),
        "{alerts:?}"
    );
    assert_eq!(
        *requests.lock().unwrap(),
        7,
        "two refusals, then one delivery per alert"
    );
    let id = alerts[0]["alert"]["alert_id"].as_str().unwrap().to_owned();
    assert_eq!(
        host.post(&format!("/alerts/{id}/resolve"), b"", Some(OPERATOR))
            .0,
        200
    );
    wait_until(Duration::from_secs(30), "the change delivered", || {
        accepted.lock().unwrap().len() == 6
    });
    let change = accepted.lock().unwrap()[5].clone();
    assert_eq!(
        (change["type"].as_str(), change["status"].as_str()),
        (Some("alert-changed"), Some("resolved"))
    );
    let (_, metrics) = host.get("/metrics");
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains(r#"netassure_sink_webhook_total{kind="retried"} 2"#),
        "{metrics}"
    );
}

/// A host with `link-utilisation` and `severity-mapping` replaying `alerts` telemetry lines
/// over 95% on as many links (one alert each), configured with `config`.
fn replay_burst(dirs: &HostDirs, alerts: usize, config: &str) -> Host {
    dirs.add(&plugin("link-utilisation"), "link-utilisation");
    dirs.add(&plugin("severity-mapping"), "severity-mapping");
    let burst = dirs.root.path().join("burst.jsonl");
    let lines: Vec<String> = (0..alerts)
        .map(|link| common::telemetry(&format!("link-{link}"), 0.95).to_string())
        .collect();
    std::fs::write(&burst, lines.join("\n")).unwrap();
    Host::start(
        dirs,
        Options {
            replay: Some(&burst),
            extra: dirs.config(config),
            ..Options::default()
        },
    )
}

/// Alerts published faster than the receiver takes them all arrive, each once: the notifier
/// has a queue of its own instead of reading the shared feed (which skips on lag).
#[test]
fn a_burst_of_alerts_reaches_the_webhook_every_one() {
    const ALERTS: usize = 2_000;
    let (url, accepted, _) = receiver_with(0, Duration::from_millis(1), None);
    let dirs = HostDirs::new();
    let host = replay_burst(
        &dirs,
        ALERTS,
        &format!("[sinks.webhook]\nurl = \"{url}\"\n"),
    );
    wait_until(Duration::from_secs(120), "every alert delivered", || {
        accepted.lock().unwrap().len() >= ALERTS
    });
    // Half a second more for a duplicate to arrive: this wait shows that something does not
    // happen (the notifier's queue is not observable), so there is no state to wait for.
    std::thread::sleep(Duration::from_millis(500));
    let delivered = accepted.lock().unwrap().clone();
    let ids: std::collections::BTreeSet<&str> = delivered
        .iter()
        .map(|body| body["alert"]["alert_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        (delivered.len(), ids.len()),
        (ALERTS, ALERTS),
        "each alert once"
    );
    let (_, metrics) = host.get("/metrics");
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(
        metrics.contains(&format!(
            r#"netassure_sink_webhook_total{{kind="delivered"}} {ALERTS}"#
        )),
        "{metrics}"
    );
    assert!(
        !metrics.contains(r#"netassure_sink_webhook_total{kind="refused"} 1"#),
        "{metrics}"
    );
}

/// An `https://` webhook is verified against `ca_file` and receives the alerts; a URL the
/// notifier cannot use stops the host at start with the reason.
#[test]
fn an_https_webhook_trusted_through_ca_file_receives_alerts_and_a_bad_url_is_refused_at_start() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "NetAssure test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &*ca)
        .unwrap();
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
    )
    .unwrap();
    let (url, accepted, _) = receiver_with(0, Duration::ZERO, Some(Arc::new(server)));
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let dirs = HostDirs::new();
    dirs.add(&plugin("link-utilisation"), "link-utilisation");
    dirs.add(&plugin("severity-mapping"), "severity-mapping");
    let ca_file = dirs.root.path().join("hooks-ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let extra = dirs.config(&format!(
        "[sinks.webhook]\nurl = \"{url}\"\nca_file = \"{}\"\n",
        ca_file.display()
    ));
    let mut host = Host::start(&dirs, Options::piped(extra));
    host.send_file(&events("fabric.jsonl"));
    wait_until(Duration::from_secs(30), "five alerts over TLS", || {
        accepted.lock().unwrap().len() == 5
    });

    for (url, reason) in [
        ("ftp://127.0.0.1/hook", "only http:// and https://"),
        ("not a url", "is not a URL"),
    ] {
        let dirs = HostDirs::new();
        let config = dirs.config(&format!("[sinks.webhook]\nurl = \"{url}\"\n"));
        let output = std::process::Command::new(common::host_bin())
            .current_dir(dirs.root.path())
            .args(&config)
            .arg("--plugins")
            .arg(dirs.plugins())
            .args([
                "--listen",
                "127.0.0.1:0",
                "--admin-token",
                "t",
                "--operator-token",
                "o",
            ])
            .arg("--data-dir")
            .arg(dirs.root.path().join("data"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.contains(reason),
            "{url}: {stderr}"
        );
    }
}

/// When the findings database refuses writes (here: `max_db_mb` reached, as a full disk
/// would), alerts still go out but say `stored: false`; every alert that says `stored: true`
/// is in `GET /alerts/{id}`, none that says false is; `/status` says `degraded` with the
/// counts, and the host keeps running.
#[test]
fn findings_that_could_not_be_stored_are_marked_and_the_host_says_degraded() {
    const ALERTS: usize = 6_000;
    let (url, accepted, _) = receiver_with(0, Duration::ZERO, None);
    let dirs = HostDirs::new();
    let host = replay_burst(
        &dirs,
        ALERTS,
        &format!("[sinks.webhook]\nurl = \"{url}\"\n\n[findings]\nmax_db_mb = 1\n"),
    );
    wait_until(Duration::from_secs(120), "every alert delivered", || {
        accepted.lock().unwrap().len() >= ALERTS
    });
    let delivered = accepted.lock().unwrap().clone();
    let (stored, unstored): (Vec<&Value>, Vec<&Value>) =
        delivered.iter().partition(|body| body["stored"] == true);
    assert!(
        !stored.is_empty() && !unstored.is_empty(),
        "{} stored, {} not: the database should fill part-way",
        stored.len(),
        unstored.len()
    );
    for (bodies, expected) in [(&stored, 200), (&unstored, 404)] {
        for body in bodies.iter().step_by(97) {
            let id = body["alert"]["alert_id"].as_str().unwrap();
            assert_eq!(host.get(&format!("/alerts/{id}")).0, expected, "{body}");
        }
    }
    let (_, status) = host.get("/status");
    assert_eq!(status["status"], "degraded", "{status}");
    let store = &status["findings_store"];
    assert_eq!(store["ok"], false);
    assert_eq!(
        store["alerts_unstored"].as_u64(),
        Some(unstored.len() as u64)
    );
    assert!(
        store["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("full")),
        "{store}"
    );
}
