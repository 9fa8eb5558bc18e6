#!/usr/bin/env python3
"""Generate the example topologies and event streams in examples/ (seeded, reproducible).

    python3 examples/generate.py            # all files
    python3 examples/generate.py --only v2.1-test-topology.json

Every file follows docs/topology-stream.schema.json: topology files are one `snapshot`
message; event files are a JSON array of `delta` and `telemetry` messages.
Standard library only.
"""
import argparse
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_790_000_000_000  # 2026-09-21T14:13:20Z, a fixed origin so files are reproducible


def node(id, kind, asn=None, **attributes):
    n = {"id": id, "kind": kind}
    if asn is not None:
        n["asn"] = asn
    if attributes:
        n["attributes"] = {k: str(v) for k, v in attributes.items()}
    return n


def link(id, source, target, kind="ethernet", capacity=None, utilisation=None, **attributes):
    l = {"id": id, "source": source, "target": target, "kind": kind}
    if capacity is not None:
        l["capacity_bps"] = capacity
    if utilisation is not None:
        l["utilisation"] = round(utilisation, 3)
    if attributes:
        l["attributes"] = {k: str(v) for k, v in attributes.items()}
    return l


def snapshot(nodes, links):
    return {"type": "snapshot", "seq": 0, "timestamp_ms": T0, "nodes": nodes, "links": links}


def write(name, document, compact=False):
    path = os.path.join(HERE, name)
    with open(path, "w") as out:
        if compact:
            # One node or link per line: diffable and still valid JSON.
            out.write('{"type":"snapshot","seq":0,"timestamp_ms":%d,"nodes":[\n' % document["timestamp_ms"])
            out.write(",\n".join(json.dumps(n, separators=(",", ":")) for n in document["nodes"]))
            out.write('\n],"links":[\n')
            out.write(",\n".join(json.dumps(l, separators=(",", ":")) for l in document["links"]))
            out.write("\n]}\n")
        else:
            json.dump(document, out, indent=1)
            out.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def basic():
    nodes = [node(f"r{i}", "router", 65000, site="lab") for i in range(1, 5)]
    links = [
        link("r1-r2", "r1", "r2", capacity=10_000_000_000, utilisation=0.35),
        link("r2-r3", "r2", "r3", capacity=10_000_000_000, utilisation=0.42),
        link("r3-r4", "r3", "r4", capacity=10_000_000_000, utilisation=0.18),
        link("r4-r1", "r4", "r1", capacity=10_000_000_000, utilisation=0.27),
    ]
    return snapshot(nodes, links)


def clos(rng, spines=4, leaves=16):
    nodes = [node(f"spine-{s}", "spine", 65000, role="spine", tier=2, pod="pod1") for s in range(1, spines + 1)]
    nodes += [node(f"leaf-{l}", "leaf", 65100 + l, role="leaf", tier=1, pod="pod1", rack=f"r{(l + 1) // 2}") for l in range(1, leaves + 1)]
    links = []
    for l in range(1, leaves + 1):
        for s in range(1, spines + 1):
            links.append(link(f"leaf-{l}--spine-{s}", f"leaf-{l}", f"spine-{s}", "ethernet", 100_000_000_000,
                              0.15 + 0.25 * rng.random(), local_if=f"eth{s}", remote_if=f"eth{l}"))
    return snapshot(nodes, links)


