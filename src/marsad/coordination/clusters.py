"""Clusters of coordinated accounts, their summaries and per-account synchrony scores.

The coordination graph joins two accounts when they have an edge in ``coord_edges`` (at least ``min_weight``
co-actions) whose ``lift`` - co-actions over those expected by chance given how popular and long-lived the shared
items are (:func:`.build.expected_coactions`) - is at least ``min_lift`` (default 10) and whose
Bonferroni-adjusted p-value is at most ``alpha`` (default 0.05), on at least ``min_items`` distinct items
(default 1). Busy accounts that share a popular hashtag or link within a minute now and then have a lift of a
few; accounts acting in lockstep have lifts in the hundreds. The weight of a pair is the sum over behaviours of
``weight``. Clusters are Leiden communities (modularity, fixed seed) inside the connected components; both ids
are kept.

Per account: ``score`` (synchrony) = share of the account's collected posts that are in at least one co-action
pair of a kept edge; ``degree``/``strength`` in the graph; the behaviours it co-acted in.

Tables written: ``coord_members(platform, account_id, handle, cluster, component, behaviours, score, degree,
strength, n_posts, n_coposts)`` and ``coord_clusters(cluster, component, size, edges, behaviours, first_at, last_at,
top_items, density, supporter_share)``; ``supporter_share`` is the share of members labelled supporter by the
"stance" signal when it has been run (else NULL).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import MarsadError
from .build import require_built

if TYPE_CHECKING:
    from ..workspace import Workspace

DEFAULT_MIN_ITEMS = 1
DEFAULT_MIN_LIFT = 10.0
DEFAULT_ALPHA = 0.05
MEMBER_COLUMNS = ("platform", "account_id", "handle", "cluster", "component", "behaviours", "score", "degree",
                  "strength", "n_posts", "n_coposts")


def edge_filter(min_items: int = DEFAULT_MIN_ITEMS, min_lift: float = DEFAULT_MIN_LIFT,
                alpha: float = DEFAULT_ALPHA) -> str:
    """SQL condition on ``coord_edges`` for the edges that make the coordination graph."""
    return f"(n_items >= {int(min_items)} AND lift >= {float(min_lift)} AND p_adjusted <= {float(alpha)})"


def graph_edges(ws: "Workspace", min_items: int = DEFAULT_MIN_ITEMS, behaviours: list[str] | None = None,
                min_lift: float = DEFAULT_MIN_LIFT, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
    """Pairs of the coordination graph: account_a, account_b, weight (summed), behaviours (sorted list)."""
    require_built(ws)
    q = f"""SELECT account_a, account_b, sum(weight) AS weight, list_sort(list(DISTINCT behaviour)) AS behaviours
            FROM coord_edges WHERE {edge_filter(min_items, min_lift, alpha)}"""
    params: list = []
    if behaviours:
        q += f" AND behaviour IN ({', '.join('?' for _ in behaviours)})"
        params += list(behaviours)
    return ws.df(q + " GROUP BY account_a, account_b ORDER BY account_a, account_b", params)


def partition(edges: pd.DataFrame, seed: int = 42, resolution: float = 1.0) -> pd.DataFrame:
    """Components and Leiden communities of the undirected weighted graph: account_id, component, community."""
    import igraph as ig
    import leidenalg

    if edges.empty:
        return pd.DataFrame({"account_id": pd.Series(dtype=str), "component": pd.Series(dtype="int64"),
                             "community": pd.Series(dtype="int64")})
    nodes = pd.Index(sorted(set(edges.account_a) | set(edges.account_b)))
    src = nodes.get_indexer(edges.account_a)
    dst = nodes.get_indexer(edges.account_b)
    g = ig.Graph(n=len(nodes), edges=list(zip(src.tolist(), dst.tolist())), directed=False)
    g.es["weight"] = edges["weight"].astype(float).tolist()
    comp = np.array(g.connected_components().membership)
    part = leidenalg.find_partition(g, leidenalg.RBConfigurationVertexPartition, weights="weight", seed=seed,
                                    resolution_parameter=resolution)
    return pd.DataFrame({"account_id": nodes, "component": comp, "community": np.array(part.membership)})


def _relabel(df: pd.DataFrame, col: str, prefix: str) -> pd.Series:
    """Ids ordered by size (largest first), stable for ties: c1, c2..."""
    sizes = df.groupby(col)["account_id"].agg(["size", "min"]).sort_values(["size", "min"], ascending=[False, True])
    mapping = {old: f"{prefix}{i + 1}" for i, old in enumerate(sizes.index)}
    return df[col].map(mapping)


def compute(ws: "Workspace", min_items: int = DEFAULT_MIN_ITEMS, *, min_lift: float = DEFAULT_MIN_LIFT,
            alpha: float = DEFAULT_ALPHA, seed: int = 42, resolution: float = 1.0,
            behaviours: list[str] | None = None, top_items: int = 5,
            write: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Members and cluster summaries (see module doc); with ``write`` they are stored as tables too."""
    if min_items < 1:
        raise MarsadError(f"--min-items must be >= 1 (got {min_items})")
    if min_lift < 0:
        raise MarsadError(f"--min-lift must be >= 0 (got {min_lift})")
    if not 0 < alpha <= 1:
        raise MarsadError(f"--alpha must be in (0, 1] (got {alpha})")
    edges = graph_edges(ws, min_items, behaviours, min_lift, alpha)
    part = partition(edges, seed=seed, resolution=resolution)
    if len(part):
        part["cluster"] = _relabel(part, "community", "c")
        part["component"] = _relabel(part, "component", "k")
    else:
        part["cluster"] = pd.Series(dtype=str)
    ws.con.register("_cm_part", part[["account_id", "cluster", "component"]])
    ws.con.register("_cm_edges", edges[["account_a", "account_b", "weight"]])
    beh_filter = ""
    if behaviours:
        beh_filter = " AND e.behaviour IN (" + ", ".join(f"'{b}'" for b in behaviours) + ")"
    try:
        members = ws.df(
            f"""WITH kept AS (
                  SELECT e.* FROM coord_evidence e SEMI JOIN _cm_edges g USING (account_a, account_b)
                  WHERE true {beh_filter}),
                acts AS (
                  SELECT account_a AS account_id, post_a AS post_id, behaviour, platform FROM kept
                  UNION ALL SELECT account_b, post_b, behaviour, platform FROM kept),
                co AS (SELECT account_id, any_value(platform) AS platform, count(DISTINCT post_id) AS n_coposts,
                              list_sort(list(DISTINCT behaviour)) AS behaviours FROM acts GROUP BY account_id),
                deg AS (SELECT account_id, count(*) AS degree, sum(weight) AS strength FROM (
                          SELECT account_a AS account_id, weight FROM _cm_edges
                          UNION ALL SELECT account_b, weight FROM _cm_edges) GROUP BY account_id),
                np AS (SELECT account_id, count(*) AS n_posts FROM posts
                       WHERE NOT embedded AND account_id IN (SELECT account_id FROM _cm_part) GROUP BY account_id),
                h AS (SELECT account_id, any_value(handle) AS handle FROM accounts
                      WHERE account_id IN (SELECT account_id FROM _cm_part) GROUP BY account_id)
            SELECT co.platform, p.account_id, h.handle, p.cluster, p.component, co.behaviours,
                   least(1.0, co.n_coposts / greatest(np.n_posts, 1)) AS score, deg.degree, deg.strength,
                   np.n_posts, co.n_coposts
            FROM _cm_part p JOIN co USING (account_id) JOIN deg USING (account_id)
                 LEFT JOIN np USING (account_id) LEFT JOIN h USING (account_id)
            ORDER BY p.cluster, score DESC, p.account_id"""
        )
        clusters = _summaries(ws, members, beh_filter, top_items)
    finally:
        ws.con.unregister("_cm_part")
        ws.con.unregister("_cm_edges")
    members["cluster_sort"] = members["cluster"].str[1:].astype(int) if len(members) else []
    members = members.sort_values(["cluster_sort", "score", "account_id"], ascending=[True, False, True]) \
        .drop(columns="cluster_sort").reset_index(drop=True)
    if write and not ws.read_only:
        _store(ws, members, clusters)
    return members, clusters


