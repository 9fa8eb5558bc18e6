//! Compiled components cached on disk as precompiled artifacts keyed by content hash.
//!
//! The key is the SHA-256 of the component bytes plus the engine's compatibility hash, so an
//! artifact made by another wasmtime version or configuration is never loaded.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The artifact cache.
#[derive(Debug, Clone)]
pub struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
}

/// Whether a component came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded a precompiled artifact.
    Hit,
    /// Compiled and stored a new artifact.
    Miss,
}

/// Hex SHA-256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl ArtifactCache {
    /// A cache in `dir` (created if missing) for artifacts of `engine`.
    pub fn new(dir: &Path, engine: &Engine) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating cache dir {}", dir.display()))?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(ArtifactCache {
            dir: dir.to_owned(),
            engine_key: format!("{:016x}", hasher.finish()),
        })
    }

    fn path_for(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}-{}.cwasm", self.engine_key))
    }

    /// The component for `bytes` (whose hash is `hash`): from the cache, or compiled and cached.
    pub fn load(
        &self,
        engine: &Engine,
        hash: &str,
        bytes: &[u8],
    ) -> anyhow::Result<(Component, CacheOutcome)> {
        let path = self.path_for(hash);
        if path.exists() {
            // SAFETY: the artifact was written by `precompile_component` of an engine with the
            // same compatibility hash (it is in the file name) into our own cache directory.
            #[allow(unsafe_code)]
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(err) => {
                    tracing::warn!("discarding unreadable artifact {}: {err:#}", path.display())
                }
            }
        }
        let artifact = engine.precompile_component(bytes)?;
        // Processes may share a cache directory (`netassure eval` runs side by side).
        netassure_fsutil::write_atomic(&path, &artifact)?;
        // SAFETY: as above; we just wrote these bytes from `precompile_component`.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, &artifact)? };
        Ok((component, CacheOutcome::Miss))
    }

    /// Delete the artifact of `hash` (a component that was compiled but then refused), so
    /// refused uploads leave nothing behind.
    pub fn forget(&self, hash: &str) {
        let path = self.path_for(hash);
        if let Err(err) = std::fs::remove_file(&path)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove the artifact {}: {err}", path.display());
        }
    }
}
