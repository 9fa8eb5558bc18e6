//! The windows kept while learning, on disk under `data/learning/NAME/`: `windows.bin` (the
//! model inputs of each kept window, appended as they come) and `state.json` (when learning
//! started, what was kept). A record cut short by a crash is dropped when reading; the state
//! is rewritten atomically, so learning resumes after a restart.
//!
//! Record: `u32` flows `F`, `u32` hosts `N`, then `6F` `f32` flow values, `F` `u32` source and
//! `F` `u32` destination host indexes, `3N` `f32` host values, little-endian.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use netassure_flowgraph::gae::{FLOW_COLUMNS, GaeInputs, HOST_COLUMNS};
use serde::{Deserialize, Serialize};

/// What learning has done so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnState {
    /// Flow time of the first window, ms since the epoch.
    pub started_ms: u64,
    /// Flow time of the last window seen.
    pub last_ms: u64,
    /// Windows seen.
    pub windows_seen: u64,
    /// Windows kept.
    pub windows_kept: u64,
    /// Flows in the kept windows.
    pub flows_kept: u64,
}

/// The on-disk store of one model's learning.
pub struct WindowStore {
    dir: PathBuf,
    writer: Option<BufWriter<std::fs::File>>,
}

impl WindowStore {
    /// The store under `dir` (created when missing).
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(WindowStore {
            dir: dir.to_owned(),
            writer: None,
        })
    }

    fn windows_path(&self) -> PathBuf {
        self.dir.join("windows.bin")
    }

    /// The saved state, if any.
    pub fn state(&self) -> Option<LearnState> {
        let text = std::fs::read_to_string(self.dir.join("state.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Save `state` (write, then rename).
    pub(crate) fn save_state(&mut self, state: &LearnState) -> std::io::Result<()> {
        if let Some(writer) = &mut self.writer {
            writer.flush()?;
        }
        let partial = self.dir.join("state.json.partial");
        std::fs::write(&partial, serde_json::to_vec_pretty(state)?)?;
        std::fs::rename(partial, self.dir.join("state.json"))
    }

    /// Append one window.
    pub fn append(&mut self, window: &GaeInputs) -> std::io::Result<()> {
        if self.writer.is_none() {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.windows_path())?;
            self.writer = Some(BufWriter::new(file));
        }
        let writer = self.writer.as_mut().expect("opened above");
        writer.write_all(&(window.flow_count() as u32).to_le_bytes())?;
        writer.write_all(&(window.host_count() as u32).to_le_bytes())?;
        for value in &window.flows {
            writer.write_all(&value.to_le_bytes())?;
        }
        for index in window.src.iter().chain(&window.dst) {
            writer.write_all(&(*index as u32).to_le_bytes())?;
        }
        for value in &window.hosts {
            writer.write_all(&value.to_le_bytes())?;
        }
        Ok(())
    }

    /// Every whole window kept (a record cut short at the end is left out).
    pub(crate) fn read_all(&mut self) -> std::io::Result<Vec<GaeInputs>> {
        if let Some(writer) = &mut self.writer {
            writer.flush()?;
        }
        let file = match std::fs::File::open(self.windows_path()) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let mut reader = BufReader::new(file);
        let mut windows = Vec::new();
        while let Some(window) = read_window(&mut reader)? {
            windows.push(window);
        }
        Ok(windows)
    }

    /// Remove what learning kept (after the model is installed).
    pub fn clear(&mut self) -> std::io::Result<()> {
        self.writer = None;
        std::fs::remove_dir_all(&self.dir)
    }
}

/// The next window, `None` at the end or at a record cut short.
fn read_window(reader: &mut impl Read) -> std::io::Result<Option<GaeInputs>> {
    let mut header = [0u8; 8];
    if !read_full(reader, &mut header)? {
        return Ok(None);
    }
    let flows = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let hosts = u32::from_le_bytes(header[4..].try_into().expect("4 bytes")) as usize;
    let size = 4 * (flows * FLOW_COLUMNS + 2 * flows + hosts * HOST_COLUMNS);
    if size > 1 << 30 {
        return Ok(None);
    }
    let mut body = vec![0u8; size];
    if !read_full(reader, &mut body)? {
        return Ok(None);
    }
    let mut words = body
        .chunks_exact(4)
        .map(|chunk| <[u8; 4]>::try_from(chunk).expect("4 bytes"));
    let mut take_f32 =
        |n: usize| -> Vec<f32> { (&mut words).take(n).map(f32::from_le_bytes).collect() };
    let flow_values = take_f32(flows * FLOW_COLUMNS);
    let mut words = body[4 * flows * FLOW_COLUMNS..]
        .chunks_exact(4)
        .map(|chunk| i64::from(u32::from_le_bytes(chunk.try_into().expect("4 bytes"))));
    let src: Vec<i64> = (&mut words).take(flows).collect();
    let dst: Vec<i64> = (&mut words).take(flows).collect();
    let host_values = body[4 * (flows * FLOW_COLUMNS + 2 * flows)..]
        .chunks_exact(4)
        .map(|chunk| f32::from_le_bytes(chunk.try_into().expect("4 bytes")))
        .collect();
    Ok(Some(GaeInputs {
        flows: flow_values,
        src,
        dst,
        hosts: host_values,
    }))
}

/// Fill `buffer`; false when the input ends first (also part-way: a torn record).
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..])? {
            0 => return Ok(false),
            n => filled += n,
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(flows: usize) -> GaeInputs {
        GaeInputs {
            flows: (0..flows * FLOW_COLUMNS).map(|i| i as f32 * 0.5).collect(),
            src: (0..flows as i64).map(|i| i % 3).collect(),
            dst: (0..flows as i64).map(|i| (i + 1) % 3).collect(),
            hosts: (0..3 * HOST_COLUMNS).map(|i| i as f32).collect(),
        }
    }

    #[test]
    fn windows_come_back_and_a_torn_last_record_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = WindowStore::open(dir.path()).unwrap();
        store.append(&window(4)).unwrap();
        store.append(&window(7)).unwrap();
        let state = LearnState {
            started_ms: 5,
            windows_kept: 2,
            ..LearnState::default()
        };
        store.save_state(&state).unwrap();
        assert_eq!(store.read_all().unwrap(), vec![window(4), window(7)]);
        drop(store);
        let path = dir.path().join("windows.bin");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let mut reopened = WindowStore::open(dir.path()).unwrap();
        assert_eq!(reopened.state(), Some(state));
        assert_eq!(reopened.read_all().unwrap(), vec![window(4)]);
    }
}
