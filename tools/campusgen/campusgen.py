#!/usr/bin/env python3
"""campusgen: synthetic, labelled, bidirectional NetFlow for a university campus.

The campus ("Kestrel Bay University", see README.md) has a data centre, a DMZ with a
public portal, mail, FTP, an SSH bastion, an RDP jump host and a VPN, wired staff
buildings, eduroam and guest wifi, teaching labs, a research cluster, residence halls,
and an IoT estate (cameras, printers, building sensors, VoIP phones).

Output is CSV in the column layout of the UQ NIDS "v2" NetFlow datasets (NF-*-v2), one
row per bidirectional flow as an exporter with an active and an idle timeout emits it
(IN_* = initiator -> responder, OUT_* = reply direction), sorted by
FLOW_END_MILLISECONDS.  Attack episodes are labelled in the rows (Label, Attack) and,
with --labels, in a TOML file with one [[attack]] per episode.

Standard library only.  Deterministic for (--seed, --site-seed, --scale, --start,
--hours, --attacks, --episodes, timeouts); benign rows do not depend on --attacks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import shlex
import sys
import time
from bisect import bisect_right
from itertools import accumulate

COLUMNS = (
    "FLOW_START_MILLISECONDS", "FLOW_END_MILLISECONDS", "IPV4_SRC_ADDR", "L4_SRC_PORT",
    "IPV4_DST_ADDR", "L4_DST_PORT", "PROTOCOL", "L7_PROTO", "IN_BYTES", "IN_PKTS",
    "OUT_BYTES", "OUT_PKTS", "TCP_FLAGS", "CLIENT_TCP_FLAGS", "SERVER_TCP_FLAGS",
    "FLOW_DURATION_MILLISECONDS", "Label", "Attack",
)

FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16
TCP, UDP, ICMP = 6, 17, 1
SEC, MIN, HOUR, DAY = 1000, 60_000, 3_600_000, 86_400_000
MSS = 1448

# nDPI-style "master.app" protocol ids, as the NF-v2 datasets write L7_PROTO.
L7 = {
    "unknown": "0.0", "ftp": "1.0", "smtp": "3.0", "dns": "5.0", "ipp": "6.0", "http": "7.0",
    "ntp": "9.0", "nfs": "11.0", "snmp": "14.0", "syslog": "17.0", "dhcp": "18.0",
    "pgsql": "19.0", "smtps": "29.0", "smb": "41.0", "rtsp": "50.0", "imaps": "51.0", "stun": "78.0",
    "icmp": "81.0", "rtp": "87.0", "rdp": "88.0", "tls": "91.0", "ssh": "92.0", "sip": "100.0",
    "kerberos": "111.0", "ldap": "112.0", "mssql": "114.0", "rpc": "127.0", "netflow": "128.0",
    "radius": "146.0", "openvpn": "159.0", "rtcp": "165.0", "rsync": "166.0",
    "ftp_data": "175.0", "quic": "188.0", "doh": "196.0", "mqtt": "222.0",
    "apple_push": "238.0", "steam": "74.0", "xbox": "47.0", "flexlm": "0.0", "bacnet": "0.0",
    "prometheus": "7.0", "bacula": "0.0", "wsus": "7.0",
}

ATTACK_CLASSES = {
    "PortScan": "port-scan", "HostSweep": "host-sweep", "BruteForce": "brute-force",
    "DoS": "flood", "DDoS": "ddos", "Exfiltration": "exfiltration", "DNSTunnel": "tunnel",
    "C2Beacon": "beacon",
}

EPH = {  # ephemeral port ranges per client OS
    "win": (49152, 65535), "mac": (49152, 65535), "ios": (49152, 65535),
    "linux": (32768, 60999), "android": (32768, 60999), "iot": (1024, 65535),
    "console": (49152, 65535), "tv": (32768, 60999),
}
HDR = {"win": 40}  # IP+TCP header bytes per packet; 52 (timestamps) for everything else


# ----------------------------------------------------------------------------- helpers
def ip2int(s: str) -> int:
    a, b, c, d = (int(x) for x in s.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def int2ip(n: int) -> str:
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def cidr(c: str) -> tuple[int, int]:
    base, bits = c.split("/")
    size = 1 << (32 - int(bits))
    return ip2int(base) & ~(size - 1) & 0xFFFFFFFF, size


RESERVED = [cidr(c) for c in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
)]


def rand_in(r: random.Random, c: str) -> str:
    base, size = cidr(c)
    return int2ip(base + r.randrange(1, size - 1))


def rand_public(r: random.Random, avoid=None) -> str:
    while True:
        n = r.randrange(1 << 24, 224 << 24)
        if n & 255 in (0, 255) or any(b <= n < b + s for b, s in RESERVED):
            continue
        ip = int2ip(n)
        if avoid is None or ip not in avoid:
            return ip


def lognorm(r: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(sigma * r.gauss(0.0, 1.0))


def pareto(r: random.Random, xm: float, alpha: float, cap: float) -> float:
    return min(cap, xm / (1.0 - r.random()) ** (1.0 / alpha))


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def poisson(r: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(r.gauss(lam, math.sqrt(lam)))))
    k, p, limit = 0, r.random(), math.exp(-lam)
    while p > limit:
        k += 1
        p *= r.random()
    return k


def eph(r: random.Random, os_: str) -> int:
    lo, hi = EPH.get(os_, EPH["linux"])
    return r.randint(lo, hi)


def parse_start(s: str) -> int:
    s = s.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return int(round(d.timestamp() * 1000))


def rfc3339(ms: int) -> str:
    d = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def weekday(t: int) -> int:
    """0 = Monday (1970-01-01 was a Thursday)."""
    return (t // DAY + 3) % 7


# Hourly activity shapes (index = hour of day, 25 knots, linear in between).  Campus
# clock = UTC.
SHAPES = {
    "office": (.03, .02, .02, .02, .02, .03, .08, .30, .70, .95, 1.0, 1.0, .75, .85, 1.0, .95,
               .80, .50, .22, .12, .08, .06, .04, .03, .03),
    "campus": (.05, .03, .02, .02, .02, .03, .06, .20, .55, .85, 1.0, .95, .90, .95, 1.0, .90,
               .75, .55, .40, .35, .30, .22, .15, .08, .05),
    "home": (.65, .45, .25, .12, .06, .05, .08, .25, .40, .35, .30, .30, .38, .35, .32, .36,
             .45, .55, .70, .85, .95, 1.0, .95, .85, .65),
    "public": (.35, .30, .26, .25, .26, .30, .40, .58, .80, .95, 1.0, 1.0, .95, .95, 1.0, .96,
               .90, .82, .76, .72, .66, .60, .52, .42, .35),
}
WEEKEND = {"office": 0.10, "campus": 0.25, "home": 1.05, "public": 0.70}


def rhythm(kind: str, t: int) -> float:
    h = (t % DAY) / HOUR
    i = int(h)
    sh = SHAPES[kind]
    v = sh[i] + (sh[i + 1] - sh[i]) * (h - i)
    wd = weekday(t)
    if wd >= 5:
        v *= WEEKEND[kind]
    elif wd == 4 and kind in ("office", "campus") and h > 13:
        v *= 0.8
    return v


def poisson_times(r: random.Random, a: float, b: float, per_hour: float, shape=None):
    """Event times (ms, sorted) of a Poisson process on [a, b) with peak rate per_hour,
    thinned by shape(t) in [0, 1] when given."""
    out = []
    if per_hour <= 0 or b <= a:
        return out
    mean_gap = HOUR / per_hour
    t = a
    expo, rnd = r.expovariate, r.random
    lam = 1.0 / mean_gap
    while True:
        t += expo(lam)
        if t >= b:
            return out
        if shape is None or rnd() < shape(t):
            out.append(int(t))


class Picker:
    """Weighted choice over a fixed list (Zipf-like when built with zipf())."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    @classmethod
    def zipf(cls, items, s=1.0):
        return cls(items, [1.0 / (i + 1) ** s for i in range(len(items))])

    def pick(self, r: random.Random):
        return self.items[bisect_right(self.cum, r.random() * self.total)]


# ----------------------------------------------------------------------------- the site
class Host:
    __slots__ = ("ip", "os", "kind", "name", "tcp", "udp", "x")

    def __init__(self, ip, os_="linux", kind="server", name="", tcp=(), udp=(), **x):
        self.ip, self.os, self.kind, self.name = ip, os_, kind, name
        self.tcp, self.udp, self.x = tuple(tcp), tuple(udp), x


class Svc:
    """An external (or internal) destination for client sessions."""

    __slots__ = ("name", "ips", "port", "app", "quic", "rtt", "down", "internal")

    def __init__(self, name, ips, app, quic, rtt, down, port=443, internal=False, s=1.0):
        self.name, self.ips, self.app, self.quic = name, Picker.zipf(ips, s), app, quic
        self.rtt, self.down, self.port, self.internal = rtt, down, port, internal


# name, prefixes, number of addresses, nDPI app id, QUIC share, RTT ms, median download
EXTERNAL = (
    ("m365", ("52.96.0.0/14", "40.99.0.0/16", "13.107.6.0/24", "52.112.0.0/14"), 60, 219, 0.0, 18, 40e3),
    ("google", ("142.250.0.0/15", "172.217.0.0/16", "216.58.192.0/19"), 80, 126, 0.65, 12, 30e3),
    ("youtube", ("173.194.0.0/16", "74.125.0.0/16"), 50, 124, 0.80, 12, 400e3),
    ("meta", ("157.240.0.0/16", "31.13.64.0/18"), 30, 119, 0.50, 20, 80e3),
    ("apple", ("17.0.0.0/8",), 60, 140, 0.15, 25, 40e3),
    ("akamai", ("23.32.0.0/11", "104.64.0.0/10"), 120, 0, 0.0, 10, 60e3),
    ("cloudflare", ("104.16.0.0/13", "172.64.0.0/13"), 120, 220, 0.35, 9, 25e3),
    ("fastly", ("151.101.0.0/16",), 40, 0, 0.10, 10, 40e3),
    ("aws", ("52.0.0.0/11", "54.144.0.0/12", "3.208.0.0/12"), 150, 178, 0.0, 35, 20e3),
    ("azure", ("20.36.0.0/14", "40.64.0.0/13"), 60, 212, 0.0, 30, 15e3),
    ("zoom", ("170.114.0.0/16", "206.247.0.0/16"), 30, 189, 0.0, 30, 10e3),
    ("netflix", ("45.57.0.0/17", "198.38.96.0/19"), 30, 133, 0.0, 15, 2e6),
    ("github", ("140.82.112.0/20", "185.199.108.0/22"), 12, 203, 0.0, 30, 50e3),
    ("games", ("155.133.224.0/19", "162.254.192.0/21", "185.25.180.0/22"), 30, 74, 0.0, 30, 30e3),
    ("ubuntu", ("91.189.88.0/21", "185.125.188.0/22"), 8, 0, 0.0, 25, 1e6),
    ("winupdate", ("13.107.4.0/24", "8.238.0.0/16", "8.240.0.0/16"), 20, 212, 0.0, 12, 2e6),
)

MIXES = {
    "staff": {"m365": 26, "google": 10, "aws": 9, "azure": 7, "cloudflare": 9, "akamai": 8,
              "fastly": 4, "misc": 12, "meta": 2, "youtube": 2, "apple": 2, "github": 1,
              "lms": 3, "intranet": 6, "webmail": 3},
    "student": {"google": 14, "youtube": 8, "meta": 7, "m365": 9, "cloudflare": 10, "akamai": 8,
                "aws": 9, "misc": 14, "lms": 12, "netflix": 1, "fastly": 4, "apple": 3, "github": 1},
    "phone": {"apple": 10, "google": 14, "meta": 14, "youtube": 8, "akamai": 10, "cloudflare": 10,
              "aws": 12, "misc": 12, "m365": 4, "lms": 4, "fastly": 3},
    "home": {"netflix": 4, "youtube": 14, "google": 12, "meta": 12, "cloudflare": 10, "akamai": 10,
             "aws": 10, "misc": 16, "apple": 4, "lms": 3, "fastly": 4, "m365": 3, "games": 3},
    "lab": {"google": 14, "m365": 14, "lms": 22, "cloudflare": 8, "akamai": 6, "aws": 8,
            "misc": 14, "github": 4, "youtube": 4, "intranet": 4, "fastly": 2},
    "research": {"github": 10, "google": 12, "aws": 12, "fastly": 10, "cloudflare": 10, "misc": 18,
                 "m365": 8, "akamai": 5, "lms": 3, "intranet": 4},
    "guest": {"google": 16, "meta": 12, "apple": 8, "youtube": 8, "cloudflare": 10, "akamai": 10,
              "aws": 10, "misc": 20, "m365": 6},
}

ROOT_NS = ("198.41.0.4", "199.9.14.201", "192.33.4.12", "199.7.91.13", "192.203.230.10",
           "192.5.5.241", "192.112.36.4", "198.97.190.53", "192.36.148.17", "192.58.128.30",
           "193.0.14.129", "199.7.83.42", "202.12.27.33")


