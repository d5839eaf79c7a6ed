"""Graph exports: GraphML and GEXF (Gephi opens both) with node attributes from whatever analyses have run
(handle, stance, stance score, role, country, community, family, discovery label and score, interactions
received) and edges with their total and per-kind weights and time span; Parquet edge and node lists.

Account ids and handles are pseudonymised (keyed, per workspace: marsad.outputs.pseudonymise) unless
``pseudonymise=False``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from ..errors import MarsadError
from ..outputs.pseudonymise import Pseudonymiser
from .base import account_names
from .graph import KINDS, edge_frame

if TYPE_CHECKING:
    from ..workspace import Workspace

FORMATS = ("graphml", "gexf", "parquet")
#: node attribute <- (signal, column of its evidence rows)
NODE_ATTRS = {
    "stance": ("stance", "label"), "stance_score": ("stance", "score"), "role": ("role", "label"),
    "country": ("geo", "label"), "community": ("community", "label"), "family": ("family", "label"),
    "discover": ("discover", "label"), "discover_score": ("discover", "score"),
    "interactions_received": ("network", "score"),
}
NUMERIC = {"stance_score", "discover_score", "interactions_received", "weight", *KINDS}


def tables(ws: "Workspace", kinds: Sequence[str] | None = None, since: Any = None, until: Any = None,
           min_weight: float = 1, pseudonymise: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) frames: one edge per (src, dst) with total weight and per-kind counts."""
    sel = edge_frame(ws, kinds, since, until)
    per_kind = ", ".join(f"sum(weight) FILTER (WHERE kind = '{k}')::DOUBLE AS {k}" for k in KINDS)
    edges = ws.df(
        f"""SELECT platform, src, dst, sum(weight)::DOUBLE AS weight, {per_kind},
                   strftime(min(first_at), '%Y-%m-%dT%H:%M:%SZ') AS first_at,
                   strftime(max(last_at), '%Y-%m-%dT%H:%M:%SZ') AS last_at
            FROM ({sel}) GROUP BY ALL HAVING sum(weight) >= {float(min_weight)} ORDER BY platform, src, dst""")
    for k in KINDS:
        edges[k] = edges[k].fillna(0.0)
    attrs = ", ".join(
        f"max(e.{col}) FILTER (WHERE e.signal = '{sig}') AS {name}" for name, (sig, col) in NODE_ATTRS.items())
    ws.con.register("_ex_e", edges[["platform", "src", "dst"]])
    nodes = ws.df(
        f"""WITH n AS (SELECT platform, src AS account_id FROM _ex_e UNION SELECT platform, dst FROM _ex_e),
        names AS ({account_names(ws)}),
        ev AS (SELECT e.platform, e.subject_id, e.signal, e.label, e.score FROM evidence e
               WHERE e.subject_type = 'account' AND e.signal IN ({', '.join(repr(s) for s, _ in NODE_ATTRS.values())}))
        SELECT n.platform, n.account_id, any_value(names.handle) AS handle, {attrs}
        FROM n LEFT JOIN names USING (platform, account_id)
               LEFT JOIN ev e ON e.platform = n.platform AND e.subject_id = n.account_id
        GROUP BY n.platform, n.account_id ORDER BY n.platform, n.account_id""")
    ws.con.unregister("_ex_e")
    nodes = nodes.dropna(axis=1, how="all")  # only attributes some analysis has produced
    if pseudonymise:
        p = Pseudonymiser(ws.pseudonym_key)
        nodes["account_id"] = nodes["account_id"].map(lambda v: p(v, "acct"))
        if "handle" in nodes:
            nodes["handle"] = nodes["handle"].map(lambda v: p(v, "handle"))
        edges["src"] = edges["src"].map(lambda v: p(v, "acct"))
        edges["dst"] = edges["dst"].map(lambda v: p(v, "acct"))
    return nodes, edges


def export(ws: "Workspace", fmt: str, out: str | Path, *, kinds: Sequence[str] | None = None, since: Any = None,
           until: Any = None, min_weight: float = 1, pseudonymise: bool = True) -> dict[str, Any]:
    if fmt not in FORMATS:
        raise MarsadError(f"unknown graph format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    nodes, edges = tables(ws, kinds, since, until, min_weight, pseudonymise)
    if nodes.empty:
        raise MarsadError("nothing to export: the graph has no edges for these kinds/window")
    nodes["id"] = nodes["platform"] + ":" + nodes["account_id"].astype(str)
    edges["source"] = edges["platform"] + ":" + edges["src"].astype(str)
    edges["target"] = edges["platform"] + ":" + edges["dst"].astype(str)
    written = [str(out)]
    if fmt == "parquet":
        edges.drop(columns=["source", "target"]).to_parquet(out, index=False)
        node_out = out.with_name(out.stem + "_nodes" + out.suffix)
        nodes.drop(columns=["id"]).to_parquet(node_out, index=False)
        written.append(str(node_out))
    elif fmt == "graphml":
        _graphml(nodes, edges, out)
    else:
        _gexf(nodes, edges, out)
    return {"nodes": len(nodes), "edges": len(edges), "files": written, "attributes": list(nodes.columns)}


def _clean(v: Any, numeric: bool) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return math.nan if numeric else ""
    return float(v) if numeric else str(v)


def _graph(nodes: pd.DataFrame, edges: pd.DataFrame, label: bool):
    import networkx as nx

    g = nx.DiGraph()
    for r in nodes.to_dict("records"):
        nid = r.pop("id")
        attrs = {k: _clean(v, k in NUMERIC) for k, v in r.items()}
        attrs = {k: v for k, v in attrs.items() if v != "" and not (isinstance(v, float) and math.isnan(v))}
        if label:
            attrs["label"] = attrs.get("handle", nid)
        g.add_node(nid, **attrs)
    for r in edges.to_dict("records"):
        g.add_edge(r["source"], r["target"], weight=float(r["weight"]),
                   **{k: float(r[k]) for k in KINDS}, first_at=r["first_at"] or "", last_at=r["last_at"] or "")
    return g


def _graphml(nodes: pd.DataFrame, edges: pd.DataFrame, out: Path) -> None:
    import networkx as nx

    nx.write_graphml(_graph(nodes, edges, label=False), str(out))


def _gexf(nodes: pd.DataFrame, edges: pd.DataFrame, out: Path) -> None:
    import networkx as nx

    nx.write_gexf(_graph(nodes, edges, label=True), str(out))