def bgp_leak(rng):
    """An AS-level topology: three tier-1s peering in a triangle, six transit ASes, twelve stubs
    (each multi-homed to two transits). Observers carry `as_paths` (observer-side first, origin
    last). AS 64512 (stub-1) leaks: it re-announces a route learned from its provider AS 65011
    to its other provider AS 65012 — the last path of AS 65012 is the leak."""
    nodes, links = [], []
    tier1 = [(f"tier1-{i}", 3356 + i) for i in range(3)]
    transit = [(f"transit-{i}", 65010 + i) for i in range(1, 7)]
    stubs = [(f"stub-{i}", 64511 + i) for i in range(1, 13)]
    for name, asn in tier1:
        nodes.append(node(name, "as", asn, tier=1))
    for name, asn in transit:
        nodes.append(node(name, "as", asn, tier=2))
    for name, asn in stubs:
        nodes.append(node(name, "as", asn, tier=3))
    for i in range(3):
        a, b = tier1[i][0], tier1[(i + 1) % 3][0]
        links.append(link(f"{a}~{b}", a, b, "peer-peer", relationship="peer"))
    for i, (name, _) in enumerate(transit):
        for provider in {tier1[i % 3][0], tier1[(i + 1) % 3][0]}:
            links.append(link(f"{name}>{provider}", name, provider, "customer-provider", relationship="customer"))
    links.append(link("transit-1~transit-2", "transit-1", "transit-2", "peer-peer", relationship="peer"))
    for i, (name, _) in enumerate(stubs):
        for provider in (transit[i % 6][0], transit[(i + 1) % 6][0]):
            links.append(link(f"{name}>{provider}", name, provider, "customer-provider", relationship="customer"))
    asn = dict(tier1 + transit + stubs)
    # Valley-free paths seen by a few observers (up customers, at most one peer hop, down providers).
    observed = {
        "tier1-0": ["65011 64512", "3357 65012 64513", "65016 64517"],
        "transit-3": ["3358 3356 65011 64512", "64514"],
        "transit-2": ["64513", "3357 3356 65011"],
    }
    # The leak: stub-1 (AS 64512) learned "65011 3356" from its provider transit-1 and announces
    # it to its other provider transit-2 (AS 65012), which now sees "64512 65011 3356".
    observed["transit-2"].append("64512 65011 3356")
    for n in nodes:
        if n["id"] in observed:
            n.setdefault("attributes", {})["as_paths"] = ";".join(observed[n["id"]])
    document = snapshot(nodes, links)
    document["nodes"].sort(key=lambda n: n["id"])
    return document


def temporal(rng, fabric, minutes=60):
    """Timestamped edge events on the Clos fabric: utilisation every minute per link (a daily
    ramp plus noise), links failing and recovering, a new leaf joining with its uplinks."""
    links = [l["id"] for l in fabric["links"]]
    base = {l["id"]: l.get("utilisation", 0.2) for l in fabric["links"]}
    messages, seq = [], 0

    def emit(message):
        nonlocal seq
        seq += 1
        message["seq"] = seq
        messages.append(message)

    for minute in range(1, minutes + 1):
        ts = T0 + minute * 60_000
        ramp = 0.25 * minute / minutes
        for lid in links:
            value = min(0.99, max(0.0, base[lid] + ramp + rng.gauss(0, 0.03)))
            if lid.startswith("leaf-7--") and 30 <= minute < 40:
                value = min(0.99, 0.85 + 0.1 * rng.random())  # a hot rack
            emit({"type": "telemetry", "timestamp_ms": ts, "subject": lid, "metric": "utilisation", "value": round(value, 4)})
        if minute in (12, 41):
            victim = rng.choice(links)
            emit({"type": "delta", "timestamp_ms": ts + 1, "changes": [{"op": "link-state", "id": victim, "state": "down"}]})
            emit({"type": "delta", "timestamp_ms": ts + 20_000, "changes": [{"op": "link-state", "id": victim, "state": "up"}]})
        if minute == 25:
            changes = [{"op": "node-upsert", "node": node("leaf-17", "leaf", 65117, role="leaf", tier=1, pod="pod1", rack="r9")}]
            for s in range(1, 5):
                lid = f"leaf-17--spine-{s}"
                changes.append({"op": "link-upsert", "link": link(lid, "leaf-17", f"spine-{s}", "ethernet", 100_000_000_000, 0.05)})
            emit({"type": "delta", "timestamp_ms": ts + 2, "changes": changes})
            links.extend(f"leaf-17--spine-{s}" for s in range(1, 5))
            base.update({f"leaf-17--spine-{s}": 0.05 for s in range(1, 5)})
    return messages


