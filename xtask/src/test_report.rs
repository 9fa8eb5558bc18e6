//! Runs `cargo test` with its output passed through, and repeats every failure at the very
//! end: a CI log is often read (or kept) only from its tail, where a failure printed in the
//! middle of a long run would never be seen.
//!
//! Cargo names each test binary on standard error (`Running tests/main.rs (...)`) and the
//! binary reports on standard output, so both are read (each on its own thread) and echoed.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};

/// Lines of panic messages and backtraces repeated per failing binary (the list of the
/// failing tests' names, which ends each report, is always repeated whole).
const LINES_PER_FAILURE: usize = 80;

/// Run `command` (a `cargo test`), echoing its output as it comes; when it fails, print each
/// failing binary's `failures:` section again after everything else, and name the binaries
/// that ended without a result (a crash or an abort).
pub fn run_reporting_failures(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: running {command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let report = Arc::new(Mutex::new(Report::default()));
    let stderr = child.stderr.take().context("the test's standard error")?;
    let names = {
        let report = report.clone();
        std::thread::spawn(move || {
            for_each_line(stderr, |line| {
                eprintln!("{line}");
                lock(&report).binary_started(line);
            })
        })
    };
    let stdout = child.stdout.take().context("the test's standard output")?;
    let read = for_each_line(stdout, |line| {
        println!("{line}");
        lock(&report).read(line);
    });
    let _ = names.join();
    let status = child.wait().context("waiting for cargo test")?;
    read.context("reading the test output")?;
    if !status.success() {
        let _ = std::io::stdout().flush();
        lock(&report).print();
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn lock(report: &Mutex<Report>) -> std::sync::MutexGuard<'_, Report> {
    report
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Call `each` with every line of `input` (invalid UTF-8 replaced, never an error).
fn for_each_line(input: impl Read, mut each: impl FnMut(&str)) -> std::io::Result<()> {
    let mut input = BufReader::new(input);
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&bytes);
        each(line.trim_end_matches(['\n', '\r']));
    }
}

/// What the run showed: the binary running now, the failure sections, and the binaries that
/// gave no result.
#[derive(Default)]
struct Report {
    binary: String,
    /// The running binary printed its `test result:` line.
    finished: bool,
    unfinished: Vec<String>,
    current: Option<Section>,
    done: Vec<Section>,
}

/// One binary's `failures:` section: its panics, then the names of its failing tests.
#[derive(Default)]
struct Section {
    binary: String,
    lines: Vec<String>,
    /// Where the last `failures:` line (the list of names) starts.
    names_from: usize,
}

impl Report {
    /// A line of cargo's standard error: note each binary as it starts.
    fn binary_started(&mut self, line: &str) {
        let trimmed = line.trim();
        if trimmed.starts_with("Running ") || trimmed.starts_with("Doc-tests ") {
            self.close_binary();
            self.binary = trimmed.to_owned();
            self.finished = false;
        }
    }

    fn close_binary(&mut self) {
        if !self.binary.is_empty() && !self.finished {
            self.unfinished.push(self.binary.clone());
        }
    }

    /// A line of the tests' standard output.
    fn read(&mut self, line: &str) {
        let trimmed = line.trim();
        if trimmed.starts_with("test result:") {
            self.finished = true;
        }
        match &mut self.current {
            None if trimmed == "failures:" => {
                self.current = Some(Section {
                    binary: self.binary.clone(),
                    lines: vec![line.to_owned()],
                    names_from: 0,
                });
            }
            None => {}
            Some(section) => {
                if trimmed == "failures:" {
                    section.names_from = section.lines.len();
                }
                section.lines.push(line.to_owned());
                if trimmed.starts_with("test result:") {
                    self.done.extend(self.current.take());
                }
            }
        }
    }

    fn print(&mut self) {
        self.close_binary();
        self.binary.clear();
        println!("\nxtask: the failures again, from the reports above:");
        for section in &self.done {
            println!("== {}", section.binary);
            for line in section.shown() {
                println!("{line}");
            }
        }
        for binary in &self.unfinished {
            println!("== {binary}: ended without a result (crashed or aborted; see above)");
        }
    }
}

impl Section {
    /// The panics cut to [`LINES_PER_FAILURE`] lines, then the names whole.
    fn shown(&self) -> Vec<&str> {
        let (panics, names) = self.lines.split_at(self.names_from.max(1));
        let mut shown: Vec<&str> = panics
            .iter()
            .take(LINES_PER_FAILURE)
            .map(String::as_str)
            .collect();
        if panics.len() > LINES_PER_FAILURE {
            shown.push("(… cut; the whole report is above)");
        }
        shown.extend(names.iter().map(String::as_str));
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(report: &mut Report, stderr: &str, stdout: &str) {
        for line in stderr.lines() {
            report.binary_started(line);
        }
        for line in stdout.lines() {
            report.read(line);
        }
    }

    #[test]
    fn a_failing_binarys_section_is_kept_with_its_name_and_every_failing_test() {
        let mut report = Report::default();
        run(
            &mut report,
            "     Running tests/a.rs (a-1)",
            "test fine ... ok\n\ntest result: ok. 1 passed",
        );
        let mut panic = String::from("failures:\n\n---- broken stdout ----\n");
        for i in 0..200 {
            panic.push_str(&format!("backtrace line {i}\n"));
        }
        panic.push_str(
            "\nfailures:\n    broken\n    also_broken\n\ntest result: FAILED. 0 passed; 2 failed\n",
        );
        run(&mut report, "     Running tests/main.rs (e2e-2)", &panic);
        assert_eq!(report.done.len(), 1);
        let section = &report.done[0];
        assert_eq!(section.binary, "Running tests/main.rs (e2e-2)");
        let shown = section.shown();
        assert!(shown.len() < 100, "the backtrace is cut: {}", shown.len());
        assert!(shown.contains(&"    broken") && shown.contains(&"    also_broken"));
        assert!(shown.last().unwrap().starts_with("test result: FAILED"));
    }

    #[test]
    fn a_binary_without_a_result_is_named() {
        let mut report = Report::default();
        run(
            &mut report,
            "     Running tests/main.rs (e2e-2)",
            "running 3 tests\ntest a ... ok",
        );
        run(
            &mut report,
            "   Doc-tests netassure_host",
            "running 0 tests\n\ntest result: ok. 0 passed",
        );
        report.print();
        assert_eq!(report.unfinished, ["Running tests/main.rs (e2e-2)"]);
    }

    #[test]
    fn bytes_that_are_not_utf8_do_not_stop_the_reading() {
        let mut lines = Vec::new();
        for_each_line(&b"one\n\xff\xfe two\nthree"[..], |line| {
            lines.push(line.to_owned())
        })
        .unwrap();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].ends_with(" two") && lines[2] == "three");
    }
}
