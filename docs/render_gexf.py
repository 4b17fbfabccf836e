#!/usr/bin/env python3
"""Draws a GEXF file written by crawlrank the way Gephi shows it after a force layout: node
size and colour from the file's own size and color elements, positions from a seeded
force-directed layout (networkx's ForceAtlas 2, the layout Gephi users run first).

Usage: render_gexf.py FILE.gexf OUT.png [--labels 12]
Needs networkx and matplotlib. Used to make the picture in docs/gephi.md.
"""
import argparse, xml.etree.ElementTree as ET

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import networkx as nx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gexf"); ap.add_argument("png")
    ap.add_argument("--labels", type=int, default=8)
    a = ap.parse_args()
    root = ET.parse(a.gexf).getroot()
    ns = {"g": root.tag[1:].split("}")[0]}
    g = nx.DiGraph()
    for node in root.iterfind(".//g:node", ns):
        color = node.find("g:color", ns)
        size = node.find("g:size", ns)
        g.add_node(node.get("id"), label=node.get("label"),
                   color=tuple(int(color.get(c)) / 255 for c in "rgb"), size=float(size.get("value")))
    for edge in root.iterfind(".//g:edge", ns):
        g.add_edge(edge.get("source"), edge.get("target"))
    g.remove_edges_from(list(nx.selfloop_edges(g)))
    pos = nx.forceatlas2_layout(g.to_undirected(), max_iter=300, seed=7, scaling_ratio=2.0, strong_gravity=True,
                                node_size={n: g.nodes[n]["size"] for n in g}, distributed_action=True)
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    nx.draw_networkx_edges(g, pos, ax=ax, alpha=0.12, width=0.5, arrows=False)
    nodes = list(g)
    nx.draw_networkx_nodes(g, pos, nodelist=nodes, ax=ax, node_size=[g.nodes[n]["size"] * 6 for n in nodes],
                           node_color=[g.nodes[n]["color"] for n in nodes], linewidths=0.3, edgecolors="#333333")
    top = sorted(nodes, key=lambda n: -g.nodes[n]["size"])[: a.labels]
    for i, n in enumerate(top):
        label = g.nodes[n]["label"].split("://")[-1]
        ax.annotate(label if len(label) < 40 else label[:37] + "…", pos[n], fontsize=7, ha="left",
                    va="center", xytext=(8, 10 * ((i % 3) - 1)), textcoords="offset points",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
    title = root.find(".//g:description", ns)
    ax.set_title(f"{len(g)} nodes, {g.number_of_edges()} edges: size and colour from the GEXF (rank decile)",
                 fontsize=10)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(a.png)


if __name__ == "__main__":
    main()
