//! Every REST endpoint of plugin management, `401` without the token and `422` on bad uploads
//! with the state unchanged; and the `netassure` CLI against the same host.

use std::process::Command;

use crate::common::{self, Host, HostDirs, Options, TOKEN, cli_bin, fixture, plugin, sockets};
use serde_json::Value;

#[test]
fn plugin_lifecycle_over_rest() {
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, Options::default());

    let (status, body) = host.get("/status");
    assert_eq!(status, 200);
    assert_eq!(
        (body["status"].as_str(), body["plugins"]["total"].as_u64()),
        (Some("ok"), Some(0))
    );
    assert_eq!(host.get("/plugins"), (200, Value::Array(vec![])));

    // Install: 201, written to the plugin directory, visible everywhere.
    let (status, body) = host.install("hot-links", &plugin("link-utilisation"));
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["outcome"], "created");
    assert!(dirs.plugins().join("hot-links.wasm").exists());
    let detail = host.plugin("hot-links");
    assert_eq!(detail["kind"], "detector");
    assert_eq!(detail["world"], "netassure:plugin/detector@0.1.2");
    assert_eq!(detail["status"], "enabled");
    assert_eq!(
        detail["subscriptions"],
        serde_json::json!(["telemetry", "topology"])
    );
    assert_eq!(detail["limits"]["deadline_ms"], 100);
    assert_eq!(detail["info"]["config"][0]["name"], "threshold");
    for field in [
        "calls",
        "failures",
        "last_error",
        "p50_call_us",
        "p99_call_us",
        "version",
        "config",
    ] {
        assert!(
            detail.get(field).is_some(),
            "GET /plugins/{{name}} has `{field}`"
        );
    }
    let (_, list) = host.get("/plugins");
    assert_eq!(list[0]["name"], "hot-links");

    // Same bytes again: unchanged, 200.
    let (status, body) = host.install("hot-links", &plugin("link-utilisation"));
    assert_eq!((status, body["outcome"].as_str()), (200, Some("unchanged")));

    // Configuration: applied when configure() accepts it, 422 with the reason when not.
    let (status, body) = host.put(
        "/plugins/hot-links/config",
        br#"{"threshold": 0.95}"#,
        Some(TOKEN),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["config"]["threshold"], 0.95);
    assert!(
        std::fs::read_to_string(dirs.plugins().join("hot-links.toml"))
            .unwrap()
            .contains("threshold = 0.95")
    );
    let (status, body) = host.put(
        "/plugins/hot-links/config",
        br#"{"threshold": -3}"#,
        Some(TOKEN),
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("invalid_plugin")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("threshold must be between 0 and 10"),
        "{body}"
    );
    let (status, body) = host.put(
        "/plugins/hot-links/config",
        br#"{"thresh": 1}"#,
        Some(TOKEN),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `thresh`"),
        "{body}"
    );
    let (status, body) = host.put("/plugins/hot-links/config", b"[1, 2]", Some(TOKEN));
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
    let (status, _) = host.put("/plugins/hot-links/config", b"{oops", Some(TOKEN));
    assert_eq!(status, 400);
    assert_eq!(
        host.plugin("hot-links")["config"]["threshold"],
        0.95,
        "refused configurations change nothing"
    );

    // Disable, enable, reload.
    let (status, body) = host.post("/plugins/hot-links/disable", b"", Some(TOKEN));
    assert_eq!((status, body["status"].as_str()), (200, Some("disabled")));
    assert!(
        std::fs::read_to_string(dirs.plugins().join("hot-links.toml"))
            .unwrap()
            .contains("enabled = false")
    );
    assert_eq!(host.get("/status").1["plugins"]["disabled"], 1);
    let (status, body) = host.post("/plugins/hot-links/enable", b"", Some(TOKEN));
    assert_eq!((status, body["status"].as_str()), (200, Some("enabled")));
    let (status, body) = host.post("/plugins/hot-links/reload", b"", Some(TOKEN));
    assert_eq!((status, body["status"].as_str()), (200, Some("enabled")));

    // A new version must accept the configuration in the manifest: degree-centrality takes
    // none, so the swap is refused with the reason and the old version keeps running.
    let (status, body) = host.install("hot-links", &plugin("degree-centrality"));
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("invalid_plugin")),
        "{body}"
    );
    assert_eq!(host.plugin("hot-links")["kind"], "detector");
    // With an empty configuration, a swap to another kind under the same name is allowed.
    assert_eq!(
        host.put("/plugins/hot-links/config", b"{}", Some(TOKEN)).0,
        200
    );
    let (status, body) = host.install("hot-links", &plugin("degree-centrality"));
    assert_eq!(
        (status, body["outcome"].as_str()),
        (200, Some("swapped")),
        "{body}"
    );
    assert_eq!(host.plugin("hot-links")["kind"], "graph-algorithm");

    // Remove: 204, files gone, 404 afterwards.
    assert_eq!(host.delete("/plugins/hot-links", Some(TOKEN)).0, 204);
    assert!(
        !dirs.plugins().join("hot-links.wasm").exists()
            && !dirs.plugins().join("hot-links.toml").exists()
    );
    for (status, body) in [
        host.get("/plugins/hot-links"),
        host.delete("/plugins/hot-links", Some(TOKEN)),
        host.post("/plugins/hot-links/enable", b"", Some(TOKEN)),
        host.post("/analysis/run/hot-links", b"", None),
    ] {
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("not_found")),
            "{body}"
        );
    }
    assert_eq!(host.get("/no/such/endpoint").0, 404);
    let (status, body) = host.install("Bad_Name", &plugin("link-utilisation"));
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_name"))
    );
    let (status, metrics) = host.get("/metrics");
    assert!(
        status == 200 && metrics.as_str().unwrap().ends_with("# EOF\n"),
        "{metrics}"
    );
}