def wan(rng, regions=6, dcs_per_region=4, spines=16, leaves=96, cores=8, pes=60, access=1160):
    """A multi-region WAN: per region a full mesh of core routers, PE routers dual-homed to two
    cores, access routers dual-homed to two PEs, and data-centre leaf-spine fabrics whose spines
    uplink to two cores; the regions' cores are joined in a ring plus chords."""
    nodes, links = [], []
    gbps = 1_000_000_000
    for r in range(regions):
        region = f"region-{r}"
        core = [f"{region}-core-{i}" for i in range(cores)]
        for i, c in enumerate(core):
            nodes.append(node(c, "core", 64600 + r, region=region))
        for i in range(cores):
            for j in range(i + 1, cores):
                links.append(link(f"{core[i]}--{core[j]}", core[i], core[j], "ethernet", 400 * gbps, 0.3 + 0.3 * rng.random()))
        pe = [f"{region}-pe-{i}" for i in range(pes)]
        for i, p in enumerate(pe):
            nodes.append(node(p, "pe", 64600 + r, region=region))
            for c in rng.sample(core, 2):
                links.append(link(f"{p}--{c}", p, c, "ethernet", 100 * gbps, 0.2 + 0.4 * rng.random()))
        for i in range(access):
            a = f"{region}-acc-{i}"
            nodes.append(node(a, "access", 64600 + r, region=region))
            for p in rng.sample(pe, 2):
                links.append(link(f"{a}--{p}", a, p, "ethernet", 10 * gbps, 0.1 + 0.5 * rng.random()))
        for d in range(dcs_per_region):
            dc = f"{region}-dc{d}"
            spine_ids = [f"{dc}-spine-{s}" for s in range(spines)]
            for s in spine_ids:
                nodes.append(node(s, "spine", 65000 + r * 10 + d, dc=dc))
                for c in rng.sample(core, 2):
                    links.append(link(f"{s}--{c}", s, c, "ethernet", 400 * gbps, 0.2 + 0.3 * rng.random()))
            for l in range(leaves):
                leaf_id = f"{dc}-leaf-{l}"
                nodes.append(node(leaf_id, "leaf", 4_200_000_000 + r * 100_000 + d * 1000 + l, dc=dc))
                for s in spine_ids:
                    links.append(link(f"{leaf_id}--{s}", leaf_id, s, "ethernet", 100 * gbps, 0.1 + 0.5 * rng.random()))
    for r in range(regions):
        for other in ((r + 1) % regions, (r + regions // 2) % regions):
            if other != r:
                for i in range(2):
                    a, b = f"region-{r}-core-{i}", f"region-{other}-core-{i + 2}"
                    links.append(link(f"{a}=={b}", a, b, "wan", 100 * gbps, 0.4 + 0.4 * rng.random()))
    return snapshot(nodes, links)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="generate just this file")
    args = parser.parse_args()
    fabric = clos(random.Random(2))
    outputs = {
        "topology-snapshot.json": lambda: write("topology-snapshot.json", basic()),
        "clos-fabric.json": lambda: write("clos-fabric.json", fabric),
        "bgp-leak-topology.json": lambda: write("bgp-leak-topology.json", bgp_leak(random.Random(3))),
        "temporal-events.json": lambda: write_events("temporal-events.json", temporal(random.Random(4), fabric)),
        "v2.1-test-topology.json": lambda: write("v2.1-test-topology.json", wan(random.Random(21)), compact=True),
    }
    for name, make in outputs.items():
        if args.only in (None, name):
            make()


def write_events(name, messages):
    path = os.path.join(HERE, name)
    with open(path, "w") as out:
        out.write("[\n")
        out.write(",\n".join(json.dumps(m, separators=(",", ":")) for m in messages))
        out.write("\n]\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(messages)} messages)")


if __name__ == "__main__":
    main()
