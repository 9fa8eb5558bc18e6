//! The webhook notifier retries with backoff until the receiver takes the alert, and delivers
//! every alert decision once.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Host, HostDirs, OPERATOR, Options, events, plugin, wait_until};
use serde_json::Value;

/// Bodies the receiver took, shared with the test.
type Taken = Arc<Mutex<Vec<Value>>>;

/// A receiver that answers 503 to its first `failures` requests, then 200; keeps the bodies it
/// took and counts every request.
fn receiver(failures: usize) -> (String, Taken, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let requests = Arc::new(Mutex::new(0usize));
    let (kept, seen) = (accepted.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
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
            let number = {
                let mut seen = seen.lock().unwrap();
                *seen += 1;
                *seen
            };
            let status = if number <= failures {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            if number > failures {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, accepted, requests)
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
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            extra,
            ..Options::default()
        },
    );
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
