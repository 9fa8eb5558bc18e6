#!/usr/bin/env python3
"""The networkx side of the graph-analytics benchmark (host/benches/analytics.rs runs it).

Usage: networkx_peer.py TOPOLOGY.json ALGORITHM...
Prints one JSON object: seconds per algorithm (one run each, as networkx users run them).
The graph is built as netassure-analytics builds it: undirected, simple, no self-loops.
"""

import json
import sys
import time

import networkx as nx

# The plugins' defaults: networkx's tolerance; eigenvector allows 1,000 iterations.
EIGENVECTOR = {"max_iter": 1000, "tol": 1e-6}
PAGERANK = {"max_iter": 100, "tol": 1e-6}


def main():
    path, algorithms = sys.argv[1], sys.argv[2:]
    snapshot = json.load(open(path))
    graph = nx.Graph()
    graph.add_nodes_from(node["id"] for node in snapshot["nodes"])
    known = set(graph.nodes)
    graph.add_edges_from(
        (link["source"], link["target"])
        for link in snapshot["links"]
        if link["source"] != link["target"] and link["source"] in known and link["target"] in known
    )
    nodes = sorted(graph.nodes)
    source, target = nodes[0], nodes[len(nodes) // 2]

    def k_shortest():
        paths = []
        for path in nx.shortest_simple_paths(graph, source, target):
            paths.append(path)
            if len(paths) == 5:
                break
        return paths

    runs = {
        "betweenness-centrality": lambda: nx.betweenness_centrality(graph),
        "closeness-centrality": lambda: nx.closeness_centrality(graph),
        "eigenvector-centrality": lambda: nx.eigenvector_centrality(graph, **EIGENVECTOR),
        "pagerank": lambda: nx.pagerank(graph, alpha=0.85, **PAGERANK),
        "louvain": lambda: nx.community.louvain_communities(graph, seed=42),
        "label-propagation": lambda: list(nx.community.label_propagation_communities(graph)),
        "connected-components": lambda: list(nx.connected_components(graph)),
        "articulation-points": lambda: list(nx.articulation_points(graph)),
        "bridges": lambda: list(nx.bridges(graph)),
        "k-shortest-paths": k_shortest,
    }
    seconds = {"source": source, "target": target, "networkx": nx.__version__}
    for name in algorithms:
        started = time.perf_counter()
        runs[name]()
        seconds[name] = time.perf_counter() - started
        print(f"networkx {name}: {seconds[name]:.3f} s", file=sys.stderr, flush=True)
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