def _summaries(ws: "Workspace", members: pd.DataFrame, beh_filter: str, top_items: int) -> pd.DataFrame:
    if members.empty:
        return pd.DataFrame(columns=["cluster", "component", "size", "edges", "behaviours", "first_at", "last_at",
                                     "top_items", "density", "supporter_share"])
    ws.con.register("_cm_members", members[["account_id", "cluster", "component"]])
    try:
        tables = {r[0] for r in ws.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        stance = ("(SELECT avg(CASE WHEN e.label = 'supporter' THEN 1.0 ELSE 0.0 END) FROM evidence e "
                  "WHERE e.signal = 'stance' AND e.subject_type = 'account' AND e.subject_id IN "
                  "(SELECT account_id FROM _cm_members x WHERE x.cluster = s.cluster))"
                  if "evidence" in tables and ws.con.execute(
                      "SELECT count(*) FROM evidence WHERE signal = 'stance'").fetchone()[0] else "NULL")
        return ws.df(
            f"""WITH ev AS (
                  SELECT m.cluster, e.* FROM coord_evidence e
                  JOIN _cm_members m ON m.account_id = e.account_a
                  JOIN _cm_members m2 ON m2.account_id = e.account_b AND m2.cluster = m.cluster
                  WHERE true {beh_filter}),
                ed AS (SELECT cluster, count(DISTINCT (account_a, account_b)) AS edges,
                              min(least(at_a, at_b)) AS first_at, max(greatest(at_a, at_b)) AS last_at
                       FROM ev GROUP BY cluster),
                beh AS (SELECT cluster, string_agg(behaviour || ':' || n, ', ' ORDER BY n DESC) AS behaviours FROM (
                          SELECT cluster, behaviour, count(DISTINCT (account_a, account_b)) AS n FROM ev
                          GROUP BY ALL) GROUP BY cluster),
                top AS (SELECT * FROM (
                          SELECT cluster, behaviour, item, any_value(platform) AS platform,
                                 any_value(post_a) AS example, count(*) AS n,
                                 row_number() OVER (PARTITION BY cluster ORDER BY count(*) DESC, item) AS rn
                          FROM ev GROUP BY cluster, behaviour, item) WHERE rn <= {int(top_items)}),
                it AS (SELECT cluster, list(left(CASE WHEN top.behaviour = 'corepost'
                                                      THEN 'repost of: ' || coalesce(p.text, top.item)
                                                      ELSE top.item END, 80) || ' (' || n || ' pairs)'
                                            ORDER BY n DESC, top.item) AS top_items
                       FROM top LEFT JOIN posts p ON p.platform = top.platform AND p.post_id = top.example
                       GROUP BY cluster),
                sz AS (SELECT cluster, any_value(component) AS component, count(*) AS size FROM _cm_members
                       GROUP BY cluster)
            SELECT s.cluster, s.component, s.size, coalesce(ed.edges, 0) AS edges, beh.behaviours, ed.first_at,
                   ed.last_at, it.top_items,
                   CASE WHEN s.size > 1 THEN coalesce(ed.edges, 0) / (s.size * (s.size - 1) / 2.0) END AS density,
                   {stance} AS supporter_share
            FROM sz s LEFT JOIN ed USING (cluster) LEFT JOIN beh USING (cluster) LEFT JOIN it USING (cluster)
            ORDER BY s.size DESC, s.cluster"""
        )
    finally:
        ws.con.unregister("_cm_members")


def _store(ws: "Workspace", members: pd.DataFrame, clusters: pd.DataFrame) -> None:
    ws.con.register("_m", members)
    ws.con.register("_c", clusters)
    try:
        ws.con.execute("BEGIN TRANSACTION")
        ws.con.execute("CREATE OR REPLACE TABLE coord_members AS SELECT * FROM _m")
        ws.con.execute("CREATE OR REPLACE TABLE coord_clusters AS SELECT * FROM _c")
        ws.con.execute("COMMIT")
    except BaseException:
        ws.con.execute("ROLLBACK")
        raise
    finally:
        ws.con.unregister("_m")
        ws.con.unregister("_c")


def describe(members: pd.DataFrame, clusters: pd.DataFrame) -> str:
    """One paragraph summarising the clusters, for the report."""
    if members.empty:
        return "No coordinated clusters at these thresholds."
    big = clusters.head(3)
    parts = [f"{len(members):,} accounts in {len(clusters):,} coordinated clusters"]
    for r in big.itertuples(index=False):
        parts.append(f"{r.cluster}: {r.size} accounts ({r.behaviours})")
    return "; ".join(parts) + "."

