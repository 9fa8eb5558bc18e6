#!/usr/bin/env python3
"""Train the flow graph autoencoder on benign flows and export it to ONNX.

    cargo xtask train-gae            # makes target/models-venv, data, trains, exports, checks

or by hand (what xtask runs):

    target/models-venv/bin/python models/flow-gae/train.py \
        --train target/gae-data/train.csv --val target/gae-data/val.csv --out models

Each flow window (10 s of flows by end time, as the host cuts them) is a graph: hosts are nodes,
every flow is a directed edge. The model turns raw flow columns into features itself (so the
host, the plugin and this script never disagree), embeds hosts from the flows they send and
receive and from their neighbours (two rounds of mean aggregation over the flows), and
reconstructs every flow's features from the embeddings of its two hosts. A flow's anomaly score
is its mean squared reconstruction error. It is trained on benign flows only.

Inputs  flows [F, 6] float32: bytes, packets, duration ms, protocol, TCP flags, destination port
        src   [F]    int64:   index of the flow's source host
        dst   [F]    int64:   index of the flow's destination host
        hosts [N, 3] float32: flows each host sent and received in the window, and 1 for a
                              private (RFC 1918) address, else 0
Outputs score [F]    float32: reconstruction error per flow
        threshold [1] float32: the score at and above which a flow is anomalous

The threshold is the 98.5th percentile of the scores of the validation set's *benign* flows:
no attack, of any class, is used to train or tune. Exported with torch's default (dynamo)
exporter; the legacy exporter silently turns index_add into an overwrite, so the export is
checked against torch with onnxruntime before anything is written.
"""

import argparse
import csv
import json
import math
import random
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

WINDOW_MS = 10_000
WINDOW_FLOWS = 100_000
# Features the decoder must reconstruct (volume, duration, TCP flags) and those it is given
# (protocol, service, port range): see `featurize`.
TARGETS = list(range(9))
CONTEXT = list(range(9, 9 + 3 + 10 + 2))
FEATURES = len(TARGETS) + len(CONTEXT)
SEED = 7
# The threshold passes this share of the validation set's benign flows (a 1.5% false-positive
# rate aimed at): only benign flows tune it.
THRESHOLD_QUANTILE = 0.985
EPOCHS_USED = 0


def read_windows(path):
    """Windows of a NIDS CSV, cut exactly as the host cuts a flow file (netassure-netflow
    `FlowWindows`): rows in file order, a window per `WINDOW_MS` of flow end time, at most
    `WINDOW_FLOWS` flows; a flow ending before the open window joins it. Each window:
    (flows [F,6], src [F], dst [F], hosts [N,3], labels [F], classes)."""
    groups, open_key = [], None
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            start = int(row["FLOW_START_MILLISECONDS"])
            end = int(row["FLOW_END_MILLISECONDS"])
            key = end // WINDOW_MS
            if open_key is None or key > open_key or len(groups[-1]) >= WINDOW_FLOWS:
                groups.append([])
                open_key = key if open_key is None or key > open_key else open_key
            groups[-1].append((
                row["IPV4_SRC_ADDR"], row["IPV4_DST_ADDR"],
                float(int(row["IN_BYTES"]) + int(row["OUT_BYTES"])),
                float(int(row["IN_PKTS"]) + int(row["OUT_PKTS"])),
                float(end - start), float(row["PROTOCOL"]), float(row["TCP_FLAGS"]),
                float(row["L4_DST_PORT"]), int(row["Label"]), row["Attack"],
            ))
    windows = dict(enumerate(groups))
    out = []
    for key in sorted(windows):
        rows = windows[key]
        index = {}
        src, dst = [], []
        for r in rows:
            for address, column in ((r[0], src), (r[1], dst)):
                if address not in index:
                    index[address] = len(index)
                column.append(index[address])
        n = len(index)
        hosts = np.zeros((n, 3), dtype=np.float32)
        np.add.at(hosts[:, 0], src, 1.0)
        np.add.at(hosts[:, 1], dst, 1.0)
        for address, i in index.items():
            hosts[i, 2] = float(is_private(address))
        flows = np.array([r[2:8] for r in rows], dtype=np.float32)
        labels = np.array([r[8] for r in rows], dtype=np.int64)
        classes = [r[9] for r in rows]
        out.append((flows, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), hosts, labels, classes))
    return out


def is_private(address):
    """RFC 1918 and unique-local addresses: the host's own networks."""
    a, b = (int(x) for x in address.split(".")[:2])
    return a == 10 or (a == 172 and 16 <= b < 32) or (a == 192 and b == 168)


