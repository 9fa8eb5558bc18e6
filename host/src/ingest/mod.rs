//! Live ingest sources. Each runs on its own thread with its own single-threaded tokio
//! runtime, so publishing (which waits when plugins fall behind) never stalls the API.

pub mod dry_run;
pub mod flow_file;
pub mod netflow;
mod stream_config;
pub mod topology_stream;

pub use flow_file::{FlowFileStatus, FlowFilesConfig};
pub use netflow::{NetflowCollector, NetflowConfig, NetflowStatus};
pub use stream_config::TopologyStreamConfig;
pub use topology_stream::{StreamStats, TopologyStreamClient};