#[test]
fn mutating_calls_need_the_token_and_change_nothing_without_it() {
    let dirs = HostDirs::new();
    dirs.add(&fixture("tagger-v1"), "tagger");
    let host = Host::start(&dirs, Options::default());
    let before = host.plugin("tagger");
    let bytes = std::fs::read(plugin("link-utilisation")).unwrap();
    for token in [None, Some("wrong-token")] {
        let calls = [
            host.put("/plugins/tagger", &bytes, token),
            host.put("/plugins/new", &bytes, token),
            host.delete("/plugins/tagger", token),
            host.post("/plugins/tagger/enable", b"", token),
            host.post("/plugins/tagger/disable", b"", token),
            host.post("/plugins/tagger/reload", b"", token),
            host.put("/plugins/tagger/config", b"{}", token),
        ];
        for (status, body) in calls {
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("unauthorized")),
                "{body}"
            );
        }
    }
    let after = host.plugin("tagger");
    assert_eq!(
        (after["hash"].clone(), after["status"].clone()),
        (before["hash"].clone(), before["status"].clone())
    );
    assert_eq!(host.get("/plugins").1.as_array().unwrap().len(), 1);
}

#[test]
fn bodies_are_refused_before_they_are_read_and_never_buffered_past_their_limit() {
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, Options::default());
    // A refused upload is answered from its headers: no body is sent, the 401 still comes.
    let (status, body) =
        host.raw("PUT /plugins/big HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: 67108864\r\n\r\n");
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    // A body over the limit of an ordinary call: 413, in the JSON error format.
    let (status, body) = host.raw(
        "POST /analysis/what-if HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 3145728\r\n\r\n",
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );
    // Eight unauthenticated 32 MiB uploads at once leave the host's memory where it was
    // (each was buffered whole before: +256 MiB).
    let before = host.rss_bytes();
    let upload = vec![0u8; 32 << 20];
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| host.try_put("/plugins/big", &upload, None));
        }
    });
    let after = host.rss_bytes();
    assert!(
        after < before + (64 << 20),
        "resident memory grew from {before} to {after} bytes"
    );
    assert_eq!(host.get("/status").0, 200);
}

