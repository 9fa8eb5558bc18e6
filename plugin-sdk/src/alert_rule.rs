//! The `alert-rule` world as a Rust trait.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::bindings::alert_rule::Guest;
use crate::instance::with_instance;
use crate::{Alert, AlertContext, Anomaly, PluginError, PluginInfo, parse_config};

/// An alert rule: decides whether an anomaly becomes an alert, and how severe it is.
///
/// Export an implementation with [`export_alert_rule!`](crate::export_alert_rule).
pub trait AlertRule: Default + 'static {
    /// The plugin's configuration, parsed from the JSON object the host passes.
    type Config: DeserializeOwned;

    /// Identity and configuration shape; see [`Describe`](crate::Describe).
    fn describe() -> PluginInfo;

    /// Apply a configuration. Called before the first anomaly and whenever it changes.
    fn configure(&mut self, config: Self::Config) -> Result<(), PluginError>;

    /// Decide about one anomaly: an alert, or `None` to stay quiet.
    fn evaluate(
        &mut self,
        anomaly: Anomaly,
        context: AlertContext,
    ) -> Result<Option<Alert>, PluginError>;
}

#[doc(hidden)]
pub struct AlertRuleAdapter<T>(PhantomData<T>);

impl<T: AlertRule> Guest for AlertRuleAdapter<T> {
    fn describe() -> PluginInfo {
        T::describe()
    }

    fn configure(config: String) -> Result<(), PluginError> {
        let config = parse_config::<T::Config>(&config)?;
        with_instance(|rule: &mut T| rule.configure(config))
    }

    fn evaluate(anomaly: Anomaly, context: AlertContext) -> Result<Option<Alert>, PluginError> {
        with_instance(|rule: &mut T| rule.evaluate(anomaly, context))
    }
}

/// Export an [`AlertRule`] as the component's `alert-rule` world. Use once per plugin crate.
#[macro_export]
macro_rules! export_alert_rule {
    ($ty:ty) => {
        #[doc(hidden)]
        type __NetassureAlertRule = $crate::__private::AlertRuleAdapter<$ty>;
        $crate::bindings::alert_rule::__export_alert_rule_world!(__NetassureAlertRule with_types_in $crate::bindings::alert_rule);
    };
}
