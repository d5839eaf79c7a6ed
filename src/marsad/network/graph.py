"""Interaction graphs from the posts table: repost, quote, reply and mention edges, directed, weighted and
time-stamped, optionally restricted to a time window, materialised as table ``network_edges``.

``network_edges(platform, src, dst, kind, weight, first_at, last_at, first_post, last_post)``: one row per
(src -> dst, kind); ``weight`` is the number of posts of ``src`` that repost / quote / reply to / mention ``dst``
within the window. ``first_post``/``last_post`` are the evidence. Targets only known by handle are resolved to
the account that holds the handle where the workspace knows it, else to ``"@"+handle`` (records.handle_account_id).

Mentions inside a repost are the original author's, so reposts contribute only their repost edge; the mention of
the account a reply answers is the reply edge, not a second mention. Follow edges are not in the workspace schema.
"""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import MarsadError
from .base import account_names, make_handle_map, parse_when, require_edges, window_sql

if TYPE_CHECKING:
    import igraph

    from ..workspace import Workspace

VERSION = "1"
KINDS = ("repost", "quote", "reply", "mention")
#: default weight of each interaction kind when kinds are merged into one graph (a repost endorses; a mention may
#: be anything, including criticism)
KIND_WEIGHTS = {"repost": 1.0, "quote": 0.8, "reply": 0.5, "mention": 0.5}


def edges_sql(cond: str = "TRUE") -> str:
    """The aggregating edge query for posts matching ``cond`` (needs the ``_net_handles`` temp table)."""
    return f"""WITH p AS (
          SELECT platform, post_id, account_id, account_handle, created_at, repost_of_account_id,
                 repost_of_handle, reply_to_account_id, reply_to_handle, quote_of_account_id, mentions
          FROM posts WHERE NOT embedded AND account_id IS NOT NULL AND ({cond})),
        raw AS (
          SELECT platform, post_id, account_id AS src, created_at, 'repost' AS kind,
                 coalesce(repost_of_account_id, '@' || lower(repost_of_handle)) AS dst
          FROM p WHERE repost_of_account_id IS NOT NULL OR repost_of_handle IS NOT NULL
          UNION ALL
          SELECT platform, post_id, account_id, created_at, 'reply',
                 coalesce(reply_to_account_id, '@' || lower(reply_to_handle))
          FROM p WHERE reply_to_account_id IS NOT NULL OR reply_to_handle IS NOT NULL
          UNION ALL
          SELECT platform, post_id, account_id, created_at, 'quote', quote_of_account_id
          FROM p WHERE quote_of_account_id IS NOT NULL
          UNION ALL
          SELECT platform, post_id, account_id, created_at, 'mention', '@' || m FROM (
            SELECT platform, post_id, account_id, created_at, account_handle, reply_to_handle,
                   unnest(list_distinct(mentions)) AS m
            FROM p WHERE repost_of_account_id IS NULL AND repost_of_handle IS NULL AND len(mentions) > 0)
          WHERE m <> lower(coalesce(account_handle, '')) AND m <> lower(coalesce(reply_to_handle, ''))),
        rk AS (SELECT *, CASE WHEN starts_with(dst, '@') THEN substr(dst, 2) END AS dh FROM raw),
        res AS (
          SELECT r.platform, r.post_id, r.src, r.created_at, r.kind, coalesce(h.account_id, r.dst) AS dst
          FROM rk r LEFT JOIN _net_handles h ON h.platform = r.platform AND h.h = r.dh)
        SELECT platform, src, dst, kind, count(*)::BIGINT AS weight,
               min(created_at) AS first_at, max(created_at) AS last_at,
               arg_min(post_id, created_at) AS first_post, arg_max(post_id, created_at) AS last_post
        FROM res WHERE src <> dst AND dst IS NOT NULL AND dst <> '@'
        GROUP BY platform, src, dst, kind"""


def build_edges(ws: "Workspace", since: Any = None, until: Any = None, *, write_evidence: bool = True) -> dict:
    """(Re)build ``network_edges`` for the window; returns a summary. Heavy lifting is one DuckDB query."""
    ws.require_posts()
    t0 = time.perf_counter()
    cond = window_sql(since, until)
    make_handle_map(ws)
    ws.con.execute(f"CREATE OR REPLACE TABLE network_edges AS {edges_sql(cond)}")
    summary = ws.df(
        """SELECT kind, count(*) AS edges, sum(weight)::BIGINT AS interactions,
                  count(DISTINCT src) AS sources, count(DISTINCT dst) AS targets
           FROM network_edges GROUP BY kind ORDER BY interactions DESC"""
    )
    params = {"since": str(parse_when(since, "--since") or ""), "until": str(parse_when(until, "--until") or "")}
    if write_evidence:
        rows = node_degrees(ws)
        ws.write_evidence("network", VERSION, rows, params=params,
                          note="score = weighted in-degree (interactions received) within the window")
    return {"summary": summary, "seconds": round(time.perf_counter() - t0, 2), **params}


