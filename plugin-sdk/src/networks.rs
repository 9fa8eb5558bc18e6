//! Which addresses are internal: the configured networks (private, carrier-grade NAT,
//! link-local and unique-local ranges by default), checked on the 16-byte column form of an
//! address (IPv4 mapped into IPv6) without building an `IpAddr`.

use ipnet::IpNet;
use netassure_plugin_sdk::PluginError;

/// The networks counted as internal unless `internal` says otherwise.
pub const DEFAULT_INTERNAL: [&str; 7] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

/// The IPv4-mapped prefix `::ffff:0:0/96` of an address as a `u128`.
const MAPPED: u128 = 0xffff << 32;

/// A set of networks, as (base, mask) on 128-bit addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(Vec<(u128, u128)>);

impl Networks {
    /// Parse `cidrs` (`10.0.0.0/8`, `2001:db8::/32`); the reason when one is not a network.
    pub fn parse(cidrs: &[String]) -> Result<Networks, PluginError> {
        cidrs
            .iter()
            .map(|cidr| {
                let net = cidr.parse::<IpNet>().map_err(|err| {
                    PluginError::InvalidConfig(format!(
                        "`{cidr}` in internal is not a network (CIDR): {err}"
                    ))
                })?;
                Ok(match net {
                    IpNet::V4(v4) => {
                        let mask = u128::from(u32::from(v4.netmask())) | !0u128 << 32;
                        (MAPPED | u128::from(u32::from(v4.network())), mask)
                    }
                    IpNet::V6(v6) => (u128::from(v6.network()), u128::from(v6.netmask())),
                })
            })
            .collect::<Result<_, _>>()
            .map(Networks)
    }

    /// True when `addr` (an address column entry as an integer) is in one of the networks.
    pub fn contains(&self, addr: u128) -> bool {
        self.0.iter().any(|&(base, mask)| addr & mask == base)
    }
}

/// True when `addr` can be a host on the internet: not internal, not multicast, broadcast,
/// loopback or unspecified.
pub fn is_external(internal: &Networks, addr: u128) -> bool {
    let special = if addr >> 32 == 0xffff {
        let v4 = addr as u32;
        v4 >> 28 == 0xe || v4 == u32::MAX || v4 >> 24 == 127 || v4 == 0
    } else {
        addr >> 120 == 0xff || addr <= 1
    };
    !special && !internal.contains(addr)
}
