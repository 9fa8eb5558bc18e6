//! The `graph-algorithm` world as a Rust trait, and typed access to its parameters.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::bindings::detector::netassure::plugin::graph::Snapshot;
use crate::bindings::graph_algorithm::Guest;
use crate::instance::with_instance;
use crate::{AlgorithmResult, GraphSnapshot, Param, PluginError, PluginInfo, parse_config};

/// A graph algorithm: computes something over a topology snapshot on request.
///
/// Export an implementation with [`export_graph_algorithm!`](crate::export_graph_algorithm).
pub trait GraphAlgorithm: Default + 'static {
    /// The plugin's configuration, parsed from the JSON object the host passes.
    type Config: DeserializeOwned;

    /// Identity and configuration shape; see [`Describe`](crate::Describe).
    fn describe() -> PluginInfo;

    /// Apply a configuration.
    fn configure(&mut self, config: Self::Config) -> Result<(), PluginError>;

    /// Run over `graph` with `params`.
    fn run(
        &mut self,
        graph: &GraphSnapshot<'_>,
        params: Params,
    ) -> Result<AlgorithmResult, PluginError>;
}

/// The parameters of one run, with typed lookups.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<Param>);

impl Params {
    /// Wrap raw parameters.
    pub fn new(params: Vec<Param>) -> Self {
        Params(params)
    }

    /// Parameters from `(name, JSON value)` pairs: `Params::of(&[("top", "5")])`.
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        Params(
            pairs
                .iter()
                .map(|(name, value)| Param {
                    name: (*name).to_owned(),
                    value: (*value).to_owned(),
                })
                .collect(),
        )
    }

    /// Parameter `name` parsed as `T`, or `None` when absent.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, PluginError> {
        let Some(param) = self.0.iter().find(|param| param.name == name) else {
            return Ok(None);
        };
        serde_json::from_str(&param.value)
            .map(Some)
            .map_err(|err| PluginError::InvalidInput(format!("parameter `{name}`: {err}")))
    }

    /// Reject parameters other than `known`, naming the first stranger and the known ones, so
    /// a misspelt parameter is an error instead of silently ignored.
    pub fn expect_only(&self, known: &[&str]) -> Result<(), PluginError> {
        match self
            .0
            .iter()
            .find(|param| !known.contains(&param.name.as_str()))
        {
            Some(param) => Err(PluginError::InvalidInput(format!(
                "unknown parameter `{}`; known: {}",
                param.name,
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// Parameter `name` parsed as `T`, or `default` when absent.
    pub fn get_or<T: DeserializeOwned>(&self, name: &str, default: T) -> Result<T, PluginError> {
        Ok(self.get(name)?.unwrap_or(default))
    }
}

#[doc(hidden)]
pub struct GraphAlgorithmAdapter<T>(PhantomData<T>);

impl<T: GraphAlgorithm> Guest for GraphAlgorithmAdapter<T> {
    fn describe() -> PluginInfo {
        T::describe()
    }

    fn configure(config: String) -> Result<(), PluginError> {
        let config = parse_config::<T::Config>(&config)?;
        with_instance(|algorithm: &mut T| algorithm.configure(config))
    }

    fn run(graph: &Snapshot, params: Vec<Param>) -> Result<AlgorithmResult, PluginError> {
        let graph = GraphSnapshot::from_host(graph);
        with_instance(|algorithm: &mut T| algorithm.run(&graph, Params::new(params)))
    }
}

/// Export a [`GraphAlgorithm`] as the component's `graph-algorithm` world. Use once per crate.
#[macro_export]
macro_rules! export_graph_algorithm {
    ($ty:ty) => {
        #[doc(hidden)]
        type __NetassureGraphAlgorithm = $crate::__private::GraphAlgorithmAdapter<$ty>;
        $crate::bindings::graph_algorithm::__export_graph_algorithm_world!(
            __NetassureGraphAlgorithm with_types_in $crate::bindings::graph_algorithm
        );
    };
}