def node_degrees(ws: "Workspace") -> pd.DataFrame:
    """Per-account evidence rows: interactions sent/received by kind, distinct partners, top partners as refs."""
    df = ws.df(
        f"""WITH e AS (SELECT * FROM network_edges),
        outs AS (SELECT platform, account_id, map(list(kind), list(w)) AS out_by_kind FROM (
                   SELECT platform, src AS account_id, kind, sum(weight) AS w FROM e GROUP BY ALL) GROUP BY ALL),
        ins AS (SELECT platform, account_id, sum(w) AS in_strength, map(list(kind), list(w)) AS in_by_kind FROM (
                   SELECT platform, dst AS account_id, kind, sum(weight) AS w FROM e GROUP BY ALL) GROUP BY ALL),
        top_in AS (SELECT platform, dst AS account_id,
                     max_by({{'kind': 'account', 'id': src, 'weight': weight::DOUBLE, 'note': kind || ' from'}},
                            weight, 3) AS refs
                   FROM e GROUP BY ALL),
        names AS ({account_names(ws)})
        SELECT platform, account_id, n.handle, coalesce(i.in_strength, 0) AS in_strength, o.out_by_kind,
               i.in_by_kind, t.refs
        FROM outs o FULL JOIN ins i USING (platform, account_id)
             LEFT JOIN names n USING (platform, account_id) LEFT JOIN top_in t USING (platform, account_id)"""
    )
    details = [
        json.dumps({"handle": h, "out": _m(o), "in": _m(i)}, ensure_ascii=False)
        for h, o, i in zip(df["handle"], df["out_by_kind"], df["in_by_kind"])
    ]
    return pd.DataFrame({
        "subject_type": "account", "platform": df["platform"], "subject_id": df["account_id"],
        "score": df["in_strength"].astype(float), "refs": [_refs(r) for r in df["refs"]], "details": details,
    })


def _m(m: Any) -> dict:
    if m is None or m is pd.NA or (isinstance(m, float) and m != m):
        return {}
    if isinstance(m, dict):
        return {k: int(v) for k, v in m.items()}
    return {k: int(v) for k, v in zip(m["key"], m["value"])}


def _refs(r: Any) -> list | None:
    if r is None or r is pd.NA or (isinstance(r, float) and r != r):
        return None
    return [dict(x) for x in r]


def edge_frame(ws: "Workspace", kinds: Iterable[str] | None = None, since: Any = None, until: Any = None) -> str:
    """SQL selecting rows of ``network_edges`` of the given kinds, optionally narrowed to edges active in a window
    (an edge is kept when its first..last span meets the window)."""
    require_edges(ws)
    kinds = tuple(kinds or KINDS)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise MarsadError(f"unknown edge kind(s) {bad}; choose from {', '.join(KINDS)}")
    conds = [f"kind IN ({', '.join(repr(k) for k in kinds)})"]
    s, u = parse_when(since, "--since"), parse_when(until, "--until")
    if s:
        conds.append(f"last_at >= TIMESTAMPTZ '{s.isoformat()}'")
    if u:
        conds.append(f"first_at < TIMESTAMPTZ '{u.isoformat()}'")
    return f"SELECT * FROM network_edges WHERE {' AND '.join(conds)}"


def load_graph(
    ws: "Workspace",
    *,
    kinds: Sequence[str] | None = None,
    directed: bool = True,
    kind_weights: dict[str, float] | None = None,
    since: Any = None,
    until: Any = None,
) -> tuple["igraph.Graph", pd.DataFrame]:
    """The (multiplex, merged) graph as igraph: one edge per account pair (per direction when ``directed``) with
    ``weight`` = sum over kinds of kind weight x interactions. Returns the graph and its node table
    (``idx, platform, account_id``); vertex ``i`` is row ``i``."""
    import igraph as ig

    kw = {**KIND_WEIGHTS, **(kind_weights or {})}
    case = "CASE kind " + " ".join(f"WHEN '{k}' THEN {float(v)}" for k, v in kw.items()) + " ELSE 1.0 END"
    sel = edge_frame(ws, kinds, since, until)
    ws.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _g_nodes AS
        SELECT (row_number() OVER (ORDER BY platform, account_id) - 1)::BIGINT AS idx, platform, account_id FROM (
          SELECT DISTINCT platform, src AS account_id FROM ({sel}) UNION
          SELECT DISTINCT platform, dst FROM ({sel}))"""
    )
    a, b = ("src", "dst") if directed else ("least(src, dst)", "greatest(src, dst)")
    arr = ws.con.execute(
        f"""WITH e AS (SELECT platform, {a} AS u, {b} AS v, sum(weight * {case}) AS w FROM ({sel}) GROUP BY ALL)
        SELECT nu.idx AS s, nv.idx AS t, e.w FROM e
        JOIN _g_nodes nu ON nu.platform = e.platform AND nu.account_id = e.u
        JOIN _g_nodes nv ON nv.platform = e.platform AND nv.account_id = e.v"""
    ).fetchnumpy()
    nodes = ws.df("SELECT * FROM _g_nodes ORDER BY idx")
    g = ig.Graph(n=len(nodes), edges=np.column_stack([arr["s"], arr["t"]]).astype(np.int64).tolist() if len(arr["s"])
                 else [], directed=directed)
    g.es["weight"] = np.asarray(arr["w"], dtype=float).tolist()
    return g, nodes
