"""Export the coordination graph: GraphML (one node per clustered account, one edge per pair with the weight of
each behaviour) or Parquet (``<out>`` = edges, ``<out stem>.nodes.parquet`` = nodes). Account ids and handles are
pseudonymised unless asked otherwise (:mod:`marsad.outputs.pseudonymise`)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..outputs.pseudonymise import Pseudonymiser
from .actions import BEHAVIOURS
from .clusters import DEFAULT_ALPHA, DEFAULT_MIN_ITEMS, DEFAULT_MIN_LIFT, compute, edge_filter

if TYPE_CHECKING:
    from ..workspace import Workspace


def graph_tables(ws: "Workspace", min_items: int = DEFAULT_MIN_ITEMS,
                 min_lift: float = DEFAULT_MIN_LIFT, alpha: float = DEFAULT_ALPHA) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges): nodes = members with cluster and score; edges = one row per pair, a weight column per
    behaviour and their sum."""
    members, _ = compute(ws, min_items, min_lift=min_lift, alpha=alpha, write=not ws.read_only)
    cols = ", ".join(f"coalesce(sum(weight) FILTER (WHERE behaviour = '{b}'), 0) AS w_{b}" for b in BEHAVIOURS)
    edges = ws.df(
        f"""SELECT account_a AS source, account_b AS target, sum(weight) AS weight, {cols},
                   array_to_string(list_sort(list(DISTINCT behaviour)), ',') AS behaviours,
                   min(first_at) AS first_at, max(last_at) AS last_at
            FROM coord_edges WHERE {edge_filter(min_items, min_lift, alpha)} GROUP BY account_a, account_b
            ORDER BY source, target"""
    )
    nodes = members.copy()
    nodes["behaviours"] = nodes["behaviours"].map(lambda xs: ",".join(xs))
    return nodes, edges


def export_graph(ws: "Workspace", out: Path, fmt: str, *, min_items: int = DEFAULT_MIN_ITEMS,
                 min_lift: float = DEFAULT_MIN_LIFT, alpha: float = DEFAULT_ALPHA,
                 pseudonymise: bool = True) -> tuple[int, int, list[Path]]:
    nodes, edges = graph_tables(ws, min_items, min_lift, alpha)
    if pseudonymise:
        p = Pseudonymiser(ws.pseudonym_key)
        nodes["account_id"] = nodes["account_id"].map(lambda v: p(v, "acct"))
        nodes["handle"] = nodes["handle"].map(lambda v: p(v, "handle"))
        for c in ("source", "target"):
            edges[c] = edges[c].map(lambda v: p(v, "acct"))
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        node_path = out.with_name(out.stem + ".nodes.parquet")
        edges.to_parquet(out, index=False)
        nodes.to_parquet(node_path, index=False)
        return len(nodes), len(edges), [out, node_path]
    import networkx as nx

    g = nx.Graph()
    for r in nodes.itertuples(index=False):
        g.add_node(r.account_id, handle=r.handle or "", cluster=r.cluster, component=r.component,
                   behaviours=r.behaviours, score=float(r.score), degree=int(r.degree),
                   n_posts=int(r.n_posts) if pd.notna(r.n_posts) else 0, n_coposts=int(r.n_coposts))
    for r in edges.itertuples(index=False):
        attrs = {f"w_{b}": int(getattr(r, f"w_{b}")) for b in BEHAVIOURS}
        g.add_edge(r.source, r.target, weight=float(r.weight), behaviours=r.behaviours,
                   first_at=str(r.first_at), last_at=str(r.last_at), **attrs)
    nx.write_graphml(g, out)
    return len(nodes), len(edges), [out]