# Services by destination port: the decoder is told which service a flow uses.
SERVICES = [
    [53], [80, 443, 8080, 8443], [22], [25, 465, 587, 993, 995, 143, 110], [445, 139, 135],
    [3389, 5985, 5986], [123], [5432, 3306, 1433, 1521], [88, 389, 636], [873],
]


def featurize(flows):
    """Raw flow columns → features (the same expression is exported inside the model): first
    the nine the decoder reconstructs (volume, duration, TCP flags), then the context it is
    given (protocol, service by port, port range)."""
    bytes_, packets, duration, protocol, flags, port = [flows[:, i] for i in range(6)]
    bits = [torch.remainder(torch.floor(flags / float(2 ** k)), 2.0) for k in range(5)]  # FIN SYN RST PSH ACK
    services = [sum((port == float(p)).float() for p in ports) for ports in SERVICES]
    known = sum(services)
    return torch.stack([
        torch.log1p(bytes_), torch.log1p(packets), torch.log1p(bytes_ / torch.clamp(packets, min=1.0)),
        torch.log1p(duration), bits[0], bits[1], bits[2], bits[3], bits[4],
        (protocol == 6.0).float(), (protocol == 17.0).float(), ((protocol != 6.0) & (protocol != 17.0)).float(),
        *services,
        (1.0 - known) * (port < 1024.0).float(), (1.0 - known) * (port >= 1024.0).float(),
    ], dim=1)


def scatter_mean(values, index, n):
    total = torch.zeros(n, values.shape[1], dtype=values.dtype).index_add(0, index, values)
    count = torch.zeros(n, dtype=values.dtype).index_add(0, index, torch.ones_like(index, dtype=values.dtype))
    return total / torch.clamp(count, min=1.0).unsqueeze(1)