fn cli(host: &Host, args: &[&str]) -> (bool, String) {
    let output = Command::new(cli_bin())
        .args(["--api", &host.base, "--token", TOKEN])
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn cli_manages_plugins() {
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, Options::default());
    let file = plugin("degree-centrality");
    let (ok, text) = cli(
        &host,
        &[
            "plugins",
            "install",
            file.to_str().unwrap(),
            "--name",
            "degree",
        ],
    );
    assert!(ok, "{text}");
    let (ok, text) = cli(&host, &["plugins", "list"]);
    assert!(
        ok && text.contains("degree")
            && text.contains("graph-algorithm")
            && text.contains("enabled"),
        "{text}"
    );
    let (ok, text) = cli(&host, &["plugins", "disable", "degree"]);
    assert!(ok && text.contains("\"disabled\""), "{text}");
    let (ok, text) = cli(&host, &["plugins", "enable", "degree"]);
    assert!(ok && text.contains("\"enabled\""), "{text}");
    let (ok, text) = cli(&host, &["plugins", "reload", "degree"]);
    assert!(ok, "{text}");
    let (ok, text) = cli(&host, &["plugins", "show", "degree"]);
    assert!(
        ok && text.contains("netassure:plugin/graph-algorithm@0.1.2"),
        "{text}"
    );
    let (ok, text) = cli(&host, &["analysis", "run", "degree", "--param", "top=1"]);
    assert!(ok && text.contains("node_scores"), "{text}");
    let (ok, text) = cli(&host, &["plugins", "remove", "degree"]);
    assert!(ok && text.contains("removed degree"), "{text}");
    let (ok, text) = cli(&host, &["plugins", "show", "degree"]);
    assert!(!ok && text.contains("404 not_found"), "{text}");
    let wrong = fixture("wasi-command");
    let (ok, text) = cli(&host, &["plugins", "install", wrong.to_str().unwrap()]);
    assert!(!ok && text.contains("422 invalid_plugin"), "{text}");
    let output = Command::new(cli_bin())
        .args(["--api", &host.base, "plugins", "remove", "x"])
        .env_remove("NETASSURE_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(
        !output.status.success()
            && String::from_utf8_lossy(&output.stderr).contains("needs the admin token")
    );
}

#[test]
fn every_endpoint_in_the_openapi_document_exists() {
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, Options::default());
    let (status, document) = host.get("/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for required in [
        "/alerts",
        "/alerts/{id}/feedback",
        "/anomalies",
        "/plugins/{name}",
        "/topology/diff",
        "/ws/events",
    ] {
        assert!(paths.contains_key(required), "{required} is documented");
    }
    for (path, operations) in paths {
        let concrete = path
            .replace("{name}", "x")
            .replace("{id}", "x")
            .replace("{plugin}", "x");
        for method in operations.as_object().unwrap().keys() {
            let (status, body) = match method.as_str() {
                "get" => host.get(&concrete),
                "post" => host.post(&concrete, b"{}", Some(TOKEN)),
                "put" => host.put(&concrete, b"{}", Some(TOKEN)),
                "delete" => host.delete(&concrete, Some(TOKEN)),
                other => panic!("unexpected method {other}"),
            };
            assert_ne!(status, 405, "{method} {path} is routed");
            let fallback = body["detail"]
                .as_str()
                .is_some_and(|detail| detail.starts_with("no endpoint at"));
            assert!(!fallback, "{method} {path} is routed: {body}");
        }
    }
}

