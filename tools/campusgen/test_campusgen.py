"""Tests for campusgen (standard library only).

    python3 -m unittest tools/campusgen/test_campusgen.py      (from the repository root)
    python3 tools/campusgen/test_campusgen.py
"""

import csv
import hashlib
import io
import ipaddress
import os
import subprocess
import sys
import tempfile
import tomllib
import unittest
from contextlib import redirect_stderr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campusgen  # noqa: E402

# small but complete: a busy weekday morning, every attack class, one episode each
ARGS = ["--scale", "40", "--hours", "4", "--start", "2026-10-06T07:00:00Z", "--seed", "7",
        "--episodes", "1"]
CLASSES = set(campusgen.ATTACK_CLASSES)


def generate(tmp, name, extra=()):
    out = os.path.join(tmp, name + ".csv")
    labels = os.path.join(tmp, name + ".toml")
    with redirect_stderr(io.StringIO()):
        campusgen.main(ARGS + list(extra) + ["--out", out, "--labels", labels, "--quiet"])
    return out, labels


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_rows(path):
    with open(path, newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        return header, list(rd)


def covers(entries, ip):
    a = ipaddress.ip_address(ip)
    for e in entries:
        if "/" in e:
            if a in ipaddress.ip_network(e, strict=False):
                return True
        elif e == ip:
            return True
    return False


class CampusgenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.csv, cls.toml = generate(cls.tmp.name, "all", ["--attacks", "all"])
        cls.header, cls.rows = read_rows(cls.csv)
        with open(cls.toml, "rb") as f:
            cls.labels = tomllib.load(f)
        cls.col = {name: i for i, name in enumerate(cls.header)}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    # -- determinism --------------------------------------------------------------------
    def test_deterministic(self):
        again, labels = generate(self.tmp.name, "again", ["--attacks", "all"])
        self.assertEqual(digest(self.csv), digest(again))

        def body(path):  # the labels differ only in the recorded command (output paths)
            with open(path) as f:
                return [x for x in f if not x.startswith("commands")]
        self.assertEqual(body(self.toml), body(labels))

    def test_deterministic_across_processes(self):
        """Same output whatever Python's string hash seed is."""
        outs = []
        for hs in ("1", "2"):
            out = os.path.join(self.tmp.name, f"hash{hs}.csv")
            env = dict(os.environ, PYTHONHASHSEED=hs)
            subprocess.run([sys.executable, campusgen.__file__, "--scale", "20", "--hours", "1",
                            "--start", "2026-10-06T10:00:00Z", "--episodes", "1", "--quiet",
                            "--out", out], check=True, env=env)
            outs.append(digest(out))
        self.assertEqual(outs[0], outs[1])

    def test_seed_changes_traffic(self):
        other, _ = generate(self.tmp.name, "seed8", ["--attacks", "none", "--seed", "8"])
        base, _ = generate(self.tmp.name, "seed7", ["--attacks", "none"])
        self.assertNotEqual(digest(other), digest(base))

    def test_benign_rows_do_not_depend_on_attacks(self):
        none, labels = generate(self.tmp.name, "none", ["--attacks", "none"])
        _, benign = read_rows(none)
        label = self.col["Label"]
        self.assertEqual(sorted(map(tuple, benign)),
                         sorted(tuple(r) for r in self.rows if r[label] == "0"))
        with open(labels, "rb") as f:
            lab = tomllib.load(f)
        self.assertTrue(lab["capture"]["benign"])
        self.assertNotIn("attack", lab)

    # -- schema -------------------------------------------------------------------------
    def test_columns(self):
        self.assertEqual(self.header[:18], list(campusgen.COLUMNS))
        self.assertEqual(self.header[:18], [
            "FLOW_START_MILLISECONDS", "FLOW_END_MILLISECONDS", "IPV4_SRC_ADDR", "L4_SRC_PORT",
            "IPV4_DST_ADDR", "L4_DST_PORT", "PROTOCOL", "L7_PROTO", "IN_BYTES", "IN_PKTS",
            "OUT_BYTES", "OUT_PKTS", "TCP_FLAGS", "CLIENT_TCP_FLAGS", "SERVER_TCP_FLAGS",
            "FLOW_DURATION_MILLISECONDS", "Label", "Attack"])

    def test_rows_well_formed(self):
        c = self.col
        self.assertGreater(len(self.rows), 10000)
        last_end = 0
        for r in self.rows:
            self.assertEqual(len(r), len(self.header))
            start, end = int(r[c["FLOW_START_MILLISECONDS"]]), int(r[c["FLOW_END_MILLISECONDS"]])
            self.assertGreaterEqual(end, start)
            self.assertEqual(int(r[c["FLOW_DURATION_MILLISECONDS"]]), end - start)
            self.assertLessEqual(end - start, 120_000, r)  # active timeout
            self.assertGreaterEqual(end, last_end, "rows must be sorted by end time")
            last_end = end
            ipaddress.IPv4Address(r[c["IPV4_SRC_ADDR"]])
            ipaddress.IPv4Address(r[c["IPV4_DST_ADDR"]])
            for p in (c["L4_SRC_PORT"], c["L4_DST_PORT"]):
                self.assertTrue(0 <= int(r[p]) <= 65535)
            proto = int(r[c["PROTOCOL"]])
            self.assertIn(proto, (1, 6, 17))
            float(r[c["L7_PROTO"]])
            for b, p in (("IN_BYTES", "IN_PKTS"), ("OUT_BYTES", "OUT_PKTS")):
                nb, npk = int(r[c[b]]), int(r[c[p]])
                self.assertTrue(40 * npk <= nb <= 1500 * npk, r)
            self.assertGreater(int(r[c["IN_PKTS"]]) + int(r[c["OUT_PKTS"]]), 0)
            fl, cf, sf = (int(r[c[x]]) for x in ("TCP_FLAGS", "CLIENT_TCP_FLAGS", "SERVER_TCP_FLAGS"))
            self.assertEqual(fl, cf | sf)
            if proto != 6:
                self.assertEqual(fl, 0)
            self.assertLess(fl, 64)

    def test_tcp_flag_mix(self):
        c = self.col
        pairs = {}
        for r in self.rows:
            if r[c["PROTOCOL"]] == "6" and r[c["Label"]] == "0":
                k = (int(r[c["CLIENT_TCP_FLAGS"]]), int(r[c["SERVER_TCP_FLAGS"]]))
                pairs[k] = pairs.get(k, 0) + 1
        S, A, P, F, R = 2, 16, 8, 1, 4
        self.assertIn((S | A | P | F, S | A | P | F), pairs)  # complete connections
        self.assertIn((S, R | A), pairs)  # benign refused connections
        self.assertIn((S, 0), pairs)  # benign unanswered SYNs
        self.assertIn((A | P, A | P), pairs)  # middle of long connections

    # -- labels -------------------------------------------------------------------------
    def test_label_columns_consistent(self):
        c = self.col
        seen = set()
        for r in self.rows:
            label, attack = r[c["Label"]], r[c["Attack"]]
            self.assertIn(label, ("0", "1"))
            if label == "0":
                self.assertEqual(attack, "Benign")
            else:
                self.assertIn(attack, CLASSES)
                seen.add(attack)
        self.assertEqual(seen, CLASSES)

    def test_labels_file(self):
        lab = self.labels
        cap = lab["capture"]
        self.assertFalse(cap["benign"])
        self.assertIsInstance(cap["description"], str)
        self.assertEqual(len(cap["commands"]), 1)
        total = sum(int(r[self.col["IN_BYTES"]]) + int(r[self.col["OUT_BYTES"]]) for r in self.rows)
        self.assertEqual(cap["bytes"], total)
        eps = lab["attack"]
        self.assertEqual({e["class"] for e in eps}, set(campusgen.ATTACK_CLASSES.values()))
        for e in eps:
            for k in ("name", "class", "attackers", "victims", "services", "start", "end"):
                self.assertIn(k, e)
            self.assertTrue(e["attackers"] and e["victims"] and e["services"])
            self.assertLessEqual(e["start"], e["end"])
            self.assertTrue(e["start"].endswith("Z"))

    def test_attacks_inside_labelled_spans(self):
        c = self.col
        eps = []
        for e in self.labels["attack"]:
            cls = [k for k, v in campusgen.ATTACK_CLASSES.items() if v == e["class"]][0]
            self.assertTrue(e["name"].startswith(cls))
            eps.append((cls, campusgen.parse_start(e["start"]), campusgen.parse_start(e["end"]),
                        e["attackers"] + e["victims"], e))
        hits = {id(e[4]): 0 for e in eps}
        for r in self.rows:
            if r[c["Label"]] != "1":
                continue
            start, end = int(r[c["FLOW_START_MILLISECONDS"]]), int(r[c["FLOW_END_MILLISECONDS"]])
            src, dst = r[c["IPV4_SRC_ADDR"]], r[c["IPV4_DST_ADDR"]]
            ok = False
            for cls, a, b, who, e in eps:
                if cls == r[c["Attack"]] and a <= start and end <= b and \
                        (covers(who, src) or covers(who, dst)):
                    hits[id(e)] += 1
                    ok = True
                    break
            self.assertTrue(ok, f"attack row outside every labelled episode: {r}")
        for cls, a, b, who, e in eps:
            self.assertGreater(hits[id(e)], 0, e["name"])
            # the span is tight: first row starts at `start`, last row ends at `end`
        starts = {(r[c["Attack"]], int(r[c["FLOW_START_MILLISECONDS"]])) for r in self.rows
                  if r[c["Label"]] == "1"}
        for cls, a, b, who, e in eps:
            self.assertIn((cls, a), starts, e["name"])

    def test_no_benign_row_from_attack_only_sources(self):
        """External attacker addresses never appear in benign rows (they are fresh)."""
        c = self.col
        ext = set()
        for e in self.labels["attack"]:
            for a in e["attackers"]:
                if "/" not in a and not ipaddress.ip_address(a).is_private:
                    ext.add(a)
        for r in self.rows:
            if r[c["Label"]] == "0":
                self.assertNotIn(r[c["IPV4_SRC_ADDR"]], ext)

    # -- options ------------------------------------------------------------------------
    def test_parse_attacks(self):
        self.assertEqual(campusgen.parse_attacks("none"), [])
        self.assertEqual(campusgen.parse_attacks("all"), list(campusgen.ATTACK_CLASSES))
        self.assertEqual(campusgen.parse_attacks("portscan, DDoS,beacon"),
                         ["PortScan", "DDoS", "C2Beacon"])
        with self.assertRaises(SystemExit):
            campusgen.parse_attacks("nonsense")

    def test_selected_classes_only(self):
        out, labels = generate(self.tmp.name, "two", ["--attacks", "PortScan,C2Beacon",
                                                      "--episodes", "2", "--hours", "2"])
        header, rows = read_rows(out)
        i = header.index("Attack")
        self.assertEqual({r[i] for r in rows} - {"Benign"}, {"PortScan", "C2Beacon"})
        with open(labels, "rb") as f:
            lab = tomllib.load(f)
        self.assertEqual(len(lab["attack"]), 4)


if __name__ == "__main__":
    unittest.main()
