"""Communities of the interaction graph: Leiden (igraph + leidenalg) on the undirected, kind-weighted graph,
with a summary per community (size, top accounts, hashtags, countries, stance share).

Evidence ``community``: label = community id (``c0`` is the largest), score = share of the account's interaction
weight that stays inside its community (how firmly it belongs), refs = its strongest partners in the community.
Result table ``network_communities``: one summary row per community of at least ``min_summary`` accounts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import MarsadError
from ..signals.base import Signal, ref
from .base import account_names, signal_labels, table_exists, top_k_partners
from .graph import load_graph

if TYPE_CHECKING:
    from ..workspace import Workspace


def leiden(g, resolution: float = 1.0, seed: int = 42, n_iterations: int = 2) -> np.ndarray:
    """Membership vector of a weighted Leiden partition (modularity with a resolution parameter)."""
    import leidenalg

    if g.vcount() == 0:
        return np.zeros(0, dtype=int)
    part = leidenalg.find_partition(
        g, leidenalg.RBConfigurationVertexPartition, weights="weight", resolution_parameter=resolution,
        seed=seed, n_iterations=n_iterations)
    return np.asarray(part.membership)


class CommunitySignal(Signal):
    name: ClassVar[str] = "community"
    version: ClassVar[str] = "1"
    #: run after these signals when they exist (marsad.pipeline orders by it)
    requires: ClassVar[tuple[str, ...]] = ("stance", "geo")

    def __init__(self, resolution: float = 1.0, seed: int = 42, kinds: tuple[str, ...] | None = None,
                 since: Any = None, until: Any = None, min_summary: int = 5):
        if resolution <= 0:
            raise MarsadError(f"--resolution must be positive (got {resolution})")
        self.resolution, self.seed, self.kinds = resolution, seed, kinds
        self.since, self.until, self.min_summary = since, until, min_summary
        self.modularity: float | None = None

    def run(self, ws: "Workspace") -> pd.DataFrame:
        g, nodes = load_graph(ws, kinds=self.kinds, directed=False, since=self.since, until=self.until)
        if g.vcount() == 0:
            raise MarsadError("the interaction graph is empty (no reposts, replies, quotes or mentions)")
        memb = leiden(g, self.resolution, self.seed)
        # relabel by size: c0 is the largest
        sizes = np.bincount(memb)
        order = np.argsort(-sizes, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        memb = rank[memb]
        self.modularity = float(g.modularity(memb.tolist(), weights="weight"))
        # strength inside own community vs total
        el = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        w = np.asarray(g.es["weight"], dtype=float)
        same = memb[el[:, 0]] == memb[el[:, 1]] if len(el) else np.zeros(0, bool)
        tot = np.bincount(el[:, 0], w, len(nodes)) + np.bincount(el[:, 1], w, len(nodes))
        ins = np.bincount(el[same, 0], w[same], len(nodes)) + np.bincount(el[same, 1], w[same], len(nodes))
        belong = np.divide(ins, tot, out=np.zeros_like(tot), where=tot > 0)
        nodes = nodes.assign(community=[f"c{m}" for m in memb], belong=belong.round(4), strength=tot)
        ws.con.register("_comm", nodes[["platform", "account_id", "community", "belong", "strength"]])
        ws.con.execute("CREATE OR REPLACE TABLE network_community_members AS SELECT * FROM _comm")
        ws.con.unregister("_comm")
        self._summaries(ws)
        # refs: strongest partners inside the community
        top = self._top_partners(el, w, memb, same, nodes)
        size_of = sizes[order]
        details = [f'{{"size": {int(size_of[m])}, "strength": {float(s)!r}}}' for m, s in zip(memb.tolist(), tot.tolist())]
        return pd.DataFrame({"subject_type": "account", "platform": nodes["platform"],
                             "subject_id": nodes["account_id"], "label": nodes["community"],
                             "score": nodes["belong"], "refs": top, "details": details})

    @staticmethod
    def _top_partners(el, w, memb, same, nodes, k: int = 3) -> list:
        """Each account's ``k`` strongest partners inside its community, as refs."""
        if not len(el) or not same.any():
            return [None] * len(nodes)
        top = top_k_partners(np.concatenate([el[same, 0], el[same, 1]]), np.concatenate([el[same, 1], el[same, 0]]),
                             np.concatenate([w[same], w[same]]), len(nodes), k)
        ids = nodes["account_id"].to_numpy()
        return [None if t is None else [ref("account", ids[y], v, "partner in community") for y, v in t] for t in top]

    def _summaries(self, ws: "Workspace") -> None:
        stance = "stance" if signal_labels_exist(ws, "stance") else None
        geo = signal_labels_exist(ws, "geo")
        ws.con.execute(
            f"""CREATE OR REPLACE TABLE network_communities AS
            WITH m AS (SELECT * FROM network_community_members),
            big AS (SELECT community, count(*) AS size FROM m GROUP BY 1 HAVING count(*) >= {int(self.min_summary)}),
            names AS ({account_names(ws)}),
            top AS (SELECT m.community, max_by(coalesce(n.handle, m.account_id), m.strength, 5) AS top
                    FROM m LEFT JOIN names n USING (platform, account_id) WHERE community IN (SELECT community FROM big)
                    GROUP BY 1),
            tags AS (SELECT community, max_by(tag, n, 5) AS hashtags FROM (
                       SELECT m.community, lower(t.tag) AS tag, count(*) AS n
                       FROM (SELECT platform, account_id, unnest(hashtags) AS tag FROM posts
                             WHERE NOT embedded AND len(hashtags) > 0) t
                       JOIN m USING (platform, account_id) WHERE m.community IN (SELECT community FROM big)
                       GROUP BY ALL) GROUP BY 1),
            ctry AS ({"SELECT m.community, max_by(label, n, 3) AS countries FROM ("
                      "SELECT m.community, e.label, count(*) AS n FROM m JOIN evidence e ON e.signal = 'geo' "
                      "AND e.subject_type = 'account' AND e.platform = m.platform AND e.subject_id = m.account_id "
                      "WHERE e.label IS NOT NULL GROUP BY ALL) m GROUP BY 1" if geo else
                      "SELECT NULL::VARCHAR AS community, NULL::VARCHAR[] AS countries WHERE false"}),
            st AS ({"SELECT m.community, avg((e.label = 'supporter')::INT) AS supporter_share FROM m JOIN evidence e "
                    "ON e.signal = 'stance' AND e.subject_type = 'account' AND e.platform = m.platform "
                    "AND e.subject_id = m.account_id GROUP BY 1" if stance else
                    "SELECT NULL::VARCHAR AS community, NULL::DOUBLE AS supporter_share WHERE false"})
            SELECT big.community, big.size, top.top AS top_accounts, tags.hashtags AS top_hashtags,
                   ctry.countries AS top_countries, st.supporter_share
            FROM big LEFT JOIN top USING (community) LEFT JOIN tags USING (community)
                     LEFT JOIN ctry USING (community) LEFT JOIN st USING (community)
            ORDER BY big.size DESC"""
        )


def signal_labels_exist(ws: "Workspace", signal: str) -> bool:
    return signal_labels(ws, signal) is not None


def summaries(ws: "Workspace") -> pd.DataFrame:
    if not table_exists(ws, "network_communities"):
        raise MarsadError("no communities yet", hint="run `marsad network communities` first")
    return ws.df("SELECT * FROM network_communities ORDER BY size DESC")
