//! Runs `cargo test` with its output passed through, and repeats every failure at the very
//! end: a CI log is often read (or kept) only from its tail, where a failure printed in the
//! middle of a long run would never be seen.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// Lines kept of one failing test binary's report (its panics and backtraces).
const LINES_PER_FAILURE: usize = 80;

/// Run `command` (a `cargo test`), echoing its standard output as it comes; when it fails,
/// print each failing binary's `failures:` section again after everything else.
pub fn run_reporting_failures(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: running {command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let stdout = child.stdout.take().context("the test output")?;
    let mut failures = FailureSections::default();
    let mut echo = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the test output")?;
        writeln!(echo, "{line}")?;
        failures.read(&line);
    }
    drop(echo);
    let status = child.wait().context("waiting for cargo test")?;
    if !status.success() {
        failures.print();
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// The `failures:` sections seen so far, each under the binary it came from.
#[derive(Default)]
struct FailureSections {
    binary: String,
    current: Option<Vec<String>>,
    done: Vec<Vec<String>>,
}

impl FailureSections {
    fn read(&mut self, line: &str) {
        let trimmed = line.trim();
        if trimmed.starts_with("Running ") || trimmed.starts_with("Doc-tests ") {
            self.binary = trimmed.to_owned();
        }
        match &mut self.current {
            None if trimmed == "failures:" => {
                self.current = Some(vec![format!("== {}", self.binary), line.to_owned()]);
            }
            None => {}
            Some(section) => {
                if section.len() < LINES_PER_FAILURE {
                    section.push(line.to_owned());
                }
                if trimmed.starts_with("test result:") {
                    if section.len() == LINES_PER_FAILURE {
                        section.push(format!("(cut; the whole report is above) {line}"));
                    }
                    self.done.extend(self.current.take());
                }
            }
        }
    }

    fn print(&self) {
        if self.done.is_empty() {
            return;
        }
        println!("\nxtask: the failures again, from the reports above:");
        for section in &self.done {
            for line in section {
                println!("{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_binarys_section_is_kept_with_its_name() {
        let mut failures = FailureSections::default();
        let report = "     Running tests/a.rs (target/debug/deps/a-1)\n\nrunning 1 test\n\
                      test fine ... ok\n\ntest result: ok. 1 passed\n\
                      \x20    Running tests/b.rs (target/debug/deps/b-2)\n\nfailures:\n\n\
                      ---- broken stdout ----\nassertion failed\n\nfailures:\n    broken\n\n\
                      test result: FAILED. 0 passed; 1 failed\n";
        for line in report.lines() {
            failures.read(line);
        }
        assert_eq!(failures.done.len(), 1);
        let section = &failures.done[0];
        assert_eq!(section[0], "== Running tests/b.rs (target/debug/deps/b-2)");
        assert!(section.iter().any(|line| line == "assertion failed"));
        assert!(section.last().unwrap().starts_with("test result: FAILED"));
    }
}
