//! The simulated enterprise: who exists and at which address.

use std::net::Ipv4Addr;

/// Hosts of the simulated network.
#[derive(Debug, Clone)]
pub struct Network {
    /// Client workstations (`10.10.1.0/22`).
    pub clients: Vec<Ipv4Addr>,
    /// Internal DNS resolver.
    pub dns: Ipv4Addr,
    /// The public web application (reachable from the internet).
    pub web: Ipv4Addr,
    /// Mail server.
    pub mail: Ipv4Addr,
    /// File server (SMB).
    pub file: Ipv4Addr,
    /// Database server.
    pub database: Ipv4Addr,
    /// Directory (Kerberos, LDAP).
    pub directory: Ipv4Addr,
    /// Backup server.
    pub backup: Ipv4Addr,
    /// SSH jump host.
    pub jump: Ipv4Addr,
    /// NTP server.
    pub ntp: Ipv4Addr,
    /// External web sites clients browse, most popular first.
    pub sites: Vec<Ipv4Addr>,
    /// Public resolvers the internal DNS forwards to.
    pub resolvers: Vec<Ipv4Addr>,
    /// Mail relays on the internet.
    pub relays: Vec<Ipv4Addr>,
}

impl Network {
    /// A network with `clients` clients; external addresses drawn from `rng`.
    pub fn new(rng: &mut fastrand::Rng, clients: u32) -> Network {
        let server = |last: u8| Ipv4Addr::new(10, 10, 0, last);
        let mut external =
            |first: u8| Ipv4Addr::new(first, rng.u8(1..255), rng.u8(0..255), rng.u8(1..255));
        let sites = (0..1_000)
            .map(|i| external([93, 151, 104, 172, 185][i % 5]))
            .collect();
        let relays = (0..8).map(|_| external(203)).collect();
        Network {
            clients: (0..clients)
                .map(|n| Ipv4Addr::new(10, 10, 1 + (n / 250) as u8, 1 + (n % 250) as u8))
                .collect(),
            dns: server(53),
            web: server(80),
            mail: server(25),
            file: server(45),
            database: server(33),
            directory: server(88),
            backup: server(99),
            jump: server(22),
            ntp: server(123),
            sites,
            resolvers: vec![Ipv4Addr::new(8, 8, 8, 8), Ipv4Addr::new(1, 1, 1, 1)],
            relays,
        }
    }

    /// The internal servers.
    pub fn servers(&self) -> [Ipv4Addr; 9] {
        [
            self.dns,
            self.web,
            self.mail,
            self.file,
            self.database,
            self.directory,
            self.backup,
            self.jump,
            self.ntp,
        ]
    }

    /// A random internet host outside every pool (a visitor, an attacker, a C2 server).
    pub fn stranger(rng: &mut fastrand::Rng) -> Ipv4Addr {
        Ipv4Addr::new(
            rng.u8(40..90),
            rng.u8(0..255),
            rng.u8(0..255),
            rng.u8(1..255),
        )
    }
}
