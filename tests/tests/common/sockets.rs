//! The kernel's view of this machine's IPv4 sockets on 127.0.0.1 (`/proc/net/tcp`,
//! `/proc/net/udp`; Linux): what a test waits on when the other side says nothing itself —
//! whether a peer has read the bytes sent to it, whether a server has taken a connection.

/// `st` of an established TCP connection.
pub const ESTABLISHED: u8 = 0x01;

/// One line of `/proc/net/tcp` or `/proc/net/udp`.
#[derive(Debug, Clone, Copy)]
pub struct Socket {
    pub local_port: u16,
    pub remote_port: u16,
    pub state: u8,
    /// Bytes sent and not yet acknowledged by the peer (TCP), or waiting to be sent (UDP).
    pub tx_queue: u64,
    /// Bytes received and not yet read by the socket's owner.
    pub rx_queue: u64,
    /// The socket's inode: what `/proc/PID/fd/N` links to (`socket:[INODE]`).
    pub inode: u64,
}

/// TCP sockets bound to 127.0.0.1.
pub fn tcp() -> Vec<Socket> {
    read("/proc/net/tcp")
}

/// UDP sockets bound to 127.0.0.1.
pub fn udp() -> Vec<Socket> {
    read("/proc/net/udp")
}

fn read(path: &str) -> Vec<Socket> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    text.lines().skip(1).filter_map(parse).collect()
}

/// `sl local_address rem_address st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ...`,
/// addresses as `HEX_IP:HEX_PORT` (the IP in the kernel's byte order, read as a native
/// integer).
fn parse(line: &str) -> Option<Socket> {
    let mut fields = line.split_whitespace().skip(1);
    let address = |field: &str| -> Option<(std::net::Ipv4Addr, u16)> {
        let (ip, port) = field.split_once(':')?;
        let ip = u32::from_str_radix(ip, 16).ok()?;
        Some((
            std::net::Ipv4Addr::from(ip.to_ne_bytes()),
            u16::from_str_radix(port, 16).ok()?,
        ))
    };
    let (local_ip, local_port) = address(fields.next()?)?;
    let (_, remote_port) = address(fields.next()?)?;
    let state = u8::from_str_radix(fields.next()?, 16).ok()?;
    let (tx, rx) = fields.next()?.split_once(':')?;
    let inode = fields.nth(4)?.parse().ok()?;
    (local_ip == std::net::Ipv4Addr::LOCALHOST).then_some(Socket {
        local_port,
        remote_port,
        state,
        tx_queue: u64::from_str_radix(tx, 16).ok()?,
        rx_queue: u64::from_str_radix(rx, 16).ok()?,
        inode,
    })
}

/// Whether a server on `server_port` has read everything each client (by its local port)
/// sent: the server's kernel acknowledged every byte (the client's send queue is empty) and
/// the server took them from its receive queue. A connection the server has not accepted yet
/// still holds the bytes in its receive queue.
pub fn read_by_server(server_port: u16, client_ports: &[u16]) -> bool {
    let sockets = tcp();
    client_ports.iter().all(|&client| {
        let sent = sockets.iter().any(|socket| {
            socket.local_port == client && socket.remote_port == server_port && socket.tx_queue == 0
        });
        let read = sockets.iter().any(|socket| {
            socket.local_port == server_port
                && socket.remote_port == client
                && socket.state == ESTABLISHED
                && socket.rx_queue == 0
        });
        sent && read
    })
}

/// Whether the server on `server_port` has each client's connection (accepted or in its
/// accept queue): the connection exists on the server's side.
pub fn connected_to_server(server_port: u16, client_ports: &[u16]) -> bool {
    let sockets = tcp();
    client_ports.iter().all(|&client| {
        sockets.iter().any(|socket| {
            socket.local_port == server_port
                && socket.remote_port == client
                && socket.state == ESTABLISHED
        })
    })
}

/// Whether process `pid` holds the socket with `inode` (one of its file descriptors links to
/// it): tells a peer's own socket from another test's that happens to use the same port.
pub fn held_by(pid: u32, inode: u64) -> bool {
    let wanted = format!("socket:[{inode}]");
    std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
        fds.flatten().any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == wanted.as_str())
        })
    })
}