#[test]
fn generated_tokens_are_kept_in_the_data_directory_not_the_log() {
    use std::os::unix::fs::PermissionsExt;
    let dirs = HostDirs::new();
    let data = dirs.root.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(common::host_bin())
        .current_dir(dirs.root.path())
        .arg("--plugins")
        .arg(dirs.plugins())
        .arg("--data-dir")
        .arg(&data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("NETASSURE_ADMIN_TOKEN")
        .env_remove("NETASSURE_OPERATOR_TOKEN")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let agent = common::agent();
    common::wait_until(std::time::Duration::from_secs(120), "/status", || {
        agent
            .get(format!("http://127.0.0.1:{port}/status"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
    let tokens: Vec<String> = ["admin-token", "operator-token"]
        .iter()
        .map(|name| {
            let path = data.join(name);
            let token = std::fs::read_to_string(&path).unwrap().trim().to_owned();
            assert_eq!(token.len(), 32);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
            token
        })
        .collect();
    assert_ne!(tokens[0], tokens[1], "two roles, two tokens");
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    for (name, token) in ["admin-token", "operator-token"].iter().zip(&tokens) {
        assert!(log.contains(name), "{log}");
        assert!(
            !log.contains(token.as_str()),
            "the {name} is in the log: {log}"
        );
    }
}

#[test]
fn a_since_past_the_stores_range_is_refused_not_wrapped() {
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, Options::default());
    for path in ["/alerts", "/anomalies", "/incidents"] {
        let (status, body) = host.get(&format!("{path}?since=9223372036854775808"));
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("bad_request")),
            "{path}: {body}"
        );
        assert_eq!(
            host.get(&format!("{path}?since=9223372036854775807")).0,
            200,
            "{path}"
        );
    }
}

/// Analyses are bounded: at most 16 run or wait at once (one more is told `503 busy`), and a
/// run whose client left before it started is dropped, not computed.
#[test]
fn analysis_runs_are_bounded_and_abandoned_ones_are_dropped() {
    let dirs = HostDirs::new();
    dirs.add(&fixture("csr-copy"), "slow");
    dirs.manifest("slow", "[limits]\ndeadline_ms = 2000\n");
    let host = Host::start(&dirs, Options::default());
    let body = br#"{"params": {"spin_ms": 60}}"#;
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..40)
            .map(|_| scope.spawn(|| host.post("/analysis/run/slow", body, None)))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    let done = answers.iter().filter(|(status, _)| *status == 200).count();
    let busy: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 503)
        .collect();
    assert_eq!(done + busy.len(), 40, "{answers:?}");
    assert!(
        done >= 16 && !busy.is_empty(),
        "{done} done, {} busy",
        busy.len()
    );
    assert!(
        busy.iter().all(|(_, answer)| answer["error"] == "busy"),
        "{busy:?}"
    );

    // Twelve clients ask and hang up at once: the runs not yet started are dropped.
    let calls_before = host.plugin("slow")["calls"].as_u64().unwrap();
    let address = host.base.trim_start_matches("http://").to_owned();
    let request = format!(
        "POST /analysis/run/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        String::from_utf8_lossy(body)
    );
    let clients: Vec<std::net::TcpStream> = (0..12)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
            stream
        })
        .collect();
    // They hang up once the host has read their requests and every run is queued or started
    // (a request the host had not yet turned into a run when its client left would be
    // neither computed nor abandoned).
    let ports: Vec<u16> = clients
        .iter()
        .map(|client| client.local_addr().unwrap().port())
        .collect();
    common::wait_until(
        std::time::Duration::from_secs(30),
        "the host to read the twelve requests",
        || sockets::read_by_server(host.port(), &ports),
    );
    common::wait_until(
        std::time::Duration::from_secs(30),
        "the twelve runs queued or started",
        || {
            let plugin = host.plugin("slow");
            plugin["calls"].as_u64().unwrap() - calls_before
                + plugin["queued_jobs"].as_u64().unwrap()
                == 12
        },
    );
    drop(clients);
    common::wait_until(
        std::time::Duration::from_secs(30),
        "every run computed or dropped",
        || {
            let plugin = host.plugin("slow");
            let calls = plugin["calls"].as_u64().unwrap() - calls_before;
            calls + plugin["runs_abandoned"].as_u64().unwrap() == 12
        },
    );
    let abandoned = host.plugin("slow")["runs_abandoned"].as_u64().unwrap();
    assert!(
        abandoned >= 6,
        "only {abandoned} of 12 abandoned runs were dropped"
    );
    let (status, answer) = host.post("/analysis/run/slow", b"{}", None);
    assert_eq!(status, 200, "{answer}");
}