class Site:
    """The campus: addressing, hosts and the destinations its users talk to.

    Built from (site_seed, scale) only, so the same campus is used for every traffic seed."""

    def __init__(self, scale: int, site_seed: int = 0):
        r = random.Random(f"campusgen-site/{site_seed}/{scale}")
        self.scale = scale
        self.srv: dict[str, Host] = {}
        L, W = "linux", "win"

        def add(name, ip, os_, tcp=(), udp=()):
            tcp = list(tcp)
            if os_ == L and 9100 not in tcp:
                tcp.append(9100)  # node_exporter
            h = Host(ip, os_, "server", name, sorted(tcp), udp)
            self.srv[name] = h
            return h

        ad_tcp = (53, 88, 135, 139, 389, 445, 464, 636, 3268, 3269, 3389, 5985, 9389)
        add("dns1", "10.10.1.10", L, (22, 53), (53,))
        add("dns2", "10.10.1.11", L, (22, 53), (53,))
        add("dhcp", "10.10.1.20", L, (22, 647), (67,))
        add("ntp", "10.10.1.30", L, (22,), (123,))
        add("dc1", "10.10.1.40", W, ad_tcp, (53, 88, 123, 389, 464))
        add("dc2", "10.10.1.41", W, ad_tcp, (53, 88, 123, 389, 464))
        add("radius", "10.10.1.50", L, (22,), (1812, 1813))
        add("filer", "10.10.2.10", W, (135, 139, 445, 3389, 5985), ())
        add("nfs", "10.10.2.20", L, (22, 111, 2049), (111, 2049))
        add("pg", "10.10.2.30", L, (22, 5432), ())
        add("mssql", "10.10.2.31", W, (135, 445, 1433, 3389), (1434,))
        add("license", "10.10.2.40", L, (22, 27000, 27001), ())
        add("mail", "10.10.3.10", L, (22, 25, 443, 587, 993), ())
        add("lms", "10.10.3.20", L, (22, 80, 443), ())
        add("intranet", "10.10.3.21", W, (80, 443, 3389), ())
        add("print", "10.10.3.30", W, (135, 139, 445, 631, 3389), ())
        add("pbx", "10.10.3.40", L, (22, 443, 5060, 5061), (5060,))
        add("wsus", "10.10.3.50", W, (3389, 8530, 8531), ())
        add("prom", "10.10.4.10", L, (22, 3000, 9090), ())
        add("nms", "10.10.4.11", L, (22, 443), (162,))
        add("backup", "10.10.4.20", L, (22, 9101, 9103), ())
        add("syslog", "10.10.4.30", L, (22, 514, 6514), (514,))
        add("nvr", "10.10.4.40", L, (22, 443), ())
        add("mqtt", "10.10.4.50", L, (22, 8883), ())
        add("bms", "10.10.4.51", W, (443, 3389), (47808,))
        add("collector", "10.10.4.60", L, (22, 443), (2055,))
        add("hpc1", "10.31.1.10", L, (22,), ())
        add("hpc2", "10.31.1.11", L, (22,), ())
        add("hpcfs", "10.31.1.20", L, (22, 111, 2049), ())
        # DMZ (reachable from the internet)
        add("portal", "172.20.0.10", L, (80, 443), ())
        add("ftp", "172.20.0.21", L, (21,), ())
        add("bastion", "172.20.0.22", L, (22,), ())
        add("mx", "172.20.0.25", L, (25,), ())
        add("rdpjump", "172.20.0.33", W, (3389,), ())
        add("vpn", "172.20.0.40", L, (443,), (1194,))
        for n in ("portal", "ftp", "bastion", "mx", "rdpjump", "vpn"):
            self.srv[n].tcp = tuple(p for p in self.srv[n].tcp if p != 9100)  # firewalled
        self.dmz = [self.srv[n] for n in ("portal", "ftp", "bastion", "mx", "rdpjump", "vpn")]

        # network gear
        self.routers = [Host("10.0.0.1", "iot", "router", "core1", (22, 443), (161,)),
                        Host("10.0.0.2", "iot", "router", "core2", (22, 443), (161,))]
        self.wlc = Host("10.0.0.10", "iot", "wlc", "wlc", (22, 443), (161, 1812))
        self.switches = [Host(f"10.0.1.{i + 1}", "iot", "switch", f"sw{i + 1}", (22, 443), (161,))
                         for i in range(4 + scale // 40)]
        self.aps = [Host(f"10.0.2.{i + 1}", "iot", "ap", f"ap{i + 1}", (22,), (161,))
                    for i in range(6 + scale // 15)]
        self.ups = [Host(f"10.0.3.{i + 1}", "iot", "ups", f"ups{i + 1}", (80,), (161,))
                    for i in range(2 + scale // 150)]

        # people
        n_staff = max(4, round(scale * 0.25))
        n_stud = max(4, round(scale * 0.60))
        n_res = max(2, scale - n_staff - n_stud)
        self.staff, self.students, self.residents = [], [], []
        for i in range(n_staff):
            os_ = "win" if r.random() < 0.80 else ("mac" if r.random() < 0.75 else "linux")
            it = r.random() < 0.06
            tcp = (135, 139, 445) if os_ == "win" else ((22,) if os_ == "linux" else ())
            if it and os_ == "win":
                tcp = tcp + (3389,)
            desk = Host(f"10.20.{1 + i // 40}.{20 + i % 40}", os_, "desktop", f"staff{i}", tcp,
                        resolver="dns1" if r.random() < 0.7 else "dns2", doh=r.random() < 0.05,
                        always_on=r.random() < 0.7, it=it, stale=r.random() < 0.2,
                        oldport=r.random() < 0.05)
            phone = Host(f"192.168.{40 + i // 200}.{20 + i % 200}", "iot", "voip", f"phone{i}",
                         (80,), (5060,))
            wifi = []
            if r.random() < 0.8:
                wifi.append(self._mobile(r, f"staff{i}"))
            if r.random() < 0.35:
                wifi.append(self._laptop(r, f"staff{i}"))
            self.staff.append(Host(desk.ip, os_, "staff", f"staff{i}", desk=desk, phone=phone,
                                   wifi=wifi, remote=rand_public(r), it=it))
        for i in range(n_stud):
            devs = []
            if r.random() < 0.85:
                devs.append(self._laptop(r, f"student{i}"))
            if r.random() < 0.95 or not devs:
                devs.append(self._mobile(r, f"student{i}"))
            self.students.append(Host("", "", "student", f"student{i}", wifi=devs))
        k = 0
        for i in range(n_res):
            devs = [self._laptop(r, f"resident{i}"), self._mobile(r, f"resident{i}")]
            if r.random() < 0.45:
                kind = "console" if r.random() < 0.5 else "tv"
                devs.append(Host("", kind, kind, f"resident{i}", resolver="dns1", doh=False))
            for d in devs:
                d.ip = f"172.28.{k // 200}.{10 + k % 200}"
                k += 1
            self.residents.append(Host("", "", "resident", f"resident{i}", wifi=devs,
                                       gamer=r.random() < 0.35))
        # labs: 30 seats per lab; the last lab runs Linux
        n_lab = max(8, scale // 8)
        n_labs = max(1, -(-n_lab // 30))
        self.labs = []
        for i in range(n_lab):
            lab = 1 + i // 30
            os_ = "linux" if (lab == n_labs and n_labs > 1) else "win"
            tcp = (135, 139, 445, 3389) if os_ == "win" else (22,)
            self.labs.append(Host(f"10.30.{lab}.{20 + i % 30}", os_, "lab", f"lab{lab}-{i % 30}",
                                  tcp, resolver="dns1" if i % 2 else "dns2", doh=False, lab=lab))
        self.research = [Host(f"10.31.0.{20 + i}", "linux", "research", f"ws{i}", (22,),
                              resolver="dns2", doh=r.random() < 0.2)
                         for i in range(max(4, scale // 30))]
        # IoT estate
        self.cameras = [Host(f"192.168.10.{20 + i}", "iot", "camera", f"cam{i}", (80, 443, 554), (),
                             rtp_udp=r.random() < 0.2, kbps=clamp(lognorm(r, 1400, 0.4), 500, 4000),
                             night=r.uniform(0.3, 0.6), phone_home=r.random() < 0.12)
                        for i in range(6 + scale // 30)]
        self.printers = [Host(f"192.168.20.{20 + i}", "iot", "printer", f"prn{i}",
                              (80, 443, 515, 631, 9100), (161,))
                         for i in range(4 + scale // 40)]
        self.sensors = [Host(f"192.168.30.{20 + i}", "iot", "sensor", f"sens{i}", (), ())
                        for i in range(10 + scale // 15)]
        self.bacnet = [Host(f"192.168.30.{2 + i}", "iot", "bacnet", f"ddc{i}", (80,), (47808,))
                       for i in range(2 + scale // 150)]

        # external world
        known: set[str] = set()
        self.svc: dict[str, Svc] = {}
        for name, prefixes, n, app, quic, rtt, down in EXTERNAL:
            ips = []
            while len(ips) < n:
                ip = rand_in(r, r.choice(prefixes))
                if ip not in known:
                    known.add(ip)
                    ips.append(ip)
            self.svc[name] = Svc(name, ips, app, quic, rtt, down)
        misc = []
        while len(misc) < 2500:
            ip = rand_public(r, known)
            known.add(ip)
            misc.append(ip)
        self.svc["misc"] = Svc("misc", misc, 0, 0.05, 40, 20e3, s=0.9)
        self.svc["lms"] = Svc("lms", [self.srv["lms"].ip], 0, 0.0, 0.6, 35e3, internal=True)
        self.svc["intranet"] = Svc("intranet", [self.srv["intranet"].ip], 0, 0.0, 0.5, 25e3,
                                   internal=True)
        self.svc["webmail"] = Svc("webmail", [self.srv["mail"].ip], 0, 0.0, 0.5, 30e3, internal=True)
        self.mix = {k: Picker([self.svc[n] for n in v], list(v.values())) for k, v in MIXES.items()}

        def fresh(n):
            out = []
            for _ in range(n):
                ip = rand_public(r, known)
                known.add(ip)
                out.append(ip)
            return out

        self.authns = Picker(list(ROOT_NS) + fresh(600), [3.0] * len(ROOT_NS) +
                             [1.0 / (i + 1) ** 0.8 for i in range(600)])
        self.ntp_pool = fresh(6)
        self.doh = ["1.1.1.1", "1.0.0.1", "9.9.9.9"]
        self.ext_mx = Picker.zipf(fresh(400), 0.9)
        self.sip_trunk = fresh(2)
        self.cloud_backup = [rand_in(r, "52.216.0.0/15") for _ in range(4)]
        known.update(self.cloud_backup)
        self.crawlers = [rand_in(r, "66.249.64.0/20") for _ in range(6)] + \
                        [rand_in(r, "157.55.39.0/24") for _ in range(4)] + \
                        [rand_in(r, "40.77.167.0/24") for _ in range(3)]
        self.uptime = fresh(3)
        self.ci_bots = [rand_in(r, "4.148.0.0/16") for _ in range(2)]
        self.cam_cloud = fresh(2)
        self.dns_google = "8.8.8.8"
        self.home_isp = Picker.zipf(fresh(3000), 0.3)  # visitors, mail senders, home users
        self.known = known

        # every address that answers, for scans and sweeps
        self.by_ip: dict[str, Host] = {}
        for h in (list(self.srv.values()) + self.routers + [self.wlc] + self.switches + self.aps
                  + self.ups + [s.x["desk"] for s in self.staff] + [s.x["phone"] for s in self.staff]
                  + self.labs + self.research + self.cameras + self.printers + self.sensors
                  + self.bacnet):
            self.by_ip[h.ip] = h
        self.gateways = {}

    @staticmethod
    def _mobile(r, owner):
        os_ = "ios" if r.random() < 0.55 else "android"
        return Host("", os_, "phone", owner, resolver="dns1" if r.random() < 0.5 else "dns2",
                    doh=False)

    @staticmethod
    def _laptop(r, owner):
        x = r.random()
        os_ = "win" if x < 0.55 else ("mac" if x < 0.9 else "linux")
        return Host("", os_, "laptop", owner, resolver="dns1" if r.random() < 0.5 else "dns2",
                    doh=r.random() < 0.12)

    def internal_subnets(self):
        """The /24s a sweep from inside might target (that the router sees)."""
        nets = ["10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24", "10.10.4.0/24", "10.31.0.0/24",
                "192.168.10.0/24", "192.168.20.0/24", "192.168.30.0/24", "192.168.40.0/24"]
        nets += sorted({h.ip.rsplit(".", 1)[0] + ".0/24" for h in self.labs})
        nets += sorted({s.x["desk"].ip.rsplit(".", 1)[0] + ".0/24" for s in self.staff})
        return nets


# ----------------------------------------------------------------------------- episodes
class Episode:
    def __init__(self, cls: str, idx: int):
        self.cls, self.idx = cls, idx
        self.variant = ""
        self.tail = f"1,{cls}"
        self.attackers: list[str] = []
        self.victims: list[str] = []
        self.services: list[str] = []
        self.first = None
        self.last = None
        self.rows = 0
        self.bytes = 0

    @property
    def name(self):
        return f"{self.cls} {self.variant} episode {self.idx}".replace("  ", " ")

    def note(self, a, b, n):
        if self.first is None or a < self.first:
            self.first = a
        if self.last is None or b > self.last:
            self.last = b
        self.rows += 1
        self.bytes += n

    def who(self, attackers=(), victims=(), services=()):
        for lst, new in ((self.attackers, attackers), (self.victims, victims),
                         (self.services, services)):
            for x in new:
                if x not in lst:
                    lst.append(x)


# ----------------------------------------------------------------------------- generator
class Gen:
    def __init__(self, site: Site, seed: int, t0: int, hours: float, active_s: float,
                 idle_s: float):
        self.site, self.seed = site, seed
        self.t0 = t0
        self.t1 = t0 + int(hours * HOUR)
        self.at = int(active_s * SEC)
        self.idle = int(idle_s * SEC)
        self.rows: list[tuple[int, str]] = []
        self.nbytes = 0
        self.episodes: list[Episode] = []
        self.days = []
        d = t0 - t0 % DAY
        while d < self.t1:
            self.days.append(d)
            d += DAY
        S = site.srv
        self.ip = {k: h.ip for k, h in S.items()}

    def rng(self, *parts) -> random.Random:
        return random.Random("campusgen/%s/%s" % (self.seed, "/".join(str(p) for p in parts)))

    # ---- row emission -----------------------------------------------------------------
    def row(self, a, b, src, sp, dst, dp, proto, l7, ib, ipk, ob, opk, cf, sf, ep):
        a, b = int(a), int(b)
        if a < self.t0 or a >= self.t1:
            return
        ib, ipk, ob, opk = int(ib), int(ipk), int(ob), int(opk)
        if ipk and ib > 1500 * ipk:
            ib = 1500 * ipk
        elif ib < 40 * ipk:
            ib = 40 * ipk
        if opk and ob > 1500 * opk:
            ob = 1500 * opk
        elif ob < 40 * opk:
            ob = 40 * opk
        if ep is None:
            tail = "0,Benign"
        else:
            tail = ep.tail
            ep.note(a, b, ib + ob)
        self.nbytes += ib + ob
        self.rows.append((b, f"{a},{b},{src},{sp},{dst},{dp},{proto},{l7},{ib},{ipk},{ob},{opk},"
                             f"{cf | sf},{cf},{sf},{b - a},{tail}\n"))

    def flow(self, t, dur, src, sp, dst, dp, proto, l7, ib, ipk, ob, opk, cf=0, sf=0, ep=None,
             midstream=False):
        """One connection / conversation; split at the active timeout like an exporter."""
        t = int(t)
        dur = max(0, int(dur))
        if midstream:
            cf &= ~SYN
            sf &= ~SYN
        at = self.at
        if dur <= at:
            self.row(t, t + dur, src, sp, dst, dp, proto, l7, ib, ipk, ob, opk, cf, sf, ep)
            return
        n = -(-dur // at)
        pi0 = po0 = bi0 = bo0 = 0
        for i in range(n):
            a = t + i * at
            b = t + dur if i == n - 1 else a + at
            f = (b - t) / dur
            pi1, po1 = round(ipk * f), round(opk * f)
            bi1 = round(ib * pi1 / ipk) if ipk else 0
            bo1 = round(ob * po1 / opk) if opk else 0
            dpi, dpo, dbi, dbo = pi1 - pi0, po1 - po0, bi1 - bi0, bo1 - bo0
            pi0, po0, bi0, bo0 = pi1, po1, bi1, bo1
            if dpi == 0 and dpo == 0:
                continue
            c, s = cf, sf
            if proto == TCP:
                if i > 0:
                    c &= ~SYN
                    s &= ~SYN
                if i < n - 1:
                    c &= ~(FIN | RST)
                    s &= ~(FIN | RST)
                if not dpi:
                    c = 0
                if not dpo:
                    s = 0
            self.row(a, b, src, sp, dst, dp, proto, l7, dbi, dpi, dbo, dpo, c, s, ep)

    def merged(self, src, sp, dst, dp, proto, l7, evs, ep=None):
        """Rows for a series of exchanges on one 5-tuple: exchanges closer than the idle
        timeout share a row; a row is cut at the active timeout.
        evs: sorted (t, dur, ipk, ib, opk, ob, cf, sf)."""
        idle, at = self.idle, self.at
        cur = None
        for t, dur, ipk, ib, opk, ob, cf, sf in evs:
            t = int(t)
            e = t + int(dur)
            if cur is not None and t - cur[1] <= idle and e - cur[0] <= at:
                if e > cur[1]:
                    cur[1] = e
                cur[2] += ipk
                cur[3] += ib
                cur[4] += opk
                cur[5] += ob
                cur[6] |= cf
                cur[7] |= sf
            else:
                if cur is not None:
                    self.row(cur[0], cur[1], src, sp, dst, dp, proto, l7, cur[3], cur[2], cur[5],
                             cur[4], cur[6], cur[7], ep)
                cur = [t, e, ipk, ib, opk, ob, cf, sf]
        if cur is not None:
            self.row(cur[0], cur[1], src, sp, dst, dp, proto, l7, cur[3], cur[2], cur[5], cur[4],
                     cur[6], cur[7], ep)

    # ---- protocol helpers -------------------------------------------------------------
    @staticmethod
    def wire(up, down, hdr=52):
        """Data exchange (no handshake): (client pkts, bytes, server pkts, bytes)."""
        dc = -(-up // MSS) if up > 0 else 0
        ds = -(-down // MSS) if down > 0 else 0
        cp = dc + (ds + 1) // 2 or 1
        sp = ds + (dc + 1) // 2 or 1
        return cp, up + hdr * cp, sp, down + hdr * sp

    def tcp(self, r, t, c, cos, s, sport, l7, up, down, rtt, bw_mbps, ep=None, tls=True,
            cport=None, close=None, tail=True, think=20.0):
        """A complete TCP connection (handshake, data, close).  Returns its end time.
        close: None (random realistic), 'fin', 'crst' (client aborts), 'srst', 'open'."""
        hdr = HDR.get(cos, 52)
        up, down = int(up), int(down)
        if tls:
            up += 520 + r.randint(0, 380)
            down += 2600 + r.randint(0, 3000)
        cp, cb, sp, sb = self.wire(up, down, hdr)
        cp += 3
        cb += 3 * hdr + 8
        sp += 2
        sb += 2 * hdr + 8
        if r.random() < 0.03:  # retransmissions
            k = r.randint(1, 6)
            if down > up:
                sp += k
                sb += k * min(MSS, max(1, down // max(1, sp))) + k * hdr
            else:
                cp += k
                cb += k * min(MSS, max(1, up // max(1, cp))) + k * hdr
        rtts = (4 if tls else 2) + (up + down) // 65536
        dur = rtt * rtts + (up + down) * 8 / (bw_mbps * 1000.0) + lognorm(r, think, 1.0)
        cf = SYN | ACK | FIN | (PSH if up else 0)
        sf = SYN | ACK | FIN | (PSH if down else 0)
        if close is None:
            x = r.random()
            close = "fin" if x < 0.86 else ("crst" if x < 0.96 else "srst")
        if close == "crst":
            cf |= RST
            if r.random() < 0.5:
                cf &= ~FIN
                sf &= ~FIN
                sp -= 1
        elif close == "srst":
            sf = (sf | RST) & ~FIN
            cf &= ~FIN
            cp -= 1
        elif close == "open":
            cf &= ~FIN
            sf &= ~FIN
        if cport is None:
            cport = eph(r, cos)
        t = int(t)
        if tail and close in ("fin", "crst") and dur < self.at:
            idle_tail = lognorm(r, 6000, 1.3)
            if idle_tail > self.idle:
                # the close arrives after the exporter expired the flow: its own tiny row
                self.flow(t, dur, c, cport, s, sport, TCP, l7, cb - 2 * hdr, cp - 2,
                          sb - hdr, max(1, sp - 1), cf & ~(FIN | RST), sf & ~(FIN | RST), ep)
                t2 = t + int(dur + idle_tail)
                sfin = bool(sf & FIN)
                self.row(t2, t2 + int(rtt) + 1, c, cport, s, sport, TCP, l7, 2 * hdr, 2,
                         hdr if sfin else 0, 1 if sfin else 0, (cf & (FIN | RST)) | ACK,
                         FIN | ACK if sfin else 0, ep)
                return t2 + int(rtt) + 1
            dur += idle_tail
        self.flow(t, dur, c, cport, s, sport, TCP, l7, cb, cp, sb, sp, cf, sf, ep)
        return t + int(dur)

    def tcp_fail(self, r, t, c, cos, s, sport, l7, mode, ep=None, cport=None, tries=None):
        """A connection attempt that fails: 'timeout' (no answer, SYN retries) or 'refused'
        (RST,ACK from a closed port)."""
        hdr = HDR.get(cos, 52)
        syn = hdr + 8 if hdr == 52 else 52
        if cport is None:
            cport = eph(r, cos)
        if mode == "refused":
            k = tries or (3 if cos == "win" and r.random() < 0.7 else 1)
            dur = (0 if k == 1 else 500 * (k - 1)) + r.randint(0, 3)
            self.row(int(t), int(t) + dur, c, cport, s, sport, TCP, l7, syn * k, k, 40 * k, k,
                     SYN, RST | ACK, ep)
        else:
            k = tries or r.choice((1, 2, 3, 3, 4))
            dur = (0, 1000, 3000, 7000, 15000, 31000)[k - 1] + r.randint(0, 40)
            self.row(int(t), int(t) + dur, c, cport, s, sport, TCP, l7, syn * k, k, 0, 0,
                     SYN, 0, ep)

    def quic(self, r, t, c, cos, s, l7, up, down, rtt, bw_mbps, ep=None):
        up, down = int(up), int(down)
        dc, ds = -(-up // 1350), -(-down // 1350)
        cp = 2 + dc + (ds + 3) // 4
        sp = 3 + ds + (dc + 3) // 4
        cb = up + 2 * 1252 + 28 * cp + 40 * ((ds + 3) // 4)
        sb = down + 3800 + 28 * sp
        dur = rtt * 3 + (up + down) * 8 / (bw_mbps * 1000.0) + lognorm(r, 30, 1.0)
        if r.random() < 0.6:
            dur += r.uniform(0, self.idle)  # keep-alive / close frames within the idle window
        self.flow(t, dur, c, eph(r, cos), s, 443, UDP, l7, cb, cp, sb, sp, 0, 0, ep)

    def udp(self, t, dur, c, cp, s, sp, l7, ipk, ipl, opk, opl, ep=None, midstream=False):
        self.flow(t, dur, c, cp, s, sp, UDP, l7, ipl + 28 * ipk, ipk, opl + 28 * opk, opk,
                  ep=ep, midstream=midstream)

    def ping(self, r, t, c, s, reply=True, n=1, ep=None):
        self.row(int(t), int(t) + (r.randint(0, 3) if n == 1 else 1000 * (n - 1)), c, 0, s, 2048,
                 ICMP, L7["icmp"], 84 * n, n, 84 * n if reply else 0, n if reply else 0, 0, 0, ep)

    def dns(self, r, t, c, cos, resolver, internal=False, ep=None, upstream=True):
        """A stub lookup (A, often AAAA) and, on a cache miss, the resolver's recursion.
        Returns the time the answer arrived."""
        q = 28 + r.randint(14, 48)
        miss = (not internal) and r.random() < 0.28
        lat = r.uniform(0.2, 1.5) + (lognorm(r, 35, 0.7) if miss else 0)
        n = 2 if r.random() < 0.55 else 1
        ans = q + int(lognorm(r, 70, 0.6)) + (r.randint(0, 900) if r.random() < 0.03 else 0)
        if r.random() < 0.004:  # lost / timed out, retried against the other resolver
            self.udp(t, 0, c, eph(r, cos), resolver, 53, L7["dns"], 1, q, 0, 0, ep)
            t += 1000
            if resolver == self.ip["dns1"]:
                resolver = self.ip["dns2"]
            elif resolver == self.ip["dns2"]:
                resolver = self.ip["dns1"]
        if n == 2 and cos in ("linux", "android", "tv"):  # glibc: A+AAAA on one socket
            self.udp(t, lat + 1, c, eph(r, cos), resolver, 53, L7["dns"], 2, 2 * q, 2,
                     ans + q + 30, ep)
        else:
            for k in range(n):
                self.udp(t + k, lat, c, eph(r, cos), resolver, 53, L7["dns"], 1, q,
                         1, ans if k == 0 else q + 40, ep)
        if miss and upstream and (resolver == self.ip["dns1"] or resolver == self.ip["dns2"]):
            ns = self.site.authns
            for k in range(1 if r.random() < 0.8 else 2):
                self.udp(t + 1 + k * 12, lat * 0.8, resolver, r.randint(1024, 65535),
                         ns.pick(r), 53, L7["dns"], 1, q + 11, 1,
                         ans + 11 + (r.randint(200, 1100) if r.random() < 0.15 else 0), ep)
            if r.random() < 0.002:  # truncated -> TCP retry
                self.tcp(r, t + lat, resolver, "linux", ns.pick(r), 53, L7["dns"], q + 2, 1800,
                         40, 50, ep, tls=False, tail=False)
        return int(t + lat + n)

    # ---- client behaviour ---------------------------------------------------------------
    def browse(self, r, t, dev, mix, wired=True, doh_log=None, resolver=None):
        """One user action: name lookups and 1-4 web connections."""
        S = self.site
        svc = S.mix[mix].pick(r)
        ip = svc.ips.pick(r)
        c, cos = dev.ip, dev.os
        if doh_log is not None:
            doh_log.append(t)
            t += int(r.uniform(15, 60))
        elif r.random() < (0.45 if svc.internal else 0.75):
            t = self.dns(r, t, c, cos, resolver or self.ip[dev.x.get("resolver", "dns1")],
                         internal=svc.internal)
        bw = lognorm(r, 60 if wired else 18, 0.7)
        nconn = 1 + (r.random() < 0.45) + (r.random() < 0.2) + (r.random() < 0.1)
        for k in range(nconn):
            if k:
                t += int(r.uniform(5, 2500))
                if r.random() < 0.6:
                    svc = S.mix[mix].pick(r)
                    ip = svc.ips.pick(r)
            x = r.random()
            if x < 0.004:
                self.tcp_fail(r, t, c, cos, ip, 443, L7["tls"], "timeout")
                continue
            if x < 0.0055 or (svc.internal and x < 0.008):  # service down / being restarted
                self.tcp_fail(r, t, c, cos, ip, 443, L7["tls"], "refused")
                continue
            down = int(lognorm(r, svc.down, 1.5))
            if r.random() < 0.012:
                down += int(pareto(r, 2e6, 1.1, 3e9))
            up = int(lognorm(r, 700, 0.9))
            if r.random() < 0.02:
                up += int(lognorm(r, 1.5e6, 1.4))
            rtt = svc.rtt * r.uniform(0.8, 1.6) + (0 if wired else r.uniform(2, 12))
            if svc.quic and r.random() < svc.quic:
                self.quic(r, t, c, cos, ip, f"188.{svc.app}", up, down, rtt, bw)
            elif not svc.internal and r.random() < 0.04:
                self.tcp(r, t, c, cos, ip, 80, "7.%d" % svc.app, up // 3 + 200, down, rtt, bw,
                         tls=False)
            else:
                self.tcp(r, t, c, cos, ip, 443, "91.%d" % svc.app, up, down, rtt, bw)

    def doh_flush(self, r, dev, times):
        """DoH: a persistent TLS connection to a public resolver carrying the lookups."""
        if not times:
            return
        srv = self.site.doh[int(dev.ip.split(".")[-1]) % len(self.site.doh)]
        times.sort()
        groups, cur = [], [times[0]]
        for t in times[1:]:
            if t - cur[-1] > 5 * MIN:
                groups.append(cur)
                cur = [t]
            else:
                cur.append(t)
        groups.append(cur)
        hdr = HDR.get(dev.os, 52)
        for g in groups:
            cport = eph(r, dev.os)
            evs = [(g[0] - 40, 30, 3, 900 + 3 * hdr, 2, 3600 + 2 * hdr, SYN | ACK | PSH, SYN | ACK | PSH)]
            for t in g:
                n = r.randint(1, 3)
                evs.append((t, r.uniform(8, 40), n, n * (130 + hdr), n, n * (260 + hdr) + r.randint(0, 400),
                            PSH | ACK, PSH | ACK))
            end = g[-1] + int(r.uniform(20, 120) * SEC)
            evs.append((end, 10, 2, 2 * hdr + 40, 1, hdr + 40, FIN | ACK | PSH, FIN | ACK))
            self.merged(dev.ip, cport, srv, 443, TCP, L7["doh"], evs)

    def push_channel(self, r, dev, a, b):
        """Persistent push/notification connection of a phone or laptop: rows at keep-alives
        and notifications."""
        S = self.site
        if dev.os == "ios" or dev.os == "mac":
            s, port, l7 = S.svc["apple"].ips.items[0], 5223, L7["apple_push"]
        elif dev.os == "android":
            s, port, l7 = S.svc["google"].ips.items[1], 5228, "91.126"
        else:
            s, port, l7 = S.svc["azure"].ips.items[0], 443, "91.212"
        hdr = HDR.get(dev.os, 52)
        cport = eph(r, dev.os)
        evs = [(a + r.randint(2000, 20000), 120, 4, 700 + 4 * hdr, 3, 4200 + 3 * hdr,
                SYN | ACK | PSH, SYN | ACK | PSH)]
        t = evs[0][0]
        while True:
            t += int(r.uniform(8, 28) * MIN) if r.random() < 0.5 else int(r.expovariate(1 / (6 * MIN)))
            if t >= b:
                break
            big = r.random() < 0.3
            evs.append((t, r.uniform(20, 200), 1 + big, 90 + hdr + big * 300, 1 + big,
                        90 + hdr + big * r.randint(300, 3000), PSH | ACK, PSH | ACK))
        evs.append((b - r.randint(0, 3000), 5, 1, hdr, 1, hdr, RST | ACK, ACK))
        self.merged(dev.ip, cport, s, port, TCP, l7, evs)

    def meeting(self, r, a, b, dev, wired=True):
        """A video meeting: TLS signalling plus a long UDP media flow (Zoom or Teams)."""
        S = self.site
        c, cos = dev.ip, dev.os
        zoom = r.random() < 0.5
        svc = S.svc["zoom"] if zoom else S.svc["m365"]
        ip = svc.ips.pick(r)
        self.dns(r, a - 300, c, cos, self.ip[dev.x.get("resolver", "dns1")])
        hdr = HDR.get(cos, 52)
        # signalling: persistent TLS with periodic keep-alives
        cport = eph(r, cos)
        evs = [(a, 400, 8, 3000 + 8 * hdr, 8, 9000 + 8 * hdr, SYN | ACK | PSH, SYN | ACK | PSH)]
        t = a
        while True:
            t += int(r.uniform(20, 60) * SEC)
            if t >= b:
                break
            evs.append((t, 40, 1, 150 + hdr, 1, 180 + hdr, PSH | ACK, PSH | ACK))
        evs.append((b, 60, 2, 2 * hdr + 60, 1, hdr + 60, FIN | ACK | PSH, FIN | ACK))
        self.merged(c, cport, ip, 443, TCP, "91.189" if zoom else "91.250", evs)
        # media
        dur = b - a
        cam_on = r.random() < 0.6
        down_kbps = r.uniform(900, 2500) if cam_on else r.uniform(300, 1200)
        up_kbps = r.uniform(600, 1500) if cam_on else r.uniform(40, 80)
        if not wired:
            down_kbps *= 0.8
        secs = dur / 1000
        ob = int(down_kbps * 125 * secs)
        ib = int(up_kbps * 125 * secs)
        opk, ipk = max(1, ob // 950), max(1, ib // (900 if cam_on else 160))
        port = 8801 if zoom else r.randint(3478, 3481)
        self.flow(a + 900, dur - 900, c, eph(r, cos), ip, port, UDP,
                  "189.0" if zoom else "78.250", ib, ipk, ob, opk)

    def voip_call(self, r, t, phone, external):
        """SIP dialog with the PBX; RTP only for calls that leave the voice VLAN."""
        S = self.site
        pbx = self.ip["pbx"]
        dur = int(clamp(lognorm(r, 150, 1.0), 8, 3600) * SEC)
        # INVITE ... 200 OK ... ACK (phones keep 5060<->5060)
        self.udp(t, r.uniform(1500, 9000), phone.ip, 5060, pbx, 5060, L7["sip"], 4,
                 r.randint(2200, 3200), 5, r.randint(2500, 4200))
        a, b = (phone.ip, pbx) if r.random() < 0.5 else (pbx, phone.ip)  # BYE from either side
        self.udp(t + dur, r.uniform(10, 60), a, 5060, b, 5060, L7["sip"], 1, r.randint(450, 650), 1,
                 r.randint(400, 600))
        if not external:
            return
        # phone <-> PBX (media anchored for the trunk), PBX <-> SIP trunk provider
        pk = int(dur / 20)
        rp = 2 * r.randint(8192, 16383)
        self.udp(t + 2500, dur, phone.ip, rp, pbx, 2 * r.randint(5000, 9999), L7["rtp"], pk, pk * 172,
                 pk, pk * 172)
        rk = max(1, int(dur / 5000))
        self.udp(t + 2600, dur, phone.ip, rp + 1, pbx, 2 * r.randint(5000, 9999) + 1, L7["rtcp"],
                 rk, rk * 80, rk, rk * 80)
        trunk = S.sip_trunk[0 if r.random() < 0.8 else 1]
        self.udp(t + 300, r.uniform(1500, 6000), pbx, 5060, trunk, 5060, L7["sip"], 4,
                 r.randint(2600, 3600), 5, r.randint(2400, 3800))
        self.udp(t + 2500, dur, pbx, 2 * r.randint(10000, 14999), trunk, 2 * r.randint(8000, 30000),
                 L7["rtp"], pk, pk * 172, pk, pk * 172)

    def print_job(self, r, t, dev, size=None):
        S = self.site
        ps = self.ip["print"]
        size = size or int(clamp(lognorm(r, 350e3, 1.3), 8e3, 60e6))
        if dev.os == "win":
            end = self.tcp(r, t, dev.ip, dev.os, ps, 445, L7["smb"], size + 4000, 3000, 0.5, 200,
                           tls=False, think=50)
        else:
            end = self.tcp(r, t, dev.ip, dev.os, ps, 631, L7["ipp"], size + 900, 1500, 0.5, 200,
                           tls=False, think=50)
        prn = S.printers[int(dev.ip.split(".")[-2]) % len(S.printers)] if r.random() < 0.7 else \
            r.choice(S.printers)
        self.tcp(r, end + r.randint(200, 3000), ps, "win", prn.ip, 9100, L7["unknown"], size * 3 // 2,
                 0, 1, 30, tls=False, think=500, tail=False, close="fin")

    # ---- components ---------------------------------------------------------------------
    def presence(self, pid: str, day: int, kind: str):
        """(arrive, leave, lunch) ms for a person on a day, or None.  Shared by every
        component that needs it (desk, wifi, phone)."""
        r = self.rng("presence", pid, day)
        wd = weekday(day)
        if kind == "staff":
            if r.random() >= (0.9, 0.9, 0.88, 0.86, 0.76, 0.06, 0.04)[wd]:
                return None
            a = clamp(r.gauss(8.3, 0.7), 6.3, 11.5)
            l = a + clamp(r.gauss(8.6, 0.9), 3.5, 11.5)
            if wd >= 5:
                a, l = clamp(r.gauss(10.5, 1.5), 8, 15), 0
                l = a + r.uniform(1.5, 5)
        else:
            if r.random() >= (0.82, 0.85, 0.82, 0.8, 0.66, 0.18, 0.12)[wd]:
                return None
            x = r.random()
            a = r.gauss(8.7, 0.6) if x < 0.45 else (r.gauss(10.4, 0.9) if x < 0.8 else r.gauss(13.2, 1.2))
            a = clamp(a, 7.0, 17.5)
            l = a + clamp(lognorm(r, 4.8, 0.45), 1.0, 12.0)
        l = min(l, 23.8)
        lunch = None
        if r.random() < 0.5 and a < 12 and l > 14:
            ls = 11.8 + r.uniform(0, 1.2)
            lunch = (day + int(ls * HOUR), day + int((ls + r.uniform(0.4, 1.0)) * HOUR))
        return day + int(a * HOUR), day + int(l * HOUR), lunch

    # -- infrastructure, monitoring, server-to-server
    def g_infra(self):
        r = self.rng("infra")
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        devices = S.routers + [S.wlc] + S.switches + S.aps + S.ups
        # NetFlow export from both core routers to the collector: continuous UDP
        for rt in S.routers:
            sp = r.randint(32768, 60999)
            for h0 in range(t0, t1, HOUR):
                pps = 25 + 60 * rhythm("campus", h0)
                n = int(pps * 3600)
                self.udp(h0, HOUR, rt.ip, sp, ip["collector"], 2055, L7["netflow"], n, n * 1350,
                         0, 0, midstream=True)
        # syslog from network gear and servers
        senders = devices + [h for h in S.srv.values() if h.kind == "server"]
        for h in senders:
            rate = 3 if h.kind in ("ap", "ups") else 6
            for t in poisson_times(r, t0, t1, rate * 2,
                                   lambda t: 0.5 + 0.5 * rhythm("campus", t)):
                k = r.choice((1, 1, 1, 2, 3, 5))
                self.udp(t, 0 if k == 1 else r.randint(5, 900), h.ip,
                         514 if h.os == "iot" else r.randint(32768, 60999), ip["syslog"], 514,
                         L7["syslog"], k, k * r.randint(90, 380), 0, 0)
        # SNMP polling (5 min) and ICMP reachability (5 min) from the NMS
        nms = ip["nms"]
        walk = {"router": (20, 40), "wlc": (15, 30), "switch": (12, 30), "ap": (4, 8),
                "ups": (2, 4), "printer": (3, 6)}
        polled = devices + S.printers
        for h in polled:
            lo, hi = walk[h.kind]
            phase = r.randint(0, 300 * SEC)
            sp = r.randint(32768, 60999)
            for t in range(t0 + phase, t1, 300 * SEC):
                t += r.randint(0, 1500)
                if h.kind == "printer" and r.random() < 0.02:
                    self.udp(t, 3000, nms, sp, h.ip, 161, L7["snmp"], 3, 3 * 95, 0, 0)
                    continue
                k = r.randint(lo, hi)
                self.udp(t, r.uniform(5, 40) * k, nms, sp, h.ip, 161, L7["snmp"], k,
                         k * r.randint(70, 110), k, k * r.randint(350, 1380))
        pingees = devices + [h for h in S.srv.values()]
        for h in pingees:
            phase = r.randint(0, 300 * SEC)
            for t in range(t0 + phase, t1, 300 * SEC):
                if h.name in ("portal", "ftp", "bastion", "mx", "rdpjump", "vpn") and r.random() < 0.5:
                    continue
                self.ping(r, t + r.randint(0, 300), nms, h.ip, reply=r.random() > 0.003)
        # SNMP traps
        for h in S.switches + S.aps:
            for t in poisson_times(r, t0, t1, 0.15):
                self.udp(t, 0, h.ip, r.randint(1024, 65535), nms, 162, L7["snmp"], 1,
                         r.randint(120, 300), 0, 0)
        # Prometheus: node_exporter on every Linux server, research workstation and HPC node,
        # scraped every 60 s on kept-alive connections (one row per scrape)
        prom = ip["prom"]
        targets = [h for h in S.srv.values() if 9100 in h.tcp] + S.research
        for h in targets:
            size = lognorm(r, 45e3, 0.5)
            cport = r.randint(32768, 60999)
            phase = r.randint(0, 60 * SEC)
            restart = t0 + r.randint(0, max(1, t1 - t0)) if r.random() < 0.3 else None
            evs = []
            down_for = 0
            for t in range(t0 + phase, t1, 60 * SEC):
                if restart is not None and t >= restart:
                    # the exporter restarts: the kept-alive connection is closed, the port
                    # refuses a scrape or two, then a new connection
                    evs.append((t - r.randint(1, 50) * SEC, 1, 1, 52, 1, 52, FIN | ACK, FIN | ACK))
                    self.merged(prom, cport, h.ip, 9100, TCP, L7["prometheus"], evs)
                    evs, restart, down_for = [], None, r.randint(0, 2)
                    cport = None
                if down_for:
                    self.tcp_fail(r, t, prom, "linux", h.ip, 9100, L7["prometheus"], "refused", tries=1)
                    down_for -= 1
                    continue
                if cport is None:
                    cport = r.randint(32768, 60999)
                    evs.append((t - 5, 2, 2, 112, 1, 60, SYN | ACK, SYN | ACK))
                down = int(size * r.uniform(0.9, 1.1))
                cp, cb, sp, sb = self.wire(r.randint(180, 260), down)
                evs.append((t, r.uniform(4, 60), cp, cb, sp, sb, PSH | ACK, PSH | ACK))
                if len(evs) > 50:
                    self.merged(prom, cport, h.ip, 9100, TCP, L7["prometheus"], evs[:-1])
                    evs = evs[-1:]
            self.merged(prom, cport, h.ip, 9100, TCP, L7["prometheus"], evs)
        # blackbox probes: a fresh HTTPS/IMAPS connection every 60 s
        for name, port in (("portal", 443), ("lms", 443), ("intranet", 443), ("mail", 993)):
            for t in range(t0 + r.randint(0, 60 * SEC), t1, 60 * SEC):
                self.tcp(r, t, prom, "linux", ip[name], port,
                         L7["imaps"] if port == 993 else L7["tls"], 300, 1200, 0.4, 500,
                         tail=False, close="fin", think=8)
        # NTP: the campus server follows a public pool; the DCs follow it
        for srv in S.ntp_pool[:4]:
            for t in range(t0 + r.randint(0, 1024 * SEC), t1, 1024 * SEC):
                self.udp(t, r.uniform(8, 60), ip["ntp"], 123, srv, 123, L7["ntp"], 1, 48, 1, 48)
        for dc in ("dc1", "dc2"):
            for t in range(t0 + r.randint(0, 1024 * SEC), t1, 1024 * SEC):
                self.udp(t, r.uniform(0.2, 1), ip[dc], 123, ip["ntp"], 123, L7["ntp"], 1, 48, 1, 48)
        # AD replication (every 15 min) and DC <-> DNS zone transfers
        for t in range(t0 + r.randint(0, 15 * MIN), t1, 15 * MIN):
            self.tcp(r, t, ip["dc1"], "win", ip["dc2"], 135, L7["rpc"], 200, 150, 0.4, 900, tls=False,
                     tail=False, think=2)
            self.tcp(r, t + 40, ip["dc1"], "win", ip["dc2"], r.randint(49664, 49700), L7["rpc"],
                     int(lognorm(r, 8e3, 1.0)), int(lognorm(r, 15e3, 1.2)), 0.4, 900, tls=False,
                     tail=False, think=10)
        # SIP trunk keep-alive (OPTIONS, 60 s)
        for trunk in S.sip_trunk:
            for t in range(t0 + r.randint(0, 60 * SEC), t1, 60 * SEC):
                self.udp(t, r.uniform(8, 30), ip["pbx"], 5060, trunk, 5060, L7["sip"], 1,
                         r.randint(420, 520), 1, r.randint(380, 520))
        # BACnet polling of building controllers and MQTT broker housekeeping
        for h in S.bacnet:
            for t in range(t0 + r.randint(0, 60 * SEC), t1, 60 * SEC):
                k = r.randint(1, 4)
                self.udp(t, r.uniform(5, 80), ip["bms"], 47808, h.ip, 47808, L7["bacnet"], k,
                         k * r.randint(30, 90), k, k * r.randint(60, 480))

    def g_servers(self):
        """Application tiers, mail relaying, backups, updates."""
        r = self.rng("servers")
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        # connection pools: app -> database, one row per active 2-minute slot
        pools = (("lms", "pg", 5432, L7["pgsql"], 6, "campus"),
                 ("portal", "pg", 5432, L7["pgsql"], 4, "public"),
                 ("intranet", "mssql", 1433, L7["mssql"], 3, "office"),
                 ("mail", "pg", 5432, L7["pgsql"], 2, "office"))
        for app, db, port, l7, n, shape in pools:
            app_os = S.srv[app].os
            for k in range(n):
                cport = eph(r, app_os)
                born = t0 - r.randint(0, HOUR)
                first = True
                for t in range(t0, t1, self.at):
                    load = 0.08 + 0.92 * rhythm(shape, t)
                    if t - born > r.uniform(45, 75) * MIN:  # pool recycles connections
                        self.row(t, t + 2, ip[app], cport, ip[db], port, TCP, l7, 104, 2, 52, 1,
                                 FIN | ACK, FIN | ACK, None)
                        cport, born, first = eph(r, app_os), t + 5, True
                    if r.random() < load:
                        q = int(load * r.uniform(40, 400))
                        up, down = q * r.randint(150, 400), int(q * lognorm(r, 1500, 1.0))
                        cp, cb, sp, sb = self.wire(up, down)
                        a = t + r.randint(5, 2000)
                        b = t + self.at - r.randint(5, 2000)
                        f = (SYN if first else 0) | PSH | ACK
                        self.row(a, b, ip[app], cport, ip[db], port, TCP, l7, cb, cp, sb, sp, f, f, None)
                        first = False
                    elif r.random() < 0.5:
                        a = t + r.randint(0, self.at - 1000)
                        cp, cb, sp, sb = self.wire(r.randint(100, 900), r.randint(100, 5000))
                        self.row(a, a + r.randint(1, 40), ip[app], cport, ip[db], port, TCP, l7,
                                 cb, cp, sb, sp, PSH | ACK, PSH | ACK, None)
        # directory lookups by application servers (LDAP binds for logins)
        for app, rate, shape in (("lms", 120, "campus"), ("portal", 20, "public"),
                                 ("mail", 40, "office"), ("radius", 60, "campus"),
                                 ("vpn", 6, "home"), ("intranet", 30, "office")):
            for t in poisson_times(r, t0, t1, rate, lambda t, s=shape: 0.05 + 0.95 * rhythm(s, t)):
                dc = ip["dc1"] if r.random() < 0.6 else ip["dc2"]
                self.tcp(r, t, ip[app], S.srv[app].os, dc, 389 if r.random() < 0.7 else 636,
                         L7["ldap"], r.randint(250, 900), r.randint(400, 6000), 0.4, 500,
                         tls=False, tail=False, think=3)
        # mail: inbound from the internet to the MX, relayed inside; outbound the other way
        mx, mail = ip["mx"], ip["mail"]
        for t in poisson_times(r, t0, t1, 0.5 * S.scale + 20, lambda t: 0.15 + 0.85 * rhythm("public", t)):
            src = S.ext_mx.pick(r) if r.random() < 0.75 else S.home_isp.pick(r)
            x = r.random()
            if x < 0.10:  # rejected at connect / greylisted / dropped
                if r.random() < 0.5:
                    self.tcp(r, t, src, "linux", mx, 25, L7["smtp"], 120, 300, 90, 20, tls=False,
                             think=200, close="fin", tail=False)
                else:
                    self.tcp(r, t, src, "linux", mx, 25, L7["smtp"], 60, 100, 90, 20, tls=False,
                             close="srst", tail=False)
                continue
            size = int(clamp(lognorm(r, 25e3, 1.5), 1500, 35e6))
            end = self.tcp(r, t, src, "linux", mx, 25, L7["smtps"], size + 600, 1800,
                           r.uniform(20, 140), lognorm(r, 30, 0.8), tail=False, close="fin", think=300)
            self.tcp(r, end + r.randint(200, 4000), mx, "linux", mail, 25, L7["smtp"], size + 900,
                     700, 0.4, 800, tls=False, tail=False, close="fin", think=30)
        for t in poisson_times(r, t0, t1, 0.2 * S.scale + 5, lambda t: 0.05 + 0.95 * rhythm("office", t)):
            size = int(clamp(lognorm(r, 30e3, 1.4), 1500, 25e6))
            end = self.tcp(r, t, mail, "linux", mx, 25, L7["smtp"], size + 900, 700, 0.4, 800,
                           tls=False, tail=False, close="fin", think=30)
            dst = S.ext_mx.pick(r)
            if r.random() < 0.02:
                self.tcp_fail(r, end + 500, mx, "linux", dst, 25, L7["smtp"], "timeout")
            else:
                self.tcp(r, end + r.randint(300, 5000), mx, "linux", dst, 25, L7["smtps"], size + 600,
                         1900, r.uniform(20, 140), lognorm(r, 40, 0.8), tail=False, close="fin",
                         think=200)
        # nightly backups 01:00-05:30: the backup server pulls from every server agent
        agents = [h for h in S.srv.values() if h.kind == "server" and h.name not in
                  ("backup", "portal", "ftp", "bastion", "mx", "rdpjump", "vpn", "hpcfs")]
        for day in self.days:
            wd = weekday(day)
            full = wd == 5
            t = day + HOUR + r.randint(0, 10 * MIN)
            for h in agents:
                size = lognorm(r, 12e9 if full else 1.2e9, 0.9)
                if h.name in ("filer", "nfs", "pg", "mssql", "mail"):
                    size *= 3
                size = int(clamp(size, 50e6, 400e9))
                bw = r.uniform(250, 900)
                dur = int(size * 8 / (bw * 1000) + r.uniform(5, 60) * SEC)
                sp, sb = size // MSS + 3, size + 52 * (size // MSS + 3)
                cp = sp // 2 + 4
                self.flow(t, dur, ip["backup"], eph(r, "linux"), h.ip, 9102, TCP, L7["bacula"],
                          52 * cp + 2000, cp, sb, sp, SYN | ACK | PSH | FIN, SYN | ACK | PSH | FIN)
                t += dur + r.randint(20, 200) * SEC
                if t > day + int(5.5 * HOUR):
                    t = day + int(5.5 * HOUR) - r.randint(0, 20 * MIN)
            # research workstations: rsync over SSH
            for h in S.research:
                size = int(clamp(lognorm(r, 2e9, 1.2), 20e6, 200e9))
                a = day + 2 * HOUR + r.randint(0, 2 * HOUR)
                self.tcp(r, a, ip["backup"], "linux", h.ip, 22, L7["ssh"], 30e3 + size // 60,
                         size, 0.3, r.uniform(150, 600), tls=False, close="fin", tail=False,
                         think=3000)
            # DB dump to the NFS filer
            size = int(lognorm(r, 12e9, 0.3))
            self.tcp(r, day + 30 * MIN + r.randint(0, 300) * SEC, ip["pg"], "linux", ip["nfs"], 2049,
                     L7["nfs"], size, size // 300, 0.3, 700, tls=False, tail=False, close="fin",
                     cport=r.randint(700, 1023))
            # offsite copy to cloud object storage, 4-6 parallel HTTPS streams
            base = day + 4 * HOUR + r.randint(0, 40 * MIN)
            total = lognorm(r, 60e9 if full else 15e9, 0.5)
            k = r.randint(4, 6)
            for i in range(k):
                part = int(total / k * r.uniform(0.8, 1.2))
                self.tcp(r, base + i * r.randint(100, 3000), ip["backup"], "linux",
                         S.cloud_backup[i % len(S.cloud_backup)], 443, "91.178", part, part // 200,
                         r.uniform(15, 30), r.uniform(80, 200), tail=False, close="fin")
            # WSUS synchronises with Microsoft at 03:00, then hourly small checks
            t = day + 3 * HOUR + r.randint(0, 10 * MIN)
            for i in range(r.randint(3, 12)):
                size = int(clamp(lognorm(r, 250e6, 1.2), 5e6, 4e9))
                t = self.tcp(r, t, ip["wsus"], "win", S.svc["winupdate"].ips.pick(r),
                             80 if r.random() < 0.7 else 443, "7.212", 2000, size, 12,
                             r.uniform(100, 400), tls=False, tail=False) + r.randint(1000, 9000)
            for h in range(24):
                a = day + h * HOUR + r.randint(0, HOUR)
                self.tcp(r, a, ip["wsus"], "win", S.svc["winupdate"].ips.pick(r), 443, "91.212",
                         3000, int(lognorm(r, 60e3, 0.8)), 12, 100)
        # NTP from every server host
        for h in S.srv.values():
            if h.name in ("ntp", "dc1", "dc2"):
                continue
            period = (3600 if h.os == "win" else 1024) * SEC
            srv = ip["dc1"] if h.os == "win" else ip["ntp"]
            sp = 123 if h.os == "win" else r.randint(32768, 60999)
            for t in range(t0 + r.randint(0, period), t1, period):
                self.udp(t, r.uniform(0.2, 1.2), h.ip, sp, srv, 123, L7["ntp"], 1, 48, 1, 48)

    # -- staff (wired desktops, desk phones)
    def g_staff(self):
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        for i, st in enumerate(S.staff):
            r = self.rng("staff", i)
            d, phone = st.x["desk"], st.x["phone"]
            c, cos = d.ip, d.os
            res = ip[d.x["resolver"]]
            dc = ip["dc1"] if i % 3 else ip["dc2"]
            # when is the desktop on, when is the person there
            on, present = [], []
            for day in self.days:
                p = self.presence(st.name, day, "staff")
                if p:
                    a, b, lunch = p
                    if lunch:
                        present += [(a, lunch[0]), (lunch[1], b)]
                    else:
                        present.append((a, b))
                    if not d.x["always_on"]:
                        on.append((a - r.randint(2, 10) * MIN, b + r.randint(1, 15) * MIN))
            if d.x["always_on"]:
                on = [(t0 - DAY, t1 + DAY)]
            for a, b in on:
                a0, b0 = max(a, t0), min(b, t1)
                if a0 >= b0:
                    continue
                if a >= t0:
                    self.boot(r, a, d, dc, res)
                # background: DHCP renew (4 h), NTP, GPO refresh (90 +- 30 min), EDR telemetry
                for t in range(a0 + r.randint(0, 4 * HOUR), b0, 4 * HOUR):
                    self.udp(t, r.uniform(1, 8), c, 68, ip["dhcp"], 67, L7["dhcp"], 1, 300, 1, 300)
                period = (3600 if cos == "win" else 1024) * SEC
                ntp = dc if cos == "win" else ip["ntp"]
                for t in range(a0 + r.randint(0, period), b0, period):
                    self.udp(t, r.uniform(0.2, 2), c, 123 if cos == "win" else eph(r, cos), ntp, 123,
                             L7["ntp"], 1, 48, 1, 48)
                if cos == "win":
                    t = a0 + r.randint(0, 90 * MIN)
                    while t < b0:
                        self.gpo(r, t, d, dc, res)
                        t += int(r.uniform(60, 120) * MIN)
                for t in poisson_times(r, a0, b0, 2.5):
                    self.tcp(r, t, c, cos, S.svc["azure"].ips.pick(r), 443, "91.212",
                             int(lognorm(r, 6e3, 1.0)), int(lognorm(r, 3e3, 0.8)), 30, 50)
                # software update check against WSUS once a day, a few download patches
                if cos == "win":
                    t = a0 + r.randint(0, max(1, min(b0 - a0, 20 * HOUR)))
                    if t < b0:
                        self.tcp(r, t, c, cos, ip["wsus"], 8530, L7["wsus"], 6000,
                                 int(lognorm(r, 90e3, 0.8)), 0.5, 200, tls=False)
                        if r.random() < 0.12:
                            for k in range(r.randint(1, 4)):
                                self.tcp(r, t + (k + 1) * r.randint(3, 60) * SEC, c, cos, ip["wsus"],
                                         8530, L7["wsus"], 3000,
                                         int(clamp(lognorm(r, 80e6, 1.0), 1e6, 1.5e9)), 0.5, 300,
                                         tls=False)
            # the person at the desk
            doh = [] if d.x["doh"] else None
            mail_evs, smb_evs = [], []
            for a, b in present:
                a0, b0 = max(a, t0), min(b, t1)
                if a0 >= b0:
                    continue
                for t in poisson_times(r, a0, b0, 26, lambda t: 0.55 + 0.45 * rhythm("office", t)):
                    self.browse(r, t, d, "staff", True, doh, res)
                for t in poisson_times(r, a0, b0, 3):
                    size = int(clamp(lognorm(r, 15e3, 1.6), 1e3, 25e6))
                    self.tcp(r, t, c, cos, ip["mail"], 587, L7["smtps"], size, 2500, 0.5, 100)
                for t in poisson_times(r, a0, b0, 10):
                    mail_evs.append((t, int(clamp(lognorm(r, 20e3, 1.4), 500, 30e6))))
                for t in poisson_times(r, a0, b0, 7):
                    smb_evs.append((t, int(clamp(lognorm(r, 250e3, 2.0), 2e3, 2e9)), r.random() < 0.7))
                for t in poisson_times(r, a0, b0, 0.4):
                    self.print_job(r, t, d)
                if d.x["stale"]:  # a licensed app still points at a retired license server
                    for t in poisson_times(r, a0, b0, 1.5):
                        self.tcp_fail(r, t, c, cos, "10.10.2.99", 27000, L7["flexlm"], "timeout",
                                      tries=3)
                if d.x["oldport"]:  # an old bookmark to a port that is closed now
                    for t in poisson_times(r, a0, b0, 0.8):
                        self.tcp_fail(r, t, c, cos, ip["intranet"], 8080, L7["http"], "refused")
                if st.x["it"]:
                    for t in poisson_times(r, a0, b0, 1.2):
                        tgt = r.choice([h for h in S.srv.values() if h.kind == "server"])
                        port = 3389 if tgt.os == "win" else 22
                        dur = clamp(lognorm(r, 12, 1.0), 1, 120) * MIN
                        self.interactive(r, t, d, tgt.ip, port, dur)
                # VoIP calls from the desk phone
                for t in poisson_times(r, a0, b0, 1.0):
                    self.voip_call(r, t, phone, external=r.random() < 0.35)
            # meetings: on the hour / half hour while present
            for a, b in present:
                a0, b0 = max(a, t0), min(b, t1)
                slot = a0 - a0 % (30 * MIN) + 30 * MIN
                while slot + 30 * MIN < b0:
                    if r.random() < 0.11:
                        length = (30 if r.random() < 0.55 else 60) * MIN
                        start = slot + int(clamp(r.gauss(60, 90), -120, 600) * SEC)
                        end = min(b0, slot + length + int(r.uniform(-300, 400) * SEC))
                        self.meeting(r, start, end, d, True)
                        slot += length
                    else:
                        slot += 30 * MIN
            if doh is not None:
                self.doh_flush(r, d, doh)
            # persistent IMAPS and SMB sessions, open from arrival to departure
            hdr = HDR.get(cos, 52)
            for a, b in present:
                a0, b0 = max(a, t0), min(b, t1)
                if a0 >= b0:
                    continue
                for port, l7, src in ((993, L7["imaps"], mail_evs), (445, L7["smb"], smb_evs)):
                    evs = [(a0 + r.randint(20, 120) * SEC, 200, 4, 800 + 4 * hdr, 4, 5200 + 4 * hdr,
                            SYN | ACK | PSH, SYN | ACK | PSH)]
                    for ev in src:
                        if not a0 <= ev[0] < b0:
                            continue
                        if port == 993:
                            cp, cb, sp, sb = self.wire(180, ev[1], hdr)
                            evs.append((ev[0], 50 + ev[1] / 5e3, cp, cb, sp, sb, PSH | ACK, PSH | ACK))
                        else:
                            up, down = (600, ev[1]) if ev[2] else (ev[1], 600)
                            cp, cb, sp, sb = self.wire(up, down, hdr)
                            evs.append((ev[0], 20 + (up + down) / 8e4, cp, cb, sp, sb,
                                        PSH | ACK, PSH | ACK))
                    if port == 993:  # IDLE refresh every 29 min
                        for t in range(a0 + 29 * MIN, b0, 29 * MIN):
                            evs.append((t, 30, 1, 60 + hdr, 1, 80 + hdr, PSH | ACK, PSH | ACK))
                    evs.sort()
                    evs.append((b0 - r.randint(0, 60) * SEC, 3, 2, 2 * hdr + 40, 1, hdr + 40,
                                FIN | ACK | PSH, FIN | ACK))
                    self.merged(c, eph(r, cos), ip["mail"] if port == 993 else ip["filer"], port,
                                TCP, l7, self.split_long(evs))
            # desk phone: SIP registration every 10 min, all day
            reg = r.randint(0, 600 * SEC)
            for t in range(t0 + reg, t1, 600 * SEC):
                self.udp(t, r.uniform(6, 40), phone.ip, 5060, ip["pbx"], 5060, L7["sip"], 2,
                         r.randint(1100, 1400), 2, r.randint(900, 1300))
            for t in range(t0 + r.randint(0, HOUR), t1, HOUR):
                self.udp(t, r.uniform(0.3, 2), phone.ip, r.randint(1024, 65535), ip["ntp"], 123,
                         L7["ntp"], 1, 48, 1, 48)
            for day in self.days:  # nightly provisioning check
                t = day + 3 * HOUR + r.randint(0, 30 * MIN)
                self.tcp(r, t, phone.ip, "iot", ip["pbx"], 443, L7["tls"], 400, 6000, 0.5, 50)

    @staticmethod
    def split_long(evs):
        """Cap the duration of a single exchange so merged rows respect the active timeout."""
        out = []
        for ev in evs:
            if ev[1] > 100_000:
                ev = (ev[0], 100_000) + tuple(ev[2:])
            out.append(ev)
        return out

    def boot(self, r, t, d, dc, res):
        """A Windows/Linux domain machine starts: DHCP, Kerberos, LDAP, GPO."""
        ip = self.ip
        relay = d.ip.rsplit(".", 1)[0] + ".1"
        self.udp(t, r.uniform(5, 40), relay, 67, ip["dhcp"], 67, L7["dhcp"], 2, 620, 2, 640)
        t += r.randint(2, 8) * SEC
        self.dns(r, t, d.ip, d.os, res, internal=True)
        if d.os == "win":
            self.gpo(r, t + 300, d, dc, res, boot=True)
        else:
            self.tcp(r, t + 300, d.ip, d.os, dc, 389, L7["ldap"], 800, 4000, 0.4, 300, tls=False)

    def gpo(self, r, t, d, dc, res, boot=False):
        c, cos = d.ip, d.os
        self.dns(r, t, c, cos, res, internal=True)
        t += 10
        self.tcp(r, t, c, cos, dc, 88, L7["kerberos"], r.randint(1400, 2200), r.randint(1500, 2600),
                 0.4, 300, tls=False, tail=False, think=2)
        for k in range(r.randint(1, 3)):
            self.tcp(r, t + 30 + k * 15, c, cos, dc, 389, L7["ldap"], r.randint(300, 1500),
                     int(lognorm(r, 6e3, 1.0)), 0.4, 300, tls=False, tail=False, think=3)
        if r.random() < 0.3:
            self.udp(t + 20, 1, c, eph(r, cos), dc, 389, L7["ldap"], 1, 180, 1, 240)  # CLDAP ping
        self.tcp(r, t + 120, c, cos, dc, 445, L7["smb"], 3000, int(lognorm(r, 25e3 if not boot else 300e3, 1.0)),
                 0.4, 300, tls=False, think=10)
        if r.random() < 0.4:
            self.tcp(r, t + 90, c, cos, dc, 135, L7["rpc"], 200, 150, 0.4, 300, tls=False,
                     tail=False, think=2)

    def interactive(self, r, t, d, dst, port, dur):
        """An SSH or RDP session: a long connection, keystrokes and screen updates."""
        c, cos = d.ip, d.os
        rdp = port == 3389
        secs = dur / 1000
        up = int(secs * r.uniform(200, 1500 if rdp else 80))
        down = int(secs * r.uniform(3000, 40000) if rdp else secs * r.uniform(150, 2500))
        cp, cb, sp, sb = self.wire(up, down, HDR.get(cos, 52))
        cp += int(secs * (8 if rdp else 1))  # small interactive packets
        cb += int(secs * (8 if rdp else 1)) * 60
        sp += int(secs * (3 if rdp else 1))
        sb += int(secs * (3 if rdp else 1)) * 80
        self.flow(t, dur, c, eph(r, cos), dst, port, TCP, L7["rdp" if rdp else "ssh"], cb + 3000, cp + 3,
                  sb + 4000, sp + 2, SYN | ACK | PSH | FIN, SYN | ACK | PSH | FIN)

    # -- wifi (eduroam + guest)
    def g_wifi(self):
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        r0 = self.rng("wifi", "leases")
        lease = {}

        def addr(dev, day):
            key = (dev.name, dev.kind, day)
            if key not in lease:
                n = r0.randrange(0, 32 * 254)
                lease[key] = f"172.24.{n // 254}.{1 + n % 254 + (1 if n % 254 == 0 else 0)}"
            return lease[key]

        people = [(st.name, "staff", st.x["wifi"]) for st in S.staff] + \
                 [(s.name, "student", s.x["wifi"]) for s in S.students]
        for pid, kind, devs in people:
            r = self.rng("wifi", pid)
            for day in self.days:
                p = self.presence(pid, day, kind)
                if not p:
                    continue
                a, b, lunch = p
                for dev in devs:
                    if dev.kind == "laptop" and kind == "student":
                        # the laptop comes out for part of the day only
                        sa = a + int(r.uniform(0, 0.3) * (b - a))
                        sb = sa + int(r.uniform(0.3, 0.9) * (b - sa))
                    else:
                        sa, sb = a + r.randint(0, 5 * MIN), b + r.randint(0, 10 * MIN)
                    dev.ip = addr(dev, day)
                    self.wifi_session(r, dev, max(sa, t0), min(sb, t1), kind, joined=sa >= t0)
        # guests on the open guest network
        r = self.rng("wifi", "guests")
        for day in self.days:
            n = poisson(r, (S.scale / 12) * (1.0 if weekday(day) < 5 else 0.3))
            for g in range(n):
                a = day + int(clamp(r.gauss(12, 2.5), 8, 19) * HOUR)
                b = a + int(clamp(lognorm(r, 1.8, 0.6), 0.3, 8) * HOUR)
                dev = Site._mobile(r, f"guest{g}") if r.random() < 0.7 else Site._laptop(r, f"guest{g}")
                dev.ip = f"172.25.{r.randint(0, 3)}.{r.randint(2, 254)}"
                a0, b0 = max(a, t0), min(b, t1)
                if a0 >= b0:
                    continue
                self.udp(a0, r.uniform(5, 50), "172.25.0.1", 67, ip["dhcp"], 67, L7["dhcp"], 2, 640, 2, 650)
                self.tcp(r, a0 + 3000, dev.ip, dev.os, S.wlc.ip, 443, L7["tls"], 2500, 30e3, 2, 20)
                rate = 10 if dev.kind == "phone" else 16
                for t in poisson_times(r, a0, b0, rate):
                    self.browse(r, t, dev, "guest", False, None, S.dns_google)

    def wifi_session(self, r, dev, a, b, kind, joined=True):
        if a >= b:
            return
        S, ip = self.site, self.ip
        c, cos = dev.ip, dev.os
        if joined:
            # association: 802.1X via the controller, DHCP via the relay
            k = r.randint(8, 12)
            self.udp(a, r.uniform(60, 400), S.wlc.ip, 32769,
                     ip["radius"], 1812, L7["radius"], k, k * r.randint(250, 600), k,
                     k * r.randint(300, 1200))
            self.tcp(r, a + 80, ip["radius"], "linux", ip["dc1"], 389, L7["ldap"], 500, 2200, 0.4, 300,
                     tls=False, tail=False, think=2)
            self.udp(a + 450, r.uniform(1, 5), S.wlc.ip, 32770, ip["radius"], 1813, L7["radius"], 1,
                     r.randint(180, 260), 1, 48)
            self.udp(a + 700, r.uniform(3, 40), "172.24.0.1", 67, ip["dhcp"], 67, L7["dhcp"], 2, 640,
                     2, 650)
            a += 2 * SEC
        for t in range(a + 30 * MIN, b, 30 * MIN):  # lease renewals (1 h leases)
            self.udp(t, r.uniform(2, 30), c, 68, ip["dhcp"], 67, L7["dhcp"], 1, 300, 1, 300)
        for t in range(a + 15 * MIN, b, 15 * MIN):  # accounting interim updates
            self.udp(t + r.randint(0, 2000), r.uniform(1, 5), S.wlc.ip, 32770, ip["radius"], 1813,
                     L7["radius"], 1, r.randint(200, 280), 1, 48)
        self.udp(b, 2, S.wlc.ip, 32770, ip["radius"], 1813, L7["radius"], 1, 260, 1, 48)
        self.push_channel(r, dev, a, b)
        # NTP (mobile OSes use public servers)
        ntp = S.svc["apple"].ips.items[3] if cos in ("ios", "mac") else (
            S.svc["google"].ips.items[5] if cos == "android" else ip["ntp"])
        self.udp(a + 1500, r.uniform(8, 40), c, eph(r, cos), ntp, 123, L7["ntp"], 1, 48, 1, 48)
        # app background sync
        sync = 6 if dev.kind == "phone" else 3
        mixname = "phone" if dev.kind == "phone" else kind
        for t in poisson_times(r, a, b, sync):
            svc = S.mix["phone"].pick(r)
            if not svc.internal:
                self.tcp(r, t, c, cos, svc.ips.pick(r), 443, "91.%d" % svc.app,
                         int(lognorm(r, 2e3, 0.8)), int(lognorm(r, 8e3, 1.2)), svc.rtt + 6, 15)
        # the user
        rate = 9 if dev.kind == "phone" else (18 if kind == "student" else 12)
        doh = [] if dev.x.get("doh") else None
        shape = lambda t: 0.35 + 0.65 * rhythm("campus", t)
        for t in poisson_times(r, a, b, rate, shape):
            self.browse(r, t, dev, mixname, False, doh)
        if doh is not None:
            self.doh_flush(r, dev, doh)
        if dev.kind == "laptop":
            for t in poisson_times(r, a, b, 0.06 if kind == "student" else 0.03):
                self.stream(r, t, dev, wired=False)
            if kind == "student":
                for t in poisson_times(r, a, b, 0.05):
                    self.meeting(r, t, min(b, t + int(r.uniform(25, 60) * MIN)), dev, False)
        # big OS update once in a while
        if r.random() < 0.01:
            t = a + r.randint(0, max(1, b - a))
            svc = S.svc["apple"] if cos in ("ios", "mac") else S.svc["akamai"]
            self.tcp(r, t, c, cos, svc.ips.pick(r), 443, "91.%d" % svc.app, 3000,
                     int(lognorm(r, 1.2e9, 0.6)), 12, 25)

    def stream(self, r, t, dev, wired=True):
        """A video streaming session (YouTube over QUIC or Netflix over TLS)."""
        S = self.site
        dur = int(clamp(lognorm(r, 25, 0.8), 3, 150) * MIN)
        kbps = r.uniform(1500, 7000) if wired else r.uniform(1000, 4000)
        c, cos = dev.ip, dev.os
        if r.random() < 0.55:
            svc = S.svc["youtube"]
            ip = svc.ips.pick(r)
            down = int(kbps * 125 * dur / 1000)
            self.dns(r, t - 50, c, cos, self.ip[dev.x.get("resolver", "dns1")])
            self.quic(r, t, c, cos, ip, "188.124", down // 60 + 3000, down, 15, kbps / 1000 * 1.05)
        else:
            svc = S.svc["netflix"]
            ip = svc.ips.pick(r)
            down = int(kbps * 125 * dur / 1000)
            self.dns(r, t - 50, c, cos, self.ip[dev.x.get("resolver", "dns1")])
            self.tcp(r, t, c, cos, ip, 443, "91.133", down // 80 + 3000, down, 15, kbps / 1000 * 1.05,
                     close="crst")

    # -- teaching labs
    def g_labs(self):
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        blocks = (8, 10, 12, 14, 16, 18)
        occ = (0.55, 0.8, 0.5, 0.75, 0.6, 0.3)
        for pc in S.labs:
            r = self.rng("labs", pc.name)
            c, cos = pc.ip, pc.os
            res = ip[pc.x["resolver"]]
            dc = ip["dc1"] if pc.x["lab"] % 2 else ip["dc2"]
            for day in self.days:
                wd = weekday(day)
                on, off = (day + 7 * HOUR, day + int(22.5 * HOUR)) if wd < 5 else \
                    (day + int(9.5 * HOUR), day + int(18.5 * HOUR))
                on += r.randint(0, 10 * MIN)
                a0, b0 = max(on, t0), min(off, t1)
                if a0 >= b0:
                    continue
                if on >= t0:
                    self.boot(r, on, pc, dc, res)
                    if cos == "win":
                        self.tcp(r, on + 90 * SEC, c, cos, ip["wsus"], 8530, L7["wsus"], 5000,
                                 int(lognorm(r, 80e3, 0.8)), 0.5, 200, tls=False)
                    else:  # apt
                        self.tcp(r, on + 90 * SEC, c, cos, S.svc["ubuntu"].ips.pick(r), 80, L7["http"],
                                 2000, int(lognorm(r, 3e6, 1.5)), 25, 80, tls=False)
                for t in range(a0 + r.randint(0, HOUR), b0, (3600 if cos == "win" else 1024) * SEC):
                    self.udp(t, r.uniform(0.2, 1.5), c, 123 if cos == "win" else eph(r, cos),
                             dc if cos == "win" else ip["ntp"], 123, L7["ntp"], 1, 48, 1, 48)
                for t in range(a0 + r.randint(0, 90 * MIN), b0, 90 * MIN):
                    if cos == "win":
                        self.gpo(r, t, pc, dc, res)
                # student sessions
                sessions = []
                if wd < 5:
                    for blk, p in zip(blocks, occ):
                        if r.random() < p:
                            s = day + blk * HOUR + int(abs(r.gauss(0, 4)) * MIN)
                            sessions.append((s, s + int(r.uniform(40, 110) * MIN)))
                        elif r.random() < 0.2:
                            s = day + blk * HOUR + r.randint(10, 90) * MIN
                            sessions.append((s, s + int(r.uniform(15, 60) * MIN)))
                else:
                    for t in poisson_times(r, day + 10 * HOUR, day + 17 * HOUR, 0.25):
                        sessions.append((t, t + int(r.uniform(30, 120) * MIN)))
                last = 0
                for s, e in sessions:
                    if s < last:
                        continue
                    e = min(e, off - 5 * MIN)
                    last = e
                    if e <= s:
                        continue
                    self.lab_session(r, pc, s, e, dc, res)

    def lab_session(self, r, pc, s, e, dc, res):
        ip = self.ip
        c, cos = pc.ip, pc.os
        t0, t1 = self.t0, self.t1
        if not (t0 <= s < t1):
            return
        e = min(e, t1)
        # logon: Kerberos, LDAP, profile / home directory
        self.dns(r, s, c, cos, res, internal=True)
        self.tcp(r, s + 20, c, cos, dc, 88, L7["kerberos"], r.randint(1400, 2200),
                 r.randint(1500, 2800), 0.4, 300, tls=False, tail=False, think=2)
        self.tcp(r, s + 60, c, cos, dc, 389, L7["ldap"], 900, int(lognorm(r, 8e3, 0.8)), 0.4, 300,
                 tls=False, tail=False, think=2)
        hdr = HDR.get(cos, 52)
        if cos == "win":
            prof = int(clamp(lognorm(r, 40e6, 1.0), 2e6, 900e6))
            srv, port, l7 = ip["filer"], 445, L7["smb"]
        else:
            prof = int(clamp(lognorm(r, 5e6, 1.0), 2e5, 200e6))
            srv, port, l7 = ip["nfs"], 2049, L7["nfs"]
        evs = [(s + 500, 100, 3, 600 + 3 * hdr, 3, 1400 + 3 * hdr, SYN | ACK | PSH, SYN | ACK | PSH)]
        cp, cb, sp, sb = self.wire(20000, prof, hdr)
        evs.append((s + 800, min(100_000, prof * 8 / 400e3), cp, cb, sp, sb, PSH | ACK, PSH | ACK))
        for t in poisson_times(r, s + 2 * MIN, e - MIN, 8):
            size = int(clamp(lognorm(r, 200e3, 1.8), 2e3, 500e6))
            rd = r.random() < 0.6
            cp, cb, sp, sb = self.wire(600 if rd else size, size if rd else 600, hdr)
            evs.append((t, min(100_000, 20 + size * 8 / 300e3), cp, cb, sp, sb, PSH | ACK, PSH | ACK))
        up = int(clamp(lognorm(r, 5e6, 1.2), 1e5, 300e6))
        cp, cb, sp, sb = self.wire(up, 8000, hdr)
        evs.append((e - 40 * SEC, min(100_000, up * 8 / 300e3), cp, cb, sp, sb, PSH | ACK, PSH | ACK))
        evs.append((e, 5, 2, 2 * hdr, 1, hdr, FIN | ACK, FIN | ACK))
        self.merged(c, eph(r, cos) if port == 445 else r.randint(700, 1023), srv, port, TCP, l7, evs)
        # licensed software (FlexLM) check-out at app start
        if r.random() < 0.5:
            self.tcp(r, s + r.randint(2, 10) * MIN, c, cos, ip["license"], 27000, L7["flexlm"], 600, 400,
                     0.4, 100, tls=False, tail=False, think=5)
            self.tcp(r, s + r.randint(10, 14) * MIN, c, cos, ip["license"], 27001, L7["flexlm"], 1500,
                     1200, 0.4, 100, tls=False, tail=False, think=5)
        for t in poisson_times(r, s, e, 20, lambda t: 0.6 + 0.4 * rhythm("campus", t)):
            self.browse(r, t, pc, "lab", True, None, res)
        for t in poisson_times(r, s, e, 0.3):
            self.print_job(r, t, pc)
        if cos == "linux":
            for t in poisson_times(r, s, e, 0.4):
                dur = clamp(lognorm(r, 15, 0.8), 1, (e - t) / MIN) * MIN
                self.interactive(r, t, pc, ip["hpc1"] if r.random() < 0.6 else ip["hpc2"], 22, dur)

    # -- research workstations and the HPC cluster
    def g_research(self):
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        for w in S.research:
            r = self.rng("research", w.name)
            c, cos = w.ip, w.os
            res = ip["dns2"]
            shape = lambda t: 0.08 + 0.92 * rhythm("office", t)
            # NFS mount: persistent, bursts of reads/writes (rows cut by idle/active timeouts)
            evs = []
            for t in poisson_times(r, t0, t1, 24, shape):
                size = int(clamp(lognorm(r, 2e6, 2.0), 4e3, 6e9))
                rd = r.random() < 0.65
                dur = size * 8 / (r.uniform(300, 900) * 1000)
                cp, cb, sp, sb = self.wire(400 if rd else size, size if rd else 400)
                if dur > 100_000:
                    self.flow(t, dur, c, 870 + S.research.index(w) % 100, ip["nfs"], 2049, TCP,
                              L7["nfs"], cb, cp, sb, sp, PSH | ACK, PSH | ACK, midstream=True)
                    continue
                evs.append((t, dur + 2, cp, cb, sp, sb, PSH | ACK, PSH | ACK))
            for t in range(t0 + r.randint(0, 60 * SEC), t1, 60 * SEC):  # NFS lease renewals
                if r.random() < 0.35:
                    evs.append((t, 1, 1, 200, 1, 140, PSH | ACK, PSH | ACK))
            evs.sort()
            self.merged(c, 870 + S.research.index(w) % 100, ip["nfs"], 2049, TCP, L7["nfs"], evs)
            doh = [] if w.x["doh"] else None
            for t in poisson_times(r, t0, t1, 10, shape):
                self.browse(r, t, w, "research", True, doh, res)
            if doh is not None:
                self.doh_flush(r, w, doh)
            for t in poisson_times(r, t0, t1, 1.2, shape):  # SSH to the cluster
                dur = clamp(lognorm(r, 25, 1.0), 1, 240) * MIN
                self.interactive(r, t, w, ip["hpc1"] if r.random() < 0.5 else ip["hpc2"], 22, dur)
                if r.random() < 0.3:  # scp results back
                    size = int(clamp(lognorm(r, 200e6, 1.3), 1e6, 20e9))
                    self.tcp(r, t + dur, w.ip, cos, ip["hpc1"], 22, L7["ssh"], 40e3, size, 0.3, 600,
                             tls=False)
            for t in poisson_times(r, t0, t1, 1.5, shape):  # git
                gh = S.svc["github"].ips.pick(r)
                self.dns(r, t, c, cos, res)
                if r.random() < 0.5:
                    self.tcp(r, t + 40, c, cos, gh, 22, L7["ssh"], int(lognorm(r, 8e3, 1.0)),
                             int(lognorm(r, 200e3, 1.8)), 30, 80, tls=False)
                else:
                    self.tcp(r, t + 40, c, cos, gh, 443, "91.203", int(lognorm(r, 6e3, 1.0)),
                             int(lognorm(r, 300e3, 1.8)), 30, 80)
            for t in poisson_times(r, t0, t1, 1.0, shape):  # pip / conda
                svc = S.svc["fastly"] if r.random() < 0.6 else S.svc["cloudflare"]
                for k in range(r.randint(1, 6)):
                    self.tcp(r, t + k * 700, c, cos, svc.ips.pick(r), 443, "91.%d" % svc.app, 1500,
                             int(clamp(lognorm(r, 3e6, 1.5), 5e3, 900e6)), 10, 150)
            for t in poisson_times(r, t0, t1, 0.08, shape):  # dataset download
                size = int(clamp(lognorm(r, 4e9, 1.0), 100e6, 60e9))
                self.tcp(r, t, c, cos, S.svc["aws"].ips.pick(r), 443, "91.178", 20e3, size, 40,
                         r.uniform(200, 800))
            for day in self.days:  # unattended upgrades
                t = day + 6 * HOUR + 25 * MIN + r.randint(0, 40 * MIN)
                if t0 <= t < t1:
                    self.tcp(r, t, c, cos, S.svc["ubuntu"].ips.pick(r), 80, L7["http"], 2000,
                             int(lognorm(r, 2e6, 1.6)), 25, 100, tls=False)
            for t in range(t0 + r.randint(0, 1024 * SEC), t1, 1024 * SEC):
                self.udp(t, r.uniform(0.2, 1.2), c, eph(r, cos), ip["ntp"], 123, L7["ntp"], 1, 48, 1, 48)
        # HPC login nodes: bulk to the cluster filesystem, while jobs run
        r = self.rng("research", "hpc")
        for node in ("hpc1", "hpc2"):
            for t in poisson_times(r, t0, t1, 1.0, lambda t: 0.3 + 0.7 * rhythm("office", t)):
                size = int(clamp(lognorm(r, 1e9, 1.0), 50e6, 100e9))
                dur = size * 8 / (r.uniform(800, 3000) * 1000)
                up = r.random() < 0.5
                cp, cb, sp, sb = self.wire(size if up else 2000, 2000 if up else size)
                self.flow(t, dur, ip[node], r.randint(700, 1023), ip["hpcfs"], 2049, TCP, L7["nfs"],
                          cb, cp, sb, sp, PSH | ACK, PSH | ACK, midstream=True)

    # -- residence halls
    def g_residence(self):
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        home = lambda t: rhythm("home", t)
        for res in S.residents:
            r = self.rng("res", res.name)
            for dev in res.x["wifi"]:
                c, cos = dev.ip, dev.os
                if dev.kind in ("phone", "laptop"):
                    self.push_channel(r, dev, t0, t1)
                    rate = 14 if dev.kind == "laptop" else 10
                    for t in poisson_times(r, t0, t1, rate, home):
                        self.browse(r, t, dev, "home", False, None)
                if dev.kind in ("laptop", "tv"):
                    for t in poisson_times(r, t0, t1, 0.35 if dev.kind == "tv" else 0.15, home):
                        self.stream(r, t, dev, wired=False)
                if dev.kind == "tv":
                    for t in range(t0 + r.randint(0, 10 * MIN), t1, 10 * MIN):
                        self.tcp(r, t, c, cos, S.svc["aws"].ips.items[7], 443, "91.178",
                                 r.randint(700, 1500), r.randint(600, 4000), 40, 10)
                if dev.kind == "console" or (dev.kind == "laptop" and res.x["gamer"]):
                    for t in poisson_times(r, t0, t1, 0.35, lambda t: rhythm("home", t) ** 2):
                        self.game(r, t, dev)
                    if dev.kind == "console" and r.random() < 0.08:
                        t = self.days[0] + 3 * HOUR + r.randint(0, 2 * HOUR)
                        self.tcp(r, t, c, cos, S.svc["akamai"].ips.pick(r), 443, "91.0", 5000,
                                 int(lognorm(r, 8e9, 0.6)), 10, 300)
                # DHCP renewals (8 h lease)
                for t in range(t0 + r.randint(0, 4 * HOUR), t1, 4 * HOUR):
                    self.udp(t, r.uniform(1, 8), c, 68, ip["dhcp"], 67, L7["dhcp"], 1, 300, 1, 300)

    def game(self, r, t, dev):
        S = self.site
        dur = int(clamp(lognorm(r, 60, 0.7), 10, 300) * MIN)
        gs = S.svc["games"].ips.pick(r)
        self.tcp(r, t, dev.ip, dev.os, gs, 443, "91.74", 3000, int(lognorm(r, 60e3, 1.0)), 30, 20)
        port = r.choice((3074, 27015, 27016, 27017, 9000, 7777))
        pps = r.uniform(25, 64)
        n = int(pps * dur / 1000)
        self.udp(t + 3000, dur, dev.ip, r.choice((3074, eph(r, dev.os))), gs, port,
                 L7["steam"] if port >= 27015 else L7["unknown"], n, n * r.randint(60, 140), n,
                 n * r.randint(90, 260))

    # -- IoT: cameras, printers, sensors
    def g_iot(self):
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        nvr = ip["nvr"]
        for cam in S.cameras:
            r = self.rng("iot", cam.name)
            # reconnects split the day into sessions
            cuts = sorted(poisson_times(r, t0, t1, 1.5 / 24))
            bounds = [t0] + cuts + [t1]
            for si in range(len(bounds) - 1):
                a, b = bounds[si], bounds[si + 1]
                first = si > 0
                if first:
                    a += r.randint(2, 30) * SEC
                if a >= b:
                    continue
                if not cam.x["rtp_udp"]:
                    cport = eph(r, "linux")
                    t = a
                    while t < b:
                        e = min(b, t - t % HOUR + HOUR)
                        night = 1.0 if 7 <= (t % DAY) / HOUR < 20 else cam.x["night"]
                        ob = int(cam.x["kbps"] * night * 125 * (e - t) / 1000)
                        opk = ob // 1380 + 1
                        ipk = opk // 2 + 1
                        cf = SYN | ACK | PSH | (FIN if e == b and b < t1 else 0)
                        sf = SYN | ACK | PSH | (RST if e == b and b < t1 else 0)
                        self.flow(t, e - t, nvr, cport, cam.ip, 554, TCP, L7["rtsp"], ipk * 52 + 600,
                                  ipk, ob, opk, cf, sf, midstream=not (first and t == a))
                        t = e
                else:
                    # RTSP control keep-alive (GET_PARAMETER every 55 s) + RTP over UDP
                    cport = eph(r, "linux")
                    evs = []
                    if first:
                        evs.append((a, 200, 5, 1200, 5, 1800, SYN | ACK | PSH, SYN | ACK | PSH))
                    for t in range(a + 55 * SEC, b, 55 * SEC):
                        evs.append((t, r.uniform(2, 20), 1, 180, 1, 200, PSH | ACK, PSH | ACK))
                    self.merged(nvr, cport, cam.ip, 554, TCP, L7["rtsp"], evs)
                    rtp = 2 * r.randint(25000, 32000)
                    t = a + 500
                    while t < b:
                        e = min(b, t - t % HOUR + HOUR)
                        night = 1.0 if 7 <= (t % DAY) / HOUR < 20 else cam.x["night"]
                        ib = int(cam.x["kbps"] * night * 125 * (e - t) / 1000)
                        ipk = ib // 1300 + 1
                        opk = max(1, (e - t) // 5000)
                        self.flow(t, e - t, cam.ip, 50000 + (ip2int(cam.ip) & 255) * 2, nvr, rtp, UDP,
                                  L7["rtp"], ib, ipk, opk * 80, opk)
                        t = e
            if cam.x["phone_home"]:  # vendor cloud, blocked by the firewall: SYNs only
                dst = S.cam_cloud[ip2int(cam.ip) % 2]
                for t in range(t0 + r.randint(0, 5 * MIN), t1, 5 * MIN):
                    self.tcp_fail(r, t + r.randint(0, 3000), cam.ip, "iot", dst, 8000, L7["unknown"],
                                  "timeout", tries=r.choice((2, 3, 4)))
            for t in range(t0 + r.randint(0, HOUR), t1, HOUR):
                self.udp(t, r.uniform(0.3, 3), cam.ip, 123, ip["ntp"], 123, L7["ntp"], 1, 48, 1, 48)
        # printers: queue status from the print server, vendor cloud check-ins
        for prn in S.printers:
            r = self.rng("iot", prn.name)
            sp = r.randint(49152, 65535)
            for t in range(t0 + r.randint(0, 300 * SEC), t1, 300 * SEC):
                k = r.randint(2, 5)
                self.udp(t, r.uniform(4, 60), ip["print"], sp, prn.ip, 161, L7["snmp"], k, k * 90,
                         k, k * r.randint(120, 400))
            for t in range(t0 + r.randint(0, HOUR), t1, HOUR):
                self.tcp(r, t, prn.ip, "iot", S.svc["aws"].ips.items[11], 443, "91.178", 1800,
                         2500, 35, 10)
                self.dns(r, t - 40, prn.ip, "iot", ip["dns1"])
        # building sensors: MQTT over TLS, publish every 5 min, reconnect about daily
        broker = ip["mqtt"]
        for s in S.sensors:
            r = self.rng("iot", s.name)
            cuts = sorted(poisson_times(r, t0, t1, 1 / 24))
            bounds = [t0] + cuts + [t1]
            for si in range(len(bounds) - 1):
                a, b = bounds[si], bounds[si + 1]
                evs = []
                if si > 0:
                    evs.append((a, 300, 6, 1400, 5, 3600, SYN | ACK | PSH, SYN | ACK | PSH))
                for t in range(a + r.randint(0, 300 * SEC), b, 300 * SEC):
                    t += r.randint(0, 2000)
                    evs.append((t, r.uniform(5, 60), 1, r.randint(180, 420), 1, r.randint(60, 90),
                                PSH | ACK, PSH | ACK))
                if si < len(bounds) - 2:
                    evs.append((b - 10, 5, 1, 52, 1, 40, RST | ACK, ACK))
                self.merged(s.ip, r.randint(1024, 65535), broker, 8883, TCP, L7["mqtt"], evs)

    # -- traffic from the internet to the DMZ
    def g_inbound(self):
        S, ip = self.site, self.ip
        t0, t1 = self.t0, self.t1
        r = self.rng("inbound")
        portal = ip["portal"]
        pub = lambda t: rhythm("public", t)
        # visitor sessions on the portal
        for t in poisson_times(r, t0, t1, 2.2 * S.scale, pub):
            v = S.home_isp.pick(r) if r.random() < 0.7 else rand_public(r, S.known)
            cos = r.choice(("win", "mac", "ios", "android", "linux"))
            rtt = lognorm(r, 35, 0.6)
            bw = lognorm(r, 20, 0.8)
            if r.random() < 0.08:
                self.tcp(r, t, v, cos, portal, 80, L7["http"], 400, 600, rtt, bw, tls=False)
                t += int(rtt * 3 + 50)
            for k in range(1 + (r.random() < 0.5) + (r.random() < 0.2)):
                down = int(clamp(lognorm(r, 120e3, 1.4), 2e3, 800e6))
                up = int(lognorm(r, 1500, 0.8)) + (int(lognorm(r, 2e6, 1.2)) if r.random() < 0.01 else 0)
                t = self.tcp(r, t + r.randint(0, 20 * SEC) * (k > 0), v, cos, portal, 443, L7["tls"],
                             up, down, rtt, bw)
        # search engine crawlers: a few sources, many connections (benign)
        for t in poisson_times(r, t0, t1, 180):
            src = r.choice(S.crawlers)
            for k in range(r.randint(1, 4)):
                self.tcp(r, t + k * r.randint(200, 4000), src, "linux", portal, 443, L7["tls"],
                         r.randint(300, 900), int(lognorm(r, 40e3, 1.0)), 25, 100, close="fin")
        # uptime monitors
        for src in S.uptime:
            for t in range(t0 + r.randint(0, 5 * MIN), t1, 5 * MIN):
                self.tcp(r, t, src, "linux", portal, 443, L7["tls"], 350, int(lognorm(r, 30e3, 0.1)),
                         60, 100, tail=False, close="fin")
        # public FTP mirror downloads: control + passive data connection
        for t in poisson_times(r, t0, t1, 12, lambda t: 0.4 + 0.6 * pub(t)):
            v = S.home_isp.pick(r)
            rtt = lognorm(r, 40, 0.5)
            size = int(clamp(lognorm(r, 30e6, 1.5), 10e3, 4e9))
            bw = lognorm(r, 30, 0.7)
            dur = size * 8 / (bw * 1000)
            self.tcp(r, t, v, "linux", ip["ftp"], 21, L7["ftp"], 250, 900, rtt, bw, tls=False,
                     think=dur + 2000, tail=False, close="fin")
            self.tcp(r, t + int(rtt * 6), v, "linux", ip["ftp"], r.randint(50000, 50100),
                     L7["ftp_data"], 0, size, rtt, bw, tls=False, tail=False, close="fin", think=5)
            if r.random() < 0.03:  # client behind NAT that cannot reach the data port
                self.tcp_fail(r, t + 5000, v, "linux", ip["ftp"], r.randint(50000, 50100),
                              L7["ftp_data"], "refused", tries=1)
        # IT admins on the SSH bastion, CI deploy bots, staff on the RDP jump host / VPN
        admins = [st for st in S.staff if st.x["it"]] or S.staff[:2]
        for st in admins:
            for t in poisson_times(r, t0, t1, 0.5, lambda t: 0.3 + 0.7 * pub(t)):
                d = Host(st.x["remote"], "linux")
                self.interactive(r, t, d, ip["bastion"], 22, clamp(lognorm(r, 20, 1.0), 1, 180) * MIN)
        for bot in S.ci_bots:
            for t in range(t0 + r.randint(0, 15 * MIN), t1, 15 * MIN):
                if r.random() < 0.8:
                    self.tcp(r, t + r.randint(0, 20 * SEC), bot, "linux", ip["bastion"], 22, L7["ssh"],
                             int(lognorm(r, 20e3, 0.6)), int(lognorm(r, 12e3, 0.6)), 30, 100,
                             tls=False, think=4000)
        for st in S.staff:
            if r.random() < 0.12:
                for day in self.days:
                    if r.random() < 0.4:
                        a = day + int(r.uniform(18, 22) * HOUR)
                        dur = int(clamp(lognorm(r, 50, 0.6), 5, 180) * MIN)
                        d = Host(st.x["remote"], "win")
                        if r.random() < 0.5:
                            self.interactive(r, a, d, ip["rdpjump"], 3389, dur)
                        else:
                            n = int(dur / 1000 * r.uniform(5, 60))
                            self.udp(a, dur, st.x["remote"], r.randint(1024, 65535), ip["vpn"], 1194,
                                     L7["openvpn"], n, n * r.randint(120, 500), n,
                                     n * r.randint(300, 1200))
        # internet background radiation: one-off probes from random sources to the DMZ
        dmz_ports = (23, 22, 445, 3389, 80, 443, 8080, 1433, 6379, 9200, 2323, 5555, 8443, 25, 21)
        for t in poisson_times(r, t0, t1, 70):
            src = rand_public(r, S.known)
            dst = r.choice(S.dmz).ip if r.random() < 0.5 else "172.20.0.%d" % r.randint(1, 254)
            for k in range(r.choice((1, 1, 1, 2, 3))):
                port = r.choice(dmz_ports)
                h = S.by_ip.get(dst)
                cp = r.randint(1024, 65535)
                tt = t + k * r.randint(50, 3000)
                if h is None:
                    self.row(tt, tt, src, cp, dst, port, TCP, L7["unknown"], 40, 1, 0, 0, SYN, 0, None)
                elif port in h.tcp:
                    self.row(tt, tt + int(lognorm(r, 60, 0.5)), src, cp, dst, port, TCP, L7["unknown"],
                             80, 2, 44, 1, SYN | RST, SYN | ACK, None)
                else:
                    self.row(tt, tt + r.randint(0, 2), src, cp, dst, port, TCP, L7["unknown"], 40, 1,
                             40, 1, SYN, RST | ACK, None)

    # ---- attacks --------------------------------------------------------------------------
    def span(self, dur):
        return int(min(dur, 0.8 * (self.t1 - self.t0)))

    def pick_time(self, r, dur):
        lo, hi = self.t0 + 5 * SEC, self.t1 - int(dur) - 5 * SEC
        if hi <= lo:
            return lo
        if r.random() < 0.5:  # busy hours
            for _ in range(200):
                t = r.randint(lo, hi)
                if r.random() < rhythm("office", t):
                    return t
        return r.randint(lo, hi)

    def insider(self, r):
        S = self.site
        pool = [s.x["desk"] for s in S.staff if s.x["desk"].x["always_on"]] + S.research
        return r.choice(pool)

    def a_portscan(self, r, ep):
        S = self.site
        variant = r.choice(("syn-fast", "syn-fast", "syn-slow", "connect"))
        if r.random() < 0.45:
            att = self.insider(r)
            src, sos = att.ip, att.os
            vic = r.choice([h for h in S.srv.values() if h.kind == "server" and not h.ip.startswith("172.20")]
                           + S.printers[:2] + S.cameras[:2])
        else:
            src, sos = rand_public(r, S.known), "linux"
            vic = r.choice(S.dmz)
        ep.variant = variant
        if variant == "syn-slow":
            n = r.randint(100, 600)
        elif variant == "connect":
            n = r.randint(300, 1500)
        else:
            n = r.choice((1000, 1000, 1024, r.randint(2000, 5000)))
        ports = list(range(1, n + 1)) if r.random() < 0.4 else \
            r.sample(range(1, 65536), n)
        for p in vic.tcp:
            if p not in ports and r.random() < 0.8:
                ports[r.randrange(len(ports))] = p
        r.shuffle(ports)
        filt = r.uniform(0.03, 0.3)
        filtered = set(p for p in ports if r.random() < filt)
        if variant == "syn-fast":
            gap = 1000.0 / r.uniform(300, 3000)
        elif variant == "connect":
            gap = 1000.0 / r.uniform(80, 800)
        else:
            gap = r.uniform(400, 15000)
            gap = min(gap, self.span(3 * HOUR) / n)
        t = self.pick_time(r, n * gap + 30 * SEC)
        sport = r.randint(32768, 60999)
        rtt = r.uniform(0.3, 2) if src.startswith("10.") else r.uniform(20, 120)
        opened = []
        for p in ports:
            tt = int(t)
            if p in vic.tcp:
                opened.append(p)
                if variant == "connect":
                    self.row(tt, tt + int(rtt) + 1, src, eph(r, sos), vic.ip, p, TCP, L7["unknown"],
                             164, 3, 60, 1, SYN | ACK | RST, SYN | ACK, ep)
                else:
                    self.row(tt, tt + int(rtt) + 1, src, sport, vic.ip, p, TCP, L7["unknown"],
                             84, 2, 44, 1, SYN | RST, SYN | ACK, ep)
            elif p in filtered:
                k = r.choice((1, 2, 2))
                self.row(tt, tt + (0 if k == 1 else int(r.uniform(300, 1300))), src,
                         eph(r, sos) if variant == "connect" else sport, vic.ip, p, TCP, L7["unknown"],
                         (60 if variant == "connect" else 44) * k, k, 0, 0, SYN, 0, ep)
            else:
                self.row(tt, tt + r.randint(0, 2), src, eph(r, sos) if variant == "connect" else sport, vic.ip,
                         p, TCP, L7["unknown"], 60 if variant == "connect" else 44, 1, 40, 1, SYN,
                         RST | ACK, ep)
            t += gap * r.uniform(0.5, 1.5)
        if opened and variant == "syn-fast" and r.random() < 0.5:  # service/version probes
            for p in opened:
                self.tcp(r, t + r.randint(100, 3000), src, sos, vic.ip, p, L7["unknown"],
                         r.randint(20, 400), r.randint(0, 2000), rtt, 20, ep, tls=False, tail=False,
                         think=r.uniform(50, 5000))
        lo, hi = min(ports), max(ports)
        ep.who([src], [vic.ip], [f"tcp/{lo}-{hi}" if hi - lo + 1 == len(ports) else "tcp/*"])

    def a_hostsweep(self, r, ep):
        S = self.site
        variant = r.choice(("tcp", "tcp", "icmp", "udp"))
        if r.random() < 0.55:
            att = self.insider(r)
            src, sos = att.ip, att.os
            nets = r.sample(S.internal_subnets(), r.randint(1, min(6, len(S.internal_subnets()))))
        else:
            src, sos = rand_public(r, S.known), "linux"
            nets = ["172.20.0.0/24"] + (["172.20.1.0/24"] if r.random() < 0.5 else [])
        targets = []
        for n in nets:
            base = n.rsplit(".", 1)[0]
            targets += [f"{base}.{i}" for i in range(1, 255)]
        targets = [x for x in targets if x != src]
        if r.random() < 0.5:
            r.shuffle(targets)
        fast = r.random() < 0.6
        gap = 1000.0 / r.uniform(50, 500) if fast else r.uniform(300, 8000)
        gap = min(gap, self.span(4 * HOUR) / len(targets))
        t = self.pick_time(r, gap * len(targets) + 30 * SEC)
        rtt = r.uniform(0.3, 2) if src.startswith("10.") else r.uniform(20, 120)
        sport = r.randint(32768, 60999)
        by_ip = S.by_ip
        if variant == "tcp":
            port = r.choice((22, 445, 3389, 23, 80, 443, 5900, 8080, 1433))
            ep.variant = f"tcp/{port}"
            services = [f"tcp/{port}"]
            syn_scan = r.random() < 0.6
            for dst in targets:
                tt = int(t)
                h = by_ip.get(dst)
                sp = sport if syn_scan else eph(r, sos)
                if h is None or (h.os == "win" and port not in h.tcp and r.random() < 0.8):
                    k = r.choice((1, 2))
                    self.row(tt, tt + (0 if k == 1 else 1000), src, sp, dst, port, TCP, L7["unknown"],
                             44 * k, k, 0, 0, SYN, 0, ep)
                elif port in h.tcp:
                    if syn_scan:
                        self.row(tt, tt + int(rtt) + 1, src, sp, dst, port, TCP, L7["unknown"], 84, 2,
                                 44, 1, SYN | RST, SYN | ACK, ep)
                    else:
                        self.row(tt, tt + int(rtt) + 1, src, sp, dst, port, TCP, L7["unknown"], 164, 3,
                                 60, 1, SYN | ACK | RST, SYN | ACK, ep)
                else:
                    self.row(tt, tt + r.randint(0, 2), src, sp, dst, port, TCP, L7["unknown"], 44, 1, 40, 1,
                             SYN, RST | ACK, ep)
                t += gap * r.uniform(0.6, 1.4)
        elif variant == "icmp":
            nmap = r.random() < 0.5
            ep.variant = "icmp" + ("/nmap-sn" if nmap else "/echo")
            services = ["icmp/echo"] + (["tcp/443", "tcp/80"] if nmap else [])
            for dst in targets:
                tt = int(t)
                h = by_ip.get(dst)
                alive = h is not None and not (h.os == "win" and h.kind == "desktop" and r.random() < 0.7)
                if nmap:
                    self.row(tt, tt + r.randint(0, 2), src, 0, dst, 2048, ICMP, L7["icmp"], 28, 1,
                             28 if alive else 0, 1 if alive else 0, 0, 0, ep)
                    self.row(tt, tt + r.randint(0, 2), src, 0, dst, 3328, ICMP, L7["icmp"], 40, 1,
                             40 if alive and r.random() < 0.5 else 0, 1 if alive and r.random() < 0.5 else 0,
                             0, 0, ep)
                    exists = h is not None
                    self.row(tt + 1, tt + 1 + r.randint(0, 2), src, sport, dst, 443, TCP, L7["unknown"], 44, 1,
                             40 if exists else 0, 1 if exists else 0, SYN, (RST | ACK) if exists else 0,
                             ep)
                    self.row(tt + 1, tt + 1 + r.randint(0, 2), src, sport, dst, 80, TCP, L7["unknown"], 40, 1,
                             40 if exists else 0, 1 if exists else 0, ACK, RST if exists else 0, ep)
                else:
                    k = 1 if alive else r.choice((1, 2, 3))
                    self.ping(r, tt, src, dst, reply=alive, n=k, ep=ep)
                t += gap * r.uniform(0.6, 1.4)
        else:
            port = r.choice((5060, 161, 1900, 123))
            ep.variant = f"udp/{port}"
            services = [f"udp/{port}"]
            for dst in targets:
                tt = int(t)
                h = by_ip.get(dst)
                q = {5060: 420, 161: 43, 1900: 94, 123: 48}[port]
                if h is not None and port in h.udp:
                    a = {5060: 480, 161: 120, 1900: 300, 123: 48}[port]
                    self.udp(tt, r.uniform(0.1, 2), src, sport, dst, port, "0.0", 1, q, 1, a, ep)
                else:
                    self.udp(tt, 0, src, sport, dst, port, "0.0", 1, q, 0, 0, ep)
                    if h is not None:  # port unreachable from a live host
                        self.row(tt + 1, tt + 1, dst, 0, src, 771, ICMP, L7["icmp"],
                                 56 + q, 1, 0, 0, 0, 0, ep)
                t += gap * r.uniform(0.6, 1.4)
        ep.who([src], nets, services)

    def a_bruteforce(self, r, ep):
        S, ip = self.site, self.ip
        svc = r.choice(("ssh", "ssh", "rdp", "ftp", "web"))
        external = r.random() < 0.75
        if external:
            src, sos = rand_public(r, S.known), "linux"
            dst = {"ssh": ip["bastion"], "rdp": ip["rdpjump"], "ftp": ip["ftp"], "web": ip["portal"]}[svc]
        else:
            att = self.insider(r)
            src, sos = att.ip, att.os
            if svc == "ssh":
                dst = r.choice([ip["hpc1"], ip["hpc2"]] + [w.ip for w in S.research])
            elif svc == "rdp":
                dst = r.choice([ip["intranet"], ip["wsus"], ip["mssql"]] +
                               [s.x["desk"].ip for s in S.staff if 3389 in s.x["desk"].tcp])
            elif svc == "ftp":
                dst = ip["ftp"]
            else:
                dst = ip["lms"]
        if dst == src:
            dst = ip["hpc1"]
        port = {"ssh": 22, "rdp": 3389, "ftp": 21, "web": 443}[svc]
        speed = "fast" if r.random() < 0.55 else "slow"
        ep.variant = f"{svc} {speed}"
        if speed == "fast":
            n = int(clamp(lognorm(r, 500, 0.8), 60, 2000))
            tasks = r.choice((4, 8, 16, 16, 32))
            per = {"ssh": 2.5, "rdp": 1.2, "ftp": 3.2, "web": 0.6}[svc] * r.uniform(0.6, 1.5)
            gap = per * 1000 / tasks
        else:
            n = r.randint(20, 300)
            gap = r.uniform(5, 90) * SEC
            gap = min(gap, self.span(3 * HOUR) / n)
        t = self.pick_time(r, n * gap + MIN)
        rtt = r.uniform(0.3, 2) if not external else r.uniform(15, 150)
        cport = eph(r, sos)
        lo, hi = EPH.get(sos, EPH["linux"])
        l7 = {"ssh": L7["ssh"], "rdp": L7["rdp"], "ftp": L7["ftp"], "web": L7["tls"]}[svc]
        for i in range(n):
            cport += r.randint(1, 3)
            if cport > hi:
                cport = lo + (cport - hi)
            throttled = r.random() < (0.08 if speed == "fast" else 0.02)
            if svc == "ssh":
                tries = r.choice((1, 1, 2, 3, 3, 6))
                up, down = r.randint(1300, 1900) + 180 * tries, r.randint(1700, 2600) + 90 * tries
                think = 2000 * tries + r.uniform(0, 600)
            elif svc == "rdp":
                up, down = r.randint(2500, 4500), r.randint(4000, 7500)
                think = r.uniform(80, 600)
            elif svc == "ftp":
                tries = r.choice((1, 1, 2, 3))
                up, down = 25 + 40 * tries, 90 + 110 * tries
                think = 2500 * tries * r.uniform(0.8, 1.2)
            else:
                tries = r.choice((1, 1, 1, 2, 5, 10))
                up, down = r.randint(900, 1600) * tries, r.randint(2500, 9000) * tries
                think = r.uniform(60, 400) * tries
            if throttled:
                self.tcp(r, t, src, sos, dst, port, l7, 0, 30 if svc != "web" else 0, rtt, 20, ep,
                         tls=False, cport=cport, close="srst", tail=False, think=2)
            else:
                self.tcp(r, t, src, sos, dst, port, l7, up, down, rtt, 20, ep, tls=False, cport=cport,
                         close="fin", tail=False, think=think)
            t += gap * r.uniform(0.2, 1.8) if speed == "fast" else gap * r.uniform(0.5, 1.5)
        if r.random() < 0.15:  # a password worked: a real session follows
            dur = clamp(lognorm(r, 5, 0.8), 0.5, 40) * MIN
            secs = dur / 1000
            self.flow(t + 2000, dur, src, cport + 1, dst, port, TCP, l7, int(secs * 300) + 4000,
                      int(secs * 3) + 10, int(secs * 2000) + 6000, int(secs * 3) + 10,
                      SYN | ACK | PSH | FIN, SYN | ACK | PSH | FIN, ep)
            ep.variant += " (success)"
        ep.who([src], [dst], [f"tcp/{port}"])

    def a_dos(self, r, ep):
        S, ip = self.site, self.ip
        variant = r.choice(("http-flood", "http-flood", "syn-flood"))
        srcs = [rand_public(r, S.known) for _ in range(r.randint(1, 4))]
        if variant == "http-flood":
            port = r.choice((443, 443, 80))
            dst = ip["portal"]
            rate = r.uniform(20, 120)
            dur = r.uniform(60, 480) * SEC
            n = int(min(rate * dur / 1000, 25000))
            dur = n / rate * 1000
            t = self.pick_time(r, dur + MIN)
            start = t
            page = int(lognorm(r, 30e3, 0.6))
            ep.variant = f"http-flood tcp/{port}"
            for i in range(n):
                t += r.expovariate(rate / 1000)
                s = srcs[i % len(srcs)]
                load = (t - start) / max(1.0, dur)
                rtt = r.uniform(20, 90)
                if load > 0.3 and r.random() < 0.05:
                    self.tcp_fail(r, t, s, "linux", dst, port, L7["http"], "timeout", ep, tries=r.choice((1, 2)))
                elif load > 0.3 and r.random() < 0.35:
                    x = r.random()
                    self.tcp(r, t, s, "linux", dst, port, L7["tls" if port == 443 else "http"],
                             r.randint(250, 600), 180 if x < 0.7 else 0, rtt, 50, ep, tls=port == 443,
                             close="fin" if x < 0.7 else "srst", tail=False,
                             think=r.uniform(500, 8000))
                else:
                    self.tcp(r, t, s, "linux", dst, port, L7["tls" if port == 443 else "http"],
                             r.randint(250, 600), int(page * r.uniform(0.97, 1.03)), rtt, 50, ep,
                             tls=port == 443, close="fin" if r.random() < 0.8 else "crst", tail=False,
                             think=r.uniform(10, 400))
            ep.who(srcs, [dst], [f"tcp/{port}"])
        else:
            dst, port = r.choice(((ip["portal"], 443), (ip["portal"], 80), (ip["bastion"], 22),
                                  (ip["mx"], 25)))
            rate = r.uniform(100, 400)
            dur = r.uniform(30, 180) * SEC
            n = int(min(rate * dur / 1000, 25000))
            dur = n / rate * 1000
            t = self.pick_time(r, dur + MIN)
            ep.variant = f"syn-flood tcp/{port}"
            sp = {s: r.randint(1024, 60000) for s in srcs}
            for i in range(n):
                t += r.expovariate(rate / 1000)
                s = srcs[i % len(srcs)]
                sp[s] = sp[s] + 1 if sp[s] < 65535 else 1024
                x = r.random()
                tt = int(t)
                if x < 0.6:
                    k = r.choice((1, 2, 3, 5, 6))
                    d = (0, 1000, 3000, 7000, 15000, 31000)[k - 1]
                    self.row(tt, tt + d, s, sp[s], dst, port, TCP, L7["unknown"], 40, 1, 44 * k, k,
                             SYN, SYN | ACK, ep)
                elif x < 0.9:
                    self.row(tt, tt, s, sp[s], dst, port, TCP, L7["unknown"], 40, 1, 0, 0, SYN, 0, ep)
                else:
                    self.row(tt, tt + r.randint(10, 200), s, sp[s], dst, port, TCP, L7["unknown"], 40, 1,
                             84, 2, SYN, SYN | ACK | RST, ep)
            ep.who(srcs, [dst], [f"tcp/{port}"])

    def a_ddos(self, r, ep):
        S, ip = self.site, self.ip
        variant = r.choice(("udp-amp", "udp-amp", "syn", "http"))
        dst = r.choice((ip["portal"], ip["portal"], ip["vpn"], ip["mx"]))
        dur = self.span(r.uniform(2, 15) * MIN)
        start = self.pick_time(r, dur + MIN)
        cap = 30000
        if variant == "udp-amp":
            vec, sport, pkt = r.choice((("dns", 53, 1400), ("ntp", 123, 468), ("memcached", 11211, 1400),
                                        ("ssdp", 1900, 320), ("cldap", 389, 1480)))
            segs = max(1, -(-int(dur) // self.at))
            nref = int(clamp(r.randint(200, 2500), 50, cap // (segs * 2)))
            refl = [rand_public(r, S.known) for _ in range(nref)]
            ep.variant = f"udp-amplification {vec}"
            dports = [r.randint(1024, 65535) for _ in range(r.randint(1, 3))] if r.random() < 0.6 else [80]
            for s in refl:
                a = start + int(r.uniform(0, 0.2) * dur)
                b = start + int(dur * r.uniform(0.8, 1.0))
                pps = r.uniform(1, 40)
                for dp in dports[:r.randint(1, len(dports))]:
                    k = int(pps * (b - a) / 1000) + 1
                    self.flow(a, b - a, s, sport, dst, dp, UDP, {"dns": L7["dns"], "ntp": L7["ntp"]}.get(vec, "0.0"),
                              k * pkt, k, 0, 0, ep=ep)
            ep.who(refl, [dst], [f"udp/{sport}"])
        elif variant == "syn":
            port = 443 if dst != ip["mx"] else 25
            nb = r.randint(300, 2500)
            bots = [rand_public(r, S.known) for _ in range(nb)]
            ep.variant = f"syn tcp/{port}"
            fixed = r.random() < 0.5
            per = max(1, cap // nb)
            for s in bots:
                if fixed:  # one source port: the exporter aggregates SYNs into a few rows
                    pps = r.uniform(5, 60)
                    a = start + int(r.uniform(0, 0.15) * dur)
                    b = start + int(dur * r.uniform(0.85, 1.0))
                    k = int(pps * (b - a) / 1000) + 1
                    self.flow(a, b - a, s, r.randint(1024, 65535), dst, port, TCP, L7["unknown"], 40 * k, k,
                              44 * int(k * 0.9), int(k * 0.9), SYN, SYN | ACK, ep)
                else:
                    for i in range(r.randint(1, min(15, per))):
                        tt = start + r.randint(0, int(dur))
                        k = r.choice((1, 2, 3))
                        self.row(tt, tt + (0, 1000, 3000)[k - 1], s, r.randint(1024, 65535), dst, port,
                                 TCP, L7["unknown"], 40, 1, 44 * k, k, SYN, SYN | ACK, ep)
            ep.who(bots, [dst], [f"tcp/{port}"])
        else:
            dst = ip["portal"]
            nb = r.randint(200, 800)
            bots = [rand_public(r, S.known) for _ in range(nb)]
            ep.variant = "http GET flood tcp/443"
            per = max(2, min(30, cap // nb))
            for s in bots:
                for i in range(r.randint(2, per)):
                    tt = start + r.randint(0, int(dur))
                    self.tcp(r, tt, s, "win", dst, 443, L7["tls"], r.randint(300, 700),
                             int(lognorm(r, 30e3, 0.3)), r.uniform(20, 200), 20, ep, tail=False,
                             close="fin" if r.random() < 0.7 else "crst", think=r.uniform(50, 3000))
            ep.who(bots, [dst], ["tcp/443"])

    def a_exfil(self, r, ep):
        S = self.site
        att = self.insider(r)
        c, cos = att.ip, att.os
        dst = rand_public(r, S.known) if r.random() < 0.5 else rand_in(r, "3.208.0.0/12")
        while dst in S.known:
            dst = rand_public(r, S.known)
        port = r.choice((443, 443, 443, 22, 8443))
        total = int(clamp(lognorm(r, 600e6, 0.6), 150e6, 3e9))
        mode = r.choice(("burst", "chunked", "slow"))
        ep.variant = f"{mode} tcp/{port}"
        l7 = L7["ssh"] if port == 22 else (L7["tls"] if port == 443 else L7["unknown"])
        rtt = r.uniform(20, 150)
        if mode == "burst":
            k = r.randint(1, 4)
            bw = r.uniform(20, 200)
            dur = total / k * 8 / (bw * 1000)
            t = self.pick_time(r, dur + MIN)
            for i in range(k):
                self.tcp(r, t + i * r.randint(50, 2000), c, cos, dst, port, l7, total // k, 40e3, rtt, bw,
                         ep, tls=port != 22, close="fin", tail=False)
        elif mode == "chunked":
            k = r.randint(5, 30)
            bw = r.uniform(10, 80)
            pauses = [r.uniform(10, 600) * SEC for _ in range(k)]
            est = sum(pauses) + total * 8 / (bw * 1000)
            if est > self.span(6 * HOUR):
                pauses = [p * self.span(6 * HOUR) / est for p in pauses]
            t = self.pick_time(r, est + MIN)
            for i in range(k):
                part = int(total / k * r.uniform(0.7, 1.3))
                t = self.tcp(r, t, c, cos, dst, port, l7, part, 8e3, rtt, bw, ep, tls=port != 22,
                             close="fin", tail=False) + int(pauses[i])
        else:
            k = r.randint(1, 3)
            bw = max(r.uniform(1, 5), total / k * 8 / (self.span(4 * HOUR) * 1000 * 0.9))
            dur = total / k * 8 / (bw * 1000)
            t = self.pick_time(r, dur + MIN)
            for i in range(k):
                self.tcp(r, t + i * r.randint(1000, 60000), c, cos, dst, port, l7, total // k, 80e3, rtt,
                         bw, ep, tls=port != 22, close="fin", tail=False)
        ep.who([c], [dst], [f"tcp/{port}"])

    def a_dnstunnel(self, r, ep):
        S, ip = self.site, self.ip
        att = self.insider(r)
        c, cos = att.ip, att.os
        ns = rand_public(r, S.known)
        mode = r.choice(("direct", "resolver"))
        qps = r.uniform(0.5, 8)
        dur = self.span(r.uniform(5, 60) * MIN)
        n = int(min(qps * dur / 1000, 6000))
        dur = n / qps * 1000
        t = self.pick_time(r, dur + MIN)
        down = r.random() < 0.6
        ep.variant = f"{mode} {'download' if down else 'upload'}"
        times = []
        for i in range(n):
            burst = r.random() < 0.1
            t += r.expovariate(qps / 1000) * (0.1 if burst else 1)
            times.append(t)
        if mode == "direct":
            sp = r.randint(1024, 65535)
            evs = []
            for tt in times:
                q = r.randint(120, 280)
                a = r.randint(150, 620) if down else r.randint(90, 160)
                evs.append((tt, r.uniform(20, 120), 1, q + 28, 1, a + 28, 0, 0))
            self.merged(c, sp, ns, 53, UDP, L7["dns"], evs, ep)
            ep.who([c], [ns], ["udp/53"])
        else:
            resv = ip[att.x.get("resolver", "dns1")]
            for tt in times:
                q = r.randint(120, 280)
                a = r.randint(150, 620) if down else r.randint(90, 160)
                lat = r.uniform(20, 120)
                self.udp(tt, lat + 1, c, eph(r, cos), resv, 53, L7["dns"], 1, q, 1, a, ep)
                self.udp(tt + 0.5, lat, resv, r.randint(1024, 65535), ns, 53, L7["dns"], 1, q + 11, 1,
                         a + 11, ep)
            ep.who([c], [resv, ns], ["udp/53"])

    def a_beacon(self, r, ep):
        S = self.site
        att = self.insider(r)
        c, cos = att.ip, att.os
        c2 = rand_public(r, S.known) if r.random() < 0.6 else rand_in(r, "52.0.0.0/11")
        while c2 in S.known:
            c2 = rand_public(r, S.known)
        port = r.choice((443, 443, 443, 80, 8080, 8443))
        period = r.choice((30, 60, 60, 120, 300, 600, 900)) * SEC
        jitter = r.uniform(0.0, 0.4)
        persistent = r.random() < 0.2
        dur = self.span(r.uniform(2, 20) * HOUR)
        n = int(min(dur / period, 3000))
        dur = n * period
        t = self.pick_time(r, dur + MIN)
        ep.variant = f"{'persistent' if persistent else 'periodic'} {period // SEC}s tcp/{port}"
        l7 = L7["tls"] if port in (443, 8443) else L7["http"]
        rtt = r.uniform(20, 150)
        hdr = HDR.get(cos, 52)
        evs = []
        for i in range(n):
            tt = t + int(period * (i + r.uniform(-jitter, jitter)))
            task = r.random() < 0.03
            up = r.randint(300, 900) + (int(lognorm(r, 20e3, 1.2)) if r.random() < 0.03 else 0)
            down = r.randint(200, 700) + (int(lognorm(r, 60e3, 1.2)) if task else 0)
            if persistent:
                cp, cb, sp, sb = self.wire(up, down, hdr)
                evs.append((tt, rtt * 2 + 5, cp, cb, sp, sb, PSH | ACK, PSH | ACK))
            elif r.random() < 0.02:
                self.tcp_fail(r, tt, c, cos, c2, port, l7, "timeout", ep)
            else:
                self.tcp(r, tt, c, cos, c2, port, l7, up, down, rtt, 10, ep, tls=port in (443, 8443),
                         close="fin", tail=False, think=r.uniform(20, 200))
        if persistent and evs:
            evs.sort()
            evs.insert(0, (evs[0][0] - 300, 200, 3, 900, 2, 3500, SYN | ACK | PSH, SYN | ACK | PSH))
            evs.append((evs[-1][0] + 1000, 5, 1, hdr, 1, hdr, FIN | ACK, FIN | ACK))
            self.merged(c, eph(r, cos), c2, port, TCP, l7, evs, ep)
        ep.who([c], [c2], [f"tcp/{port}"])

    ATTACKS = {"PortScan": "a_portscan", "HostSweep": "a_hostsweep", "BruteForce": "a_bruteforce",
               "DoS": "a_dos", "DDoS": "a_ddos", "Exfiltration": "a_exfil", "DNSTunnel": "a_dnstunnel",
               "C2Beacon": "a_beacon"}

    # ---- driver -------------------------------------------------------------------------
    def run(self, attacks, episodes, log=None):
        comps = ("g_infra", "g_servers", "g_staff", "g_wifi", "g_labs", "g_research",
                 "g_residence", "g_iot", "g_inbound")
        for name in comps:
            n0, c0 = len(self.rows), time.perf_counter()
            getattr(self, name)()
            if log:
                log(f"  {name[2:]:<10} {len(self.rows) - n0:>8} rows  {time.perf_counter() - c0:6.1f} s")
        for cls in attacks:
            for k in range(1, episodes + 1):
                ep = Episode(cls, k)
                getattr(self, self.ATTACKS[cls])(self.rng("attack", cls, k), ep)
                if ep.rows:
                    self.episodes.append(ep)
                if log:
                    log(f"  attack {ep.name:<48} {ep.rows:>7} rows")
        self.rows.sort(key=lambda x: x[0])


def write_labels(path, gen: Gen, description, command):
    eps = sorted(gen.episodes, key=lambda e: (e.first, e.cls, e.idx))
    q = json.dumps
    out = ["[capture]", f"description = {q(description)}",
           f"benign = {'true' if not eps else 'false'}",
           f"bytes = {gen.nbytes}   # total bytes of all rows (IN+OUT)",
           f"commands = [{q(command)}]", ""]
    for ep in eps:
        out += ["[[attack]]", f"name = {q(ep.name)}", f"class = {q(ATTACK_CLASSES[ep.cls])}",
                f"attackers = [{', '.join(q(x) for x in ep.attackers)}]",
                f"victims = [{', '.join(q(x) for x in ep.victims)}]",
                f"services = [{', '.join(q(x) for x in ep.services)}]",
                f"start = {q(rfc3339(ep.first))}", f"end = {q(rfc3339(ep.last))}",
                f"# rows = {ep.rows}, bytes = {ep.bytes}", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


def parse_attacks(s: str):
    s = s.strip()
    if s.lower() == "none" or not s:
        return []
    if s.lower() == "all":
        return list(ATTACK_CLASSES)
    names = {k.lower(): k for k in ATTACK_CLASSES}
    names.update({v: k for k, v in ATTACK_CLASSES.items()})
    out = []
    for x in s.split(","):
        x = x.strip()
        if not x:
            continue
        if x.lower() not in names:
            raise SystemExit(f"unknown attack class {x!r}; known: {', '.join(ATTACK_CLASSES)}")
        if names[x.lower()] not in out:
            out.append(names[x.lower()])
    return out


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description="Synthetic labelled NetFlow (NF-v2 CSV) for a campus.")
    p.add_argument("--seed", type=int, default=1, help="traffic seed (default 1)")
    p.add_argument("--site-seed", type=int, default=0,
                   help="seed of the campus layout; keep it fixed to get the same network (default 0)")
    p.add_argument("--start", default="2026-10-05T00:00:00Z", help="RFC 3339 start (default %(default)s)")
    p.add_argument("--hours", type=float, default=24.0, help="hours to generate (default 24)")
    p.add_argument("--scale", type=int, default=300, help="number of end users (default 300)")
    p.add_argument("--attacks", default="all", help="comma list of classes, 'all' or 'none' (default all)")
    p.add_argument("--episodes", type=int, default=2, help="episodes per attack class (default 2)")
    p.add_argument("--out", default="-", help="CSV output file ('-' = stdout)")
    p.add_argument("--labels", help="write a TOML labels file here")
    p.add_argument("--active-timeout", type=float, default=120.0, help="exporter active timeout, s")
    p.add_argument("--idle-timeout", type=float, default=15.0, help="exporter idle timeout, s")
    p.add_argument("--quiet", action="store_true", help="no progress/summary on stderr")
    p.add_argument("--stats", action="store_true", help="also print rows per hour and class")
    a = p.parse_args(argv)
    if a.scale < 10:
        p.error("--scale must be at least 10")
    if a.hours <= 0:
        p.error("--hours must be positive")
    if not 10 <= a.active_timeout <= 3600 or not 1 <= a.idle_timeout <= a.active_timeout:
        p.error("need 10 <= active timeout <= 3600 and 1 <= idle timeout <= active timeout")
    attacks = parse_attacks(a.attacks)
    log = None if a.quiet else (lambda m: print(m, file=sys.stderr))
    c0 = time.perf_counter()
    site = Site(a.scale, a.site_seed)
    gen = Gen(site, a.seed, parse_start(a.start), a.hours, a.active_timeout, a.idle_timeout)
    gen.run(attacks, a.episodes, log)
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="ascii", newline="")
    try:
        out.write(",".join(COLUMNS) + "\n")
        out.writelines(line for _, line in gen.rows)
    finally:
        if out is not sys.stdout:
            out.close()
    command = "python3 tools/campusgen/campusgen.py " + " ".join(shlex.quote(x) for x in argv)
    hours = f"{a.hours:g}"
    desc = f"campusgen seed {a.seed}, {hours} h, attacks {a.attacks if attacks else 'none'}"
    if a.labels:
        write_labels(a.labels, gen, desc, command)
    if log:
        n = len(gen.rows)
        att = sum(e.rows for e in gen.episodes)
        log(f"campusgen: {n} rows ({n - att} benign, {att} attack), {gen.nbytes / 1e9:.2f} GB, "
            f"{len(gen.episodes)} episodes, {time.perf_counter() - c0:.1f} s")
        if a.stats:
            per_hour = {}
            per_class = {}
            for b, line in gen.rows:
                h = (b - gen.t0) // HOUR
                per_hour[h] = per_hour.get(h, 0) + 1
                cls = line.rsplit(",", 1)[1].strip()
                per_class[cls] = per_class.get(cls, 0) + 1
            for cls in sorted(per_class):
                log(f"  {cls:<14} {per_class[cls]:>8}")
            for h in sorted(per_hour):
                log(f"  hour {h:>3} {per_hour[h]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
