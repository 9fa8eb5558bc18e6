//! Watching the plugin directory: any change (debounced) triggers a rescan.

use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use super::Registry;

/// How long the directory must be quiet before a rescan.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(150);

/// Keeps the watch alive; dropping it stops watching.
pub struct DirectoryWatcher {
    _debouncer: Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>,
}

impl DirectoryWatcher {
    /// Watch `registry`'s directory and rescan it on every change.
    pub fn start(registry: Arc<Registry>) -> anyhow::Result<Self> {
        let dir = registry.dir().to_owned();
        let (tx, rx) = std::sync::mpsc::channel::<DebounceEventResult>();
        let mut debouncer = new_debouncer(DEBOUNCE, tx)?;
        debouncer
            .watcher()
            .watch(&dir, RecursiveMode::NonRecursive)?;
        std::thread::Builder::new()
            .name("plugin-dir-watch".into())
            .spawn(move || {
                for result in rx {
                    match result {
                        Ok(events) if events.iter().any(|event| is_plugin_file(&event.path)) => {
                            let report = registry.scan_directory();
                            tracing::debug!(?report, "plugin directory rescanned");
                        }
                        Ok(_) => {}
                        Err(err) => tracing::warn!("plugin directory watch error: {err}"),
                    }
                }
            })?;
        Ok(DirectoryWatcher {
            _debouncer: debouncer,
        })
    }
}

fn is_plugin_file(path: &std::path::Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with('.'));
    !hidden
        && matches!(
            path.extension().and_then(|ext| ext.to_str()),
            Some("wasm" | "toml")
        )
}