class FlowGae(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.register_buffer("threshold", torch.zeros(1))
        self.embed = nn.Linear(2 * len(CONTEXT) + 3, 32)
        self.propagate = nn.Linear(3 * 32, 16)
        self.decode = nn.Sequential(nn.Linear(32 + len(CONTEXT), 32), nn.ReLU(), nn.Linear(32, len(TARGETS)))

    def forward(self, flows, src, dst, hosts):
        x = (featurize(flows) - self.mean) / self.std
        n = hosts.shape[0]
        # Hosts are described by the services they use and offer, never by the volumes of
        # their flows: those are what the decoder must predict.
        context = x[:, CONTEXT]
        host_features = torch.cat([torch.log1p(hosts[:, :2]), hosts[:, 2:3]], dim=1)
        h0 = torch.cat([scatter_mean(context, src, n), scatter_mean(context, dst, n), host_features], dim=1)
        h1 = torch.relu(self.embed(h0))
        neighbours_out = scatter_mean(h1[dst], src, n)
        neighbours_in = scatter_mean(h1[src], dst, n)
        h2 = torch.relu(self.propagate(torch.cat([h1, neighbours_out, neighbours_in], dim=1)))
        # Given who talks to whom over which service, what should the flow look like?
        predicted = self.decode(torch.cat([h2[src], h2[dst], context], dim=1))
        return torch.mean((x[:, TARGETS] - predicted) ** 2, dim=1), self.threshold


def batch(windows):
    """Disjoint union of windows: one graph."""
    flows, src, dst, hosts, offset = [], [], [], [], 0
    for w in windows:
        flows.append(w[0]); src.append(w[1] + offset); dst.append(w[2] + offset); hosts.append(w[3])
        offset += w[3].shape[0]
    return (torch.from_numpy(np.concatenate(flows)), torch.from_numpy(np.concatenate(src)),
            torch.from_numpy(np.concatenate(dst)), torch.from_numpy(np.concatenate(hosts)))


def scores(model, windows):
    with torch.no_grad():
        return [model(*[torch.from_numpy(a) for a in w[:4]])[0].numpy() for w in windows]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--val", required=True)
    parser.add_argument("--out", default="models")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    global EPOCHS_USED
    EPOCHS_USED = args.epochs
    random.seed(SEED); np.random.seed(SEED); torch.manual_seed(SEED)
    torch.set_num_threads(2)

    train = read_windows(args.train)
    val = read_windows(args.val)
    benign_train = [w for w in train if w[4].sum() == 0]
    features = featurize(torch.from_numpy(np.concatenate([w[0] for w in benign_train])))
    mean, std = features.mean(0), features.std(0).clamp(min=1e-3)
    model = FlowGae(mean.tolist(), std.tolist())
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(args.epochs):
        random.shuffle(benign_train)
        losses = []
        for i in range(0, len(benign_train), 64):
            loss = model(*batch(benign_train[i:i + 64]))[0].mean()
            optimiser.zero_grad(); loss.backward(); optimiser.step()
            losses.append(loss.item())
        print(f"epoch {epoch + 1}: loss {np.mean(losses):.4f}")
    model.eval()

    val_scores = scores(model, val)
    benign_val = np.concatenate([s[w[4] == 0] for s, w in zip(val_scores, val)])
    threshold = float(np.quantile(benign_val, THRESHOLD_QUANTILE))
    print(f"threshold ({THRESHOLD_QUANTILE:.1%} quantile of benign validation scores): {threshold:.5f}")
    model.threshold.fill_(threshold)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    export(model, val, out / "flow-gae.onnx")
    check_and_write_reference(model, val, out)
    write_card_numbers(out, threshold, mean, std, len(train), sum(len(w[4]) for w in benign_train), len(val))


def export(model, windows, path):
    example = tuple(torch.from_numpy(a) for a in max(windows, key=lambda w: len(w[4]))[:4])
    flows_dim, hosts_dim = torch.export.Dim("flows", min=2), torch.export.Dim("hosts", min=2)
    program = torch.onnx.export(
        model, example, dynamo=True, input_names=["flows", "src", "dst", "hosts"], output_names=["score", "threshold"],
        dynamic_shapes={"flows": {0: flows_dim}, "src": {0: flows_dim}, "dst": {0: flows_dim}, "hosts": {0: hosts_dim}},
    )
    program.save(str(path))
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def check_and_write_reference(model, windows, out):
    """onnxruntime (one intra-op thread) must agree with torch on every validation window."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(out / "flow-gae.onnx"), options, providers=["CPUExecutionProvider"])
    worst = 0.0
    for w in windows:
        expected = scores(model, [w])[0]
        got, threshold = session.run(None, {"flows": w[0], "src": w[1], "dst": w[2], "hosts": w[3]})
        assert abs(float(threshold[0]) - float(model.threshold[0])) < 1e-6
        worst = max(worst, float(np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected)))))
    print(f"onnxruntime vs torch on {len(windows)} windows: largest relative difference {worst:.2e}")
    assert worst < 1e-4, "the exported model does not compute what torch computes"
    reference = max((w for w in windows if 100 <= len(w[4]) <= 400), key=lambda w: w[4].sum())
    scores_ = session.run(None, {"flows": reference[0], "src": reference[1], "dst": reference[2], "hosts": reference[3]})[0]
    (out / "flow-gae.reference.json").write_text(json.dumps({
        "flows": reference[0].tolist(), "src": reference[1].tolist(), "dst": reference[2].tolist(),
        "hosts": reference[3].tolist(), "score": [float(s) for s in scores_],
    }))


def write_card_numbers(out, threshold, mean, std, windows, benign_flows, val_windows):
    """`flow-gae.toml`: the card the host reads (inputs, outputs, threshold, constants)."""
    floats = lambda values: "[" + ", ".join(f"{v:.6g}" for v in values) + "]"
    (out / "flow-gae.toml").write_text(f"""# Written by models/flow-gae/train.py; the model card is models/flow-gae.md.
version = "1.0.0"
description = "Graph autoencoder over a flow window: hosts as nodes, flows as edges; the score of a flow is how badly its volume, duration and TCP flags are predicted from its two hosts and its service"
threshold = {threshold:.6g}

[[inputs]]
name = "flows"
dtype = "float32"
shape = ["flows", 6]
description = "per flow: bytes, packets, duration ms, IP protocol, TCP flags, destination port"

[[inputs]]
name = "src"
dtype = "int64"
shape = ["flows"]
description = "host index of each flow's source"

[[inputs]]
name = "dst"
dtype = "int64"
shape = ["flows"]
description = "host index of each flow's destination"

[[inputs]]
name = "hosts"
dtype = "float32"
shape = ["hosts", 3]
description = "per host: flows sent, flows received, 1 if the address is private (RFC 1918) else 0"

[[outputs]]
name = "score"
dtype = "float32"
shape = ["flows"]
description = "reconstruction error per flow; at or above the threshold is anomalous"

[[outputs]]
name = "threshold"
dtype = "float32"
shape = [1]
description = "the threshold below, carried by the model so plugins need no copy of it"

[scaling]
feature_mean = {floats(mean.tolist())}
feature_std = {floats(std.tolist())}

[training]
data = "netassure generate-flows --seed 11 --day 1 --attacks none (benign only)"
windows = {windows}
benign_flows = {benign_flows}
window_ms = {WINDOW_MS}
threshold_from = "98.5% quantile of benign scores of --seed 12 --day 2 ({val_windows} windows)"
epochs = {EPOCHS_USED}
torch = "{torch.__version__}"
onnxruntime = "{ort.__version__}"
""")


if __name__ == "__main__":
    main()
