"""Discovery from seed accounts: rank the other accounts by how much of their network lies inside the supporter
set (Berger & Morgan's in-group metric), seeded by the communities the seeds concentrate in (Benigni et al.'s
"cluster, label the core, classify the rest") and combined with stance when the stance signal has run.

1. Leiden communities of the undirected, kind-weighted interaction graph (communities.py).
2. A community is *seeded* when it holds more seeds than chance allows (one-sided binomial test against the
   overall seed rate, p < ``alpha``, and at least ``min_enrichment`` times the expected count); the starting supporter set is the seeds plus members of seeded communities.
3. In-group share ``g(a)`` = weight of a's interactions with the current supporter set / all of a's
   interaction weight. While the set is partial, ``g`` is divided by the set's *coverage* (the median in-group
   share of the seeds themselves, which would be ~1 for a complete set) and capped at 1. The set becomes seeds +
   accounts with normalised ``g >= threshold``, at least two partners inside, a repost tie with the set (it
   reposts supporters or is reposted by them: mentions alone are how critics engage too; waived when stance is
   known), not flagged as bot/spam. The set only grows, at most doubling per round, until nothing more
   qualifies; then, with the coverage taken as 1, members whose raw share falls below the threshold are pruned
   until the set is stable.
4. With stance: ``score = (1 - stance_weight) * g + stance_weight * P(support)``; without: ``score = g``.
   Candidates are non-seed accounts with ``score >= threshold``.

Bot/spam-like accounts (mass mentions, repeated identical texts) are flagged (label ``flagged``) and never join
the supporter set. Accounts only seen as targets (``details.collected`` false: mentioned or reposted by the
collection, never collected themselves) are judged on incoming interactions alone - journalists and analysts whom
supporters repost can qualify; stance (when it has run) or a look at them settles it. Ties in score are ranked by
the weight of interactions inside the set. Evidence ``discover``: label seed | candidate | flagged | below, score, details (in-group
share, partners, community, stance, bot reasons, rank), refs = strongest partners inside the supporter set.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import orjson
import pandas as pd
from scipy import sparse
from scipy.stats import binom

from ..errors import MarsadError
from ..signals.base import Signal, ref
from .base import account_names, signal_labels, top_k_partners
from .communities import leiden
from .graph import load_graph
from .seeds import SeedReport, read_seeds

#: interaction weights for the in-group metric: endorsement (repost) counts most; mentions, replies and quotes are
#: also how critics and journalists engage with supporters, so they count less
KIND_WEIGHTS = {"repost": 1.0, "quote": 0.3, "reply": 0.3, "mention": 0.15}

if TYPE_CHECKING:
    from ..workspace import Workspace


def bot_flags(ws: "Workspace", min_posts: int = 20, mentions_per_post: float = 5.0,
              duplicate_share: float = 0.8) -> pd.DataFrame:
    """Accounts whose posting looks automated or spammy: on average ``mentions_per_post`` or more mentions per
    original post, or ``duplicate_share`` of their original posts repeating one identical text (reposts are not
    counted: a repost's text is the original's)."""
    return ws.df(
        f"""WITH o AS (SELECT platform, account_id, text, len(mentions) AS nm FROM posts
                      WHERE NOT embedded AND account_id IS NOT NULL
                        AND repost_of_account_id IS NULL AND repost_of_handle IS NULL),
        a AS (SELECT platform, account_id, count(*) AS originals, avg(nm) AS mentions_per_post FROM o GROUP BY ALL),
        d AS (SELECT platform, account_id, max(n) AS top_text FROM (
                SELECT platform, account_id, hash(text) AS h, count(*) AS n FROM o GROUP BY ALL) GROUP BY ALL)
        SELECT a.platform, a.account_id, a.originals, round(a.mentions_per_post, 3) AS mentions_per_post,
               round(d.top_text / a.originals, 3) AS duplicate_share
        FROM a JOIN d USING (platform, account_id)
        WHERE a.originals >= {int(min_posts)}
          AND (a.mentions_per_post >= {float(mentions_per_post)} OR d.top_text >= {float(duplicate_share)} * a.originals)"""
    )


class DiscoverSignal(Signal):
    name: ClassVar[str] = "discover"
    version: ClassVar[str] = "1"
    #: run after these signals when they exist (marsad.pipeline orders by it)
    requires: ClassVar[tuple[str, ...]] = ("stance",)

    def __init__(self, seeds: str | Path | None = None, threshold: float = 0.5, stance_weight: float = 0.5,
                 alpha: float = 0.01, min_enrichment: float = 2.0, max_rounds: int = 20, resolution: float = 1.0, seed: int = 42,
                 use_stance: bool = True, kind_weights: dict[str, float] | None = None):
        if not 0 < threshold < 1:
            raise MarsadError(f"--threshold must be between 0 and 1 (got {threshold})")
        if not 0 <= stance_weight <= 1:
            raise MarsadError(f"--stance-weight must be between 0 and 1 (got {stance_weight})")
        self.seeds = None if seeds is None else str(seeds)
        self.threshold, self.stance_weight, self.alpha = threshold, stance_weight, alpha
        self.min_enrichment = min_enrichment
        self.kind_weights = {**KIND_WEIGHTS, **(kind_weights or {})}
        self.max_rounds, self.resolution, self.seed, self.use_stance = max_rounds, resolution, seed, use_stance
        self.report: SeedReport | None = None
        self._seed_frame: pd.DataFrame | None = None

    def with_seed_frame(self, seeds: pd.DataFrame) -> "DiscoverSignal":
        """Use seeds given as a frame (platform, account_id) instead of a file (evaluation, Python API)."""
        self._seed_frame = seeds[["platform", "account_id"]].drop_duplicates()
        return self

    def run(self, ws: "Workspace") -> pd.DataFrame:
        if self._seed_frame is not None:
            seeds = self._seed_frame
        elif self.seeds:
            self.report = read_seeds(ws, self.seeds)
            seeds = self.report.seeds
        else:
            raise MarsadError("discovery needs seeds", hint="pass --seeds FILE (one handle or account id per line)")
        g, nodes = load_graph(ws, directed=False, kind_weights=self.kind_weights)
        n = len(nodes)
        key = pd.MultiIndex.from_frame(nodes[["platform", "account_id"]])
        seed_idx = key.get_indexer(pd.MultiIndex.from_frame(seeds[["platform", "account_id"]]))
        is_seed = np.zeros(n, bool)
        is_seed[seed_idx[seed_idx >= 0]] = True
        if not is_seed.any():
            raise MarsadError("none of the seeds takes part in any interaction (repost, reply, quote, mention)")
        el = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        w = np.asarray(g.es["weight"], dtype=float)
        adj = sparse.coo_matrix((np.r_[w, w], (np.r_[el[:, 0], el[:, 1]], np.r_[el[:, 1], el[:, 0]])),
                                shape=(n, n)).tocsr()
        strength = np.asarray(adj.sum(axis=1)).ravel()
        rep = ws.con.execute(
            """SELECT a.idx, b.idx FROM network_edges e
               JOIN _g_nodes a ON a.platform = e.platform AND a.account_id = e.src
               JOIN _g_nodes b ON b.platform = e.platform AND b.account_id = e.dst WHERE e.kind = 'repost'"""
        ).fetchnumpy()
        ra, rb = (np.asarray(v, dtype=np.int64) for v in rep.values())
        endorse = sparse.coo_matrix((np.ones(2 * len(ra)), (np.r_[ra, rb], np.r_[rb, ra])), shape=(n, n)).tocsr()

        # 1-2: seeded communities
        memb = leiden(g, self.resolution, self.seed)
        sizes = np.bincount(memb)
        seeds_in = np.bincount(memb, weights=is_seed.astype(float), minlength=len(sizes))
        rate = is_seed.sum() / n
        pval = binom.sf(seeds_in - 1, sizes, rate)
        seeded = (pval < self.alpha) & (seeds_in >= 2) & (seeds_in >= self.min_enrichment * rate * sizes)

        # bot/spam flags
        flags = bot_flags(ws)
        fidx = key.get_indexer(pd.MultiIndex.from_frame(flags[["platform", "account_id"]])) if len(flags) else []
        flagged = np.zeros(n, bool)
        if len(flags):
            flagged[np.asarray(fidx)[np.asarray(fidx) >= 0]] = True

        # stance
        p_support = np.full(n, np.nan)
        st = signal_labels(ws, "stance") if self.use_stance else None
        if st is not None:
            sidx = key.get_indexer(pd.MultiIndex.from_frame(st[["platform", "account_id"]]))
            ok = sidx >= 0
            p_support[sidx[ok]] = st["score"].to_numpy(dtype=float)[ok]
        sw = np.where(np.isnan(p_support), 0.0, self.stance_weight)

        # 3-4: in-group fixed point. While the set is still partial, a supporter's share inside it is about the
        # set's coverage times its true in-group share; the coverage is estimated from the seeds themselves (median
        # share of a seed's interactions inside the set) and the share divided by it, capped at 1.
        member = (is_seed | seeded[memb]) & ~flagged
        rounds, coverage = 0, 0.0
        # growth: monotone, at most doubling per round, strongest in-group share first, so the coverage estimate
        # keeps up and a partial set does not sweep in whole neighbouring groups at once
        for rounds in range(1, self.max_rounds + 1):
            share, norm, coverage, score = self._score(adj, strength, member, is_seed, sw, p_support, coverage)
            ok = self._eligible(score, flagged, adj, endorse, member, sw) & ~member
            if not ok.any():
                break
            cap = max(int(member.sum()), 10)
            if ok.sum() > cap:
                keep = np.argsort(-np.where(ok, share, -1.0), kind="stable")[:cap]
                ok = np.zeros(n, bool)
                ok[keep] = True
            member = member | ok
        # pruning: against the (now near complete) set, the raw share must reach the threshold; monotone
        for _ in range(self.max_rounds):
            share, norm, _, score = self._score(adj, strength, member, is_seed, sw, p_support, 1.0)
            keep = is_seed | (member & self._eligible(score, flagged, adj, endorse, member, sw))
            if np.array_equal(keep, member):
                break
            member = keep
        share, norm, _, score = self._score(adj, strength, member, is_seed, sw, p_support, 1.0)
        self.coverage = coverage
        self.rounds = rounds
        self._endorsed = (endorse @ member.astype(float) > 0) | (sw > 0)
        label = np.where(is_seed, "seed", np.where(flagged, "flagged", np.where(
            self._eligible(score, flagged, adj, endorse, member, sw), "candidate", "below")))
        # rank: score, then the weight of evidence inside the set (one mention is not ten reposts), then id
        inside_w = adj @ member.astype(float)
        order = np.lexsort((nodes["account_id"].to_numpy(), -inside_w, -score))
        rank = np.empty(n, int)
        rank[order] = np.arange(1, n + 1)
        self._norm = norm
        return self._rows(ws, nodes, adj, member, share, score, label, rank, memb, seeded, p_support, flags, key)

    @staticmethod
    def _partners_in(adj, member) -> np.ndarray:
        a = adj.copy()
        a.data = np.ones_like(a.data)
        return a @ member.astype(float)

    def _eligible(self, score, flagged, adj, endorse, member, sw) -> np.ndarray:
        return ((score >= self.threshold) & ~flagged & (self._partners_in(adj, member) >= 2)
                & ((endorse @ member.astype(float) > 0) | (sw > 0)))

    def _score(self, adj, strength, member, is_seed, sw, p_support, floor: float = 0.0):
        inside = adj @ member.astype(float)
        share = np.divide(inside, strength, out=np.zeros(len(strength)), where=strength > 0)
        seed_share = share[is_seed & (strength > 0)]
        coverage = float(np.clip(np.median(seed_share), 0.02, 1.0)) if len(seed_share) else 1.0
        coverage = max(coverage, floor)
        norm = np.minimum(share / coverage, 1.0)
        score = (1 - sw) * norm + sw * np.nan_to_num(p_support)
        return share, norm, coverage, score

    def _rows(self, ws, nodes, adj, member, share, score, label, rank, memb, seeded, p_support, flags, key):
        names = ws.df(account_names(ws))
        handle = pd.Series(names["handle"].to_numpy(),
                           index=pd.MultiIndex.from_frame(names[["platform", "account_id"]]))
        handles = handle.reindex(key).to_numpy()
        fl = {(r.platform, r.account_id): {"mentions_per_post": r.mentions_per_post,
                                           "duplicate_share": r.duplicate_share} for r in flags.itertuples()}
        ids = nodes["account_id"].to_numpy()
        plats = nodes["platform"].to_numpy()
        collected = pd.MultiIndex.from_frame(nodes[["platform", "account_id"]]).isin(pd.MultiIndex.from_frame(
            ws.df("SELECT DISTINCT platform, account_id FROM posts WHERE NOT embedded AND account_id IS NOT NULL")))
        partners = np.diff(adj.indptr)
        coo = adj.tocoo()
        inside = member[coo.col]
        sup_partners = np.bincount(coo.row[inside], minlength=len(nodes))
        top = top_k_partners(coo.row[inside], coo.col[inside], coo.data[inside], len(nodes), 3)
        refs = [None if t is None else [ref("account", ids[y], v, "interacts, in supporter set") for y, v in t]
                for t in top]
        details = []
        for i in range(len(nodes)):
            h = handles[i] if not pd.isna(handles[i]) else (ids[i][1:] if ids[i].startswith("@") else None)
            d = {"handle": h, "rank": int(rank[i]), "collected": bool(collected[i]),
                 "ingroup_share": round(float(share[i]), 4),
                 "ingroup_normalised": round(float(self._norm[i]), 4), "coverage": round(self.coverage, 4),
                 "repost_tie_to_set": bool(self._endorsed[i]), "partners": int(partners[i]),
                 "supporter_partners": int(sup_partners[i]), "community": f"k{memb[i]}",
                 "community_seeded": bool(seeded[memb[i]])}
            if not np.isnan(p_support[i]):
                d["stance_p_support"] = round(float(p_support[i]), 4)
            k = (plats[i], ids[i])
            if k in fl:
                d["bot_spam"] = fl[k]
            details.append(orjson.dumps(d).decode())
        return pd.DataFrame({"subject_type": "account", "platform": nodes["platform"], "subject_id": ids,
                             "label": label, "score": np.round(score, 4), "refs": refs, "details": details})