/// The API holds at most `max_connections` connections (more clients wait to be accepted),
/// drops clients that send no request or trickle its headers, and keeps a quiet WebSocket
/// feed open past the idle timeout (it pings).
#[test]
fn idle_and_slow_clients_are_dropped_and_connections_are_capped() {
    use std::io::{ErrorKind, Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let dirs = HostDirs::new();
    let extra =
        dirs.config("[server]\nmax_connections = 8\nheader_timeout_s = 2\nidle_timeout_s = 4\n");
    let host = Host::start(
        &dirs,
        Options {
            extra,
            ..Options::default()
        },
    );
    let address = host.base.trim_start_matches("http://").to_owned();
    let closed_by_host = |stream: &mut TcpStream, within: Duration| {
        stream.set_read_timeout(Some(within)).unwrap();
        let mut byte = [0u8; 512];
        match stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => !String::from_utf8_lossy(&byte).starts_with("HTTP/1.1 200"),
            Err(err) => !matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        }
    };

    // Eight silent clients take every slot: a ninth is not served while they hold them...
    let mut silent: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(&address).unwrap())
        .collect();
    // The eight are the host's (accepted, or ahead of the ninth in its accept queue).
    let ports: Vec<u16> = silent
        .iter()
        .map(|stream| stream.local_addr().unwrap().port())
        .collect();
    common::wait_until(Duration::from_secs(10), "the eight connections", || {
        sockets::connected_to_server(host.port(), &ports)
    });
    let mut ninth = TcpStream::connect(&address).unwrap();
    ninth
        .write_all(b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    ninth
        .set_read_timeout(Some(Duration::from_millis(600)))
        .unwrap();
    let mut answer = Vec::new();
    let early = ninth.read_to_end(&mut answer);
    assert!(
        early.is_err() && answer.is_empty(),
        "the ninth client was served while eight held every slot: {}",
        String::from_utf8_lossy(&answer)
    );
    // ... and is, once the host has dropped them for sending nothing.
    for stream in &mut silent {
        assert!(
            closed_by_host(stream, Duration::from_secs(15)),
            "a silent client kept its connection"
        );
    }
    ninth
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let _ = ninth.read_to_end(&mut answer);
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // A client trickling its headers (a byte every 300 ms keeps it from being idle) is dropped
    // by the header timeout.
    let mut trickle = TcpStream::connect(&address).unwrap();
    trickle
        .write_all(b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let writer = trickle.try_clone().unwrap();
    let trickling = std::thread::spawn(move || {
        let mut writer = writer;
        for _ in 0..50 {
            // Pacing: the trickle itself.
            std::thread::sleep(Duration::from_millis(300));
            if writer.write_all(b"a").is_err() {
                return true;
            }
        }
        false
    });
    assert!(
        closed_by_host(&mut trickle, Duration::from_secs(12)),
        "a trickling client was kept"
    );
    drop(trickle);
    let _ = trickling.join();

    // A quiet WebSocket feed outlives the idle timeout.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use futures_util::{SinkExt, StreamExt};
        let url = format!("ws://{address}/ws/events");
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let quiet = tokio::time::timeout(Duration::from_secs(7), async {
            while let Some(message) = socket.next().await {
                message.expect("the feed stays open");
            }
        })
        .await;
        assert!(quiet.is_err(), "the feed closed while quiet");
        socket
            .send(tokio_tungstenite::tungstenite::Message::Ping(
                Default::default(),
            ))
            .await
            .expect("still open after 7 s with a 4 s idle timeout");
    });
    assert_eq!(host.get("/status").0, 200, "the host still answers");
}

/// What the host's readers see: a plugin's configuration only with the admin token, and no
/// filesystem paths in `/status` or `/models`.
#[test]
fn plugin_configuration_and_host_paths_are_not_shown_without_the_admin_token() {
    let dirs = HostDirs::new();
    dirs.add(&plugin("link-utilisation"), "hot-links");
    dirs.manifest("hot-links", "[config]\nthreshold = 0.95\n");
    let host = Host::start(&dirs, Options::default());
    let (status, anonymous) = host.get("/plugins/hot-links");
    assert_eq!(status, 200);
    assert!(anonymous["config"].is_null(), "{anonymous}");
    assert_eq!(host.plugin("hot-links")["config"]["threshold"], 0.95);
    for path in ["/status", "/models", "/plugins", "/plugins/hot-links"] {
        let (_, body) = host.get(path);
        let text = body.to_string();
        let root = dirs.root.path().display().to_string();
        let workspace = env!("CARGO_MANIFEST_DIR").trim_end_matches("/tests");
        assert!(
            !text.contains(&root) && !text.contains(workspace),
            "{path} shows a path: {text}"
        );
    }
}
