//! `netassure setup`: install what the host needs at run time beside it (the ONNX Runtime
//! library), so `netassure-host` runs from any directory.

use std::path::PathBuf;

use clap::Args;
use netassure_host::inference::setup;

/// `netassure setup [--lib-dir DIR] [--data-dir DIR]`
#[derive(Debug, Args)]
pub(crate) struct SetupArgs {
    /// Install the library here (default: beside this executable when writable, else `lib/`
    /// of the data directory).
    #[arg(long)]
    lib_dir: Option<PathBuf>,
    /// The host's data directory (for the default above).
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
}

/// Install the ONNX Runtime library; prints where it is.
pub fn setup(args: SetupArgs) -> anyhow::Result<()> {
    let dir = args
        .lib_dir
        .unwrap_or_else(|| setup::default_dir(&args.data_dir));
    let library = setup::install_library(&dir)?;
    println!("ONNX Runtime {}: {}", setup::ONNXRUNTIME, library.display());
    Ok(())
}
