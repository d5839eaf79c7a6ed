"""Roles in the supporter network (Vidino & Hughes): **node** (creates content others repost), **amplifier**
(mostly repeats others' content), **shoutout** (introduces and vouches for other accounts), **other**.

Features, per account over the window (all kept in the evidence ``details``):

- ``posts``: posts written (not embedded copies); ``reposts``, ``replies``, ``shoutouts`` (see shoutouts.py)
- ``copies``: original posts repeating a text or link that another account posted first within the same
  ten-minute window (copy-paste, coordinated link pushing; see ``COPY_WINDOW_SECONDS``)
- ``original_ratio`` = (posts - reposts) / posts;  ``repost_ratio`` = reposts / posts;
  ``repeat_ratio`` = (reposts + copies) / posts
- ``shoutout_share`` = shout-out posts / original posts;  ``promoted``: distinct accounts it promoted
- ``reposts_received``: reposts of it by other collected accounts; ``reposters``: distinct accounts reposting it
- ``received_per_original`` = reposts_received / original posts
- ``supporter_in_degree``: distinct supporters that repost, quote, reply to or mention it

Rules, first match wins (thresholds are parameters):

1. not judged a supporter (stance/discovery) -> other (roles concern the supporter network)
2. fewer than ``min_posts`` posts -> other (too little activity to say)
3. ``shoutouts >= min_shoutouts`` and ``shoutout_share >= shoutout_share`` -> shoutout
4. ``original_ratio >= node_original`` and ``received_per_original >= node_echo`` x the population's median
   ``received_per_original`` (and at least ``node_echo_floor``), reposted by at least ``node_reposters`` accounts
   -> node: its own content is what others repeat
5. ``repeat_ratio >= amplifier_repost`` -> amplifier: mostly repeats others' content
6. otherwise -> other (mixed behaviour, or content nobody repeats)

The echo threshold is relative to the population's median so it adapts to how completely the data were collected
(``details.echo_threshold`` records the value used).

``score`` is the value of the deciding feature. When no stance or discovery has run, every collected account is
treated as part of the population and ``details.population`` says so.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import orjson
import pandas as pd

from ..signals.base import Signal, ref
from . import shoutouts
from .base import account_names, make_handle_map, make_supporter_set, table_exists, window_sql
from .graph import edges_sql

if TYPE_CHECKING:
    from ..workspace import Workspace

ROLES = ("node", "amplifier", "shoutout", "other")
#: an original post repeats others' when the same text (URLs, digits, punctuation and emoji removed) or the same
#: link was posted by at least two accounts in the same window of this many seconds, and it is not the first of
#: them (coordinated copy-paste, link pushing)
COPY_WINDOW_SECONDS = 600
MIN_COPY_CHARS = 20


def features(ws: "Workspace", since: Any = None, until: Any = None) -> pd.DataFrame:
    """One row per posting account with the role features (SQL aggregations, no Python loop over posts)."""
    ws.require_posts()
    cond = window_sql(since, until)
    make_handle_map(ws)
    if since or until or not table_exists(ws, "network_edges"):
        ws.con.execute(f"CREATE OR REPLACE TEMP TABLE _role_edges AS {edges_sql(cond)}")
        edges = "_role_edges"
    else:
        edges = "network_edges"
    so_table = shoutouts.ensure(ws, since, until)
    return ws.df(
        f"""WITH p AS (
          SELECT platform, account_id, count(*) AS posts,
                 count(*) FILTER (WHERE repost_of_account_id IS NOT NULL OR repost_of_handle IS NOT NULL) AS reposts,
                 count(*) FILTER (WHERE reply_to_account_id IS NOT NULL OR reply_to_handle IS NOT NULL) AS replies
          FROM posts WHERE NOT embedded AND account_id IS NOT NULL AND ({cond}) GROUP BY ALL),
        o AS (SELECT platform, account_id, post_id, created_at,
                     hash(lower(regexp_replace(regexp_replace(text, 'https?://\\S+', '', 'g'),
                                               '[\\s\\p{{P}}\\p{{S}}\\d]+', '', 'g'))) AS tk,
                     urls[1] AS u, epoch(created_at)::BIGINT // {COPY_WINDOW_SECONDS} AS bucket
              FROM posts WHERE NOT embedded AND account_id IS NOT NULL AND ({cond})
                AND repost_of_account_id IS NULL AND repost_of_handle IS NULL
                AND reply_to_account_id IS NULL AND reply_to_handle IS NULL AND length(text) >= {MIN_COPY_CHARS}),
        bt AS (SELECT platform, tk, bucket, arg_min(post_id, created_at) AS first_post FROM o
               GROUP BY ALL HAVING count(DISTINCT account_id) >= 2),
        bu AS (SELECT platform, u, bucket, arg_min(post_id, created_at) AS first_post FROM o WHERE u IS NOT NULL
               GROUP BY ALL HAVING count(DISTINCT account_id) >= 2),
        cp AS (SELECT platform, account_id, count(*) AS copies FROM o
               LEFT JOIN bt USING (platform, tk, bucket) LEFT JOIN bu USING (platform, u, bucket)
               WHERE (bt.first_post IS NOT NULL AND bt.first_post <> o.post_id)
                  OR (bu.first_post IS NOT NULL AND bu.first_post <> o.post_id)
               GROUP BY ALL),
        s AS (SELECT platform, account_id, count(DISTINCT post_id) AS shoutouts,
                     count(DISTINCT promoted_account_id) AS promoted,
                     min_by(post_id, created_at, 3) AS shoutout_refs
              FROM {so_table} GROUP BY ALL),
        r AS (SELECT platform, dst AS account_id, sum(weight) AS reposts_received, count(*) AS reposters,
                     max_by(src, weight, 3) AS reposter_refs
              FROM {edges} WHERE kind = 'repost' GROUP BY ALL),
        d AS (SELECT e.platform, e.dst AS account_id, count(DISTINCT e.src) AS supporter_in_degree
              FROM {edges} e SEMI JOIN _net_supporters s ON s.platform = e.platform AND s.account_id = e.src
              GROUP BY ALL),
        a AS (SELECT platform, src AS account_id, max_by(dst, weight, 3) AS amplified_refs
              FROM {edges} WHERE kind = 'repost' GROUP BY ALL),
        names AS ({account_names(ws)})
        SELECT p.platform, p.account_id, n.handle, p.posts, p.reposts, p.replies, coalesce(cp.copies, 0) AS copies,
               coalesce(s.shoutouts, 0) AS shoutouts, coalesce(s.promoted, 0) AS promoted,
               coalesce(r.reposts_received, 0) AS reposts_received, coalesce(r.reposters, 0) AS reposters,
               coalesce(d.supporter_in_degree, 0) AS supporter_in_degree,
               x.account_id IS NOT NULL AS in_population,
               s.shoutout_refs, r.reposter_refs, a.amplified_refs
        FROM p LEFT JOIN s USING (platform, account_id) LEFT JOIN r USING (platform, account_id)
               LEFT JOIN cp USING (platform, account_id)
               LEFT JOIN (SELECT DISTINCT platform, account_id FROM _net_supporters) x USING (platform, account_id)
               LEFT JOIN d USING (platform, account_id) LEFT JOIN a USING (platform, account_id)
               LEFT JOIN names n USING (platform, account_id)
        ORDER BY p.platform, p.account_id"""
    )


class RoleSignal(Signal):
    name: ClassVar[str] = "role"
    version: ClassVar[str] = "1"
    #: run after these signals when they exist (marsad.pipeline orders by it)
    requires: ClassVar[tuple[str, ...]] = ("stance", "discover")
    FEATURES = ("posts", "reposts", "replies", "copies", "shoutouts", "promoted", "original_ratio", "repost_ratio",
                "repeat_ratio",
                "shoutout_share", "reposts_received", "reposters", "received_per_original", "supporter_in_degree")

    def __init__(self, since: Any = None, until: Any = None, population: str = "auto", min_posts: int = 3,
                 min_shoutouts: int = 2, shoutout_share: float = 0.25, node_original: float = 0.5,
                 node_echo: float = 5.0, node_echo_floor: float = 0.25, node_reposters: int = 2,
                 amplifier_repost: float = 0.62):
        self.since, self.until, self.population = since, until, population
        self.min_posts, self.min_shoutouts, self.shoutout_share = min_posts, min_shoutouts, shoutout_share
        self.node_original, self.node_echo, self.node_echo_floor = node_original, node_echo, node_echo_floor
        self.node_reposters = node_reposters
        self.amplifier_repost = amplifier_repost
        self._population_source = None

    def table(self, ws: "Workspace") -> pd.DataFrame:
        """Features plus ``role``, ``score`` and the deciding ``reason`` for every posting account."""
        self._population_source = make_supporter_set(ws, self.population)
        f = features(ws, self.since, self.until)
        posts = f["posts"].astype(float)
        original = posts - f["reposts"]
        f["original_ratio"] = (original / posts).round(4)
        f["repost_ratio"] = (f["reposts"] / posts).round(4)
        f["repeat_ratio"] = ((f["reposts"] + f["copies"]) / posts).round(4)
        f["shoutout_share"] = (f["shoutouts"] / original.where(original > 0)).fillna(0.0).round(4)
        f["received_per_original"] = (f["reposts_received"] / original.where(original > 0)).fillna(0.0).round(4)
        pop = f[f["in_population"] & (original > 0)]["received_per_original"]
        self._echo = max(self.node_echo_floor, self.node_echo * float(pop.median()) if len(pop) else 0.0)
        roles, scores, reasons = [], [], []
        for r in f.itertuples(index=False):
            role, score, reason = self.decide(r)
            roles.append(role)
            scores.append(score)
            reasons.append(reason)
        f["role"], f["score"], f["reason"] = roles, scores, reasons
        return f

    def decide(self, r) -> tuple[str, float, str]:
        if not r.in_population:
            return "other", 0.0, "not judged a supporter"
        if r.posts < self.min_posts:
            return "other", 0.0, f"fewer than {self.min_posts} posts"
        if r.shoutouts >= self.min_shoutouts and r.shoutout_share >= self.shoutout_share:
            return "shoutout", float(r.shoutout_share), "shoutout_share"
        if (r.original_ratio >= self.node_original and r.received_per_original >= self._echo
                and r.reposters >= self.node_reposters):
            return "node", float(r.original_ratio), "original content reposted by others"
        if r.repeat_ratio >= self.amplifier_repost:
            return "amplifier", float(r.repeat_ratio), "repeat_ratio (reposts and copies)"
        return "other", 0.0, "mixed behaviour or content nobody repeats"

    def run(self, ws: "Workspace") -> pd.DataFrame:
        f = self.table(ws)
        details, refs = [], []
        extra = {"population": self._population_source, "echo_threshold": round(self._echo, 4)}
        feats = f[list(self.FEATURES) + ["handle", "reason"]].astype(object).where(f.notna(), None)
        for d, so, rp, am in zip(feats.to_dict("records"), f["shoutout_refs"], f["reposter_refs"],
                                 f["amplified_refs"]):
            d.update(extra)
            details.append(orjson.dumps(d, default=_py).decode())
            rs = [ref("post", p, note="shout-out") for p in _list(so)]
            rs += [ref("account", a, note="reposts it") for a in _list(rp)]
            rs += [ref("account", a, note="it reposts") for a in _list(am)]
            refs.append(rs or None)
        return pd.DataFrame({"subject_type": "account", "platform": f["platform"], "subject_id": f["account_id"],
                             "label": f["role"], "score": f["score"], "refs": refs, "details": details})


def _list(v: Any) -> list:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return []
    return list(v)


def _py(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v
