"""The "coord" signal: one evidence row per account in a coordination cluster.

``label`` = cluster id (c1 is the largest), ``score`` = synchrony score (share of the account's posts that have a
co-acting post of a cluster partner within the window), ``refs`` = the strongest partner accounts and the
co-action posts behind them, ``details`` = component, behaviours, degree, strength, posts, co-posts and the build
parameters. Builds the networks first when the workspace has none (or ``rebuild``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..signals.base import Signal, ref
from .actions import BEHAVIOURS
from .build import DEFAULT_CAP, DEFAULT_MIN_WEIGHT, DEFAULT_WINDOW, BuildParams, build, build_params
from .clusters import DEFAULT_ALPHA, DEFAULT_MIN_ITEMS, DEFAULT_MIN_LIFT, compute, edge_filter

if TYPE_CHECKING:
    from ..workspace import Workspace

N_PARTNER_REFS = 5
N_POST_REFS = 5


class CoordSignal(Signal):
    name = "coord"
    version = "1"
    subject_type = "account"
    #: clusters report the share of stance supporters when stance has run, so run after it
    requires = ("stance",)

    def __init__(self, window: float = DEFAULT_WINDOW, min_weight: int = DEFAULT_MIN_WEIGHT,
                 behaviours: tuple[str, ...] = BEHAVIOURS, min_items: int = DEFAULT_MIN_ITEMS,
                 cap: int = DEFAULT_CAP, min_lift: float = DEFAULT_MIN_LIFT, alpha: float = DEFAULT_ALPHA,
                 rebuild: bool = False):
        self.window = window
        self.min_weight = min_weight
        self.behaviours = tuple(behaviours)
        self.min_items = min_items
        self.cap = cap
        self.min_lift = min_lift
        self.alpha = alpha
        self.rebuild = rebuild

    def run(self, ws: "Workspace") -> pd.DataFrame:
        built = build_params(ws)
        if self.rebuild or not built:
            build(ws, BuildParams(window=self.window, min_weight=self.min_weight, behaviours=self.behaviours,
                                  cap=self.cap))
            built = build_params(ws)
        members, _ = compute(ws, self.min_items, min_lift=self.min_lift, alpha=self.alpha)
        return self.rows(ws, members, built)

    def rows(self, ws: "Workspace", members: pd.DataFrame, built: dict[str, Any]) -> pd.DataFrame:
        if members.empty:
            return pd.DataFrame(columns=["subject_type", "platform", "subject_id", "label", "score", "refs",
                                         "details"])
        keep = edge_filter(self.min_items, self.min_lift, self.alpha)
        partners = ws.df(
            f"""WITH e AS (
                  SELECT account_a AS account_id, account_b AS partner, sum(weight) AS w FROM coord_edges
                  WHERE {keep} GROUP BY ALL
                  UNION ALL
                  SELECT account_b, account_a, sum(weight) FROM coord_edges
                  WHERE {keep} GROUP BY ALL)
            SELECT account_id, partner, w FROM (
              SELECT *, row_number() OVER (PARTITION BY account_id ORDER BY w DESC, partner) AS rn FROM e)
            WHERE rn <= {N_PARTNER_REFS}"""
        )
        posts = ws.df(
            f"""WITH g AS (SELECT DISTINCT account_a, account_b FROM coord_edges WHERE {keep}),
                ev AS (SELECT e.* FROM coord_evidence e SEMI JOIN g USING (account_a, account_b)),
                x AS (SELECT account_a AS account_id, post_a AS post_id, behaviour, account_b AS partner, item,
                             abs(epoch(at_b) - epoch(at_a)) AS dt FROM ev
                      UNION ALL
                      SELECT account_b, post_b, behaviour, account_a, item, abs(epoch(at_b) - epoch(at_a)) FROM ev)
            SELECT account_id, post_id, behaviour, partner, dt FROM (
              SELECT *, row_number() OVER (PARTITION BY account_id ORDER BY dt, post_id) AS rn FROM x)
            WHERE rn <= {N_POST_REFS}"""
        )
        p_by = {k: g for k, g in partners.groupby("account_id")}
        q_by = {k: g for k, g in posts.groupby("account_id")}
        out = []
        for m in members.itertuples(index=False):
            refs = [ref("account", r.partner, r.w, "coordination partner (summed edge weight)")
                    for r in p_by.get(m.account_id, pd.DataFrame(columns=["partner", "w"])).itertuples(index=False)]
            refs += [ref("post", r.post_id, None, f"{r.behaviour} with {r.partner}, {r.dt:.0f}s apart")
                     for r in q_by.get(m.account_id, pd.DataFrame(columns=["post_id", "behaviour", "partner", "dt"]))
                     .itertuples(index=False)]
            out.append({
                "subject_type": "account", "platform": m.platform, "subject_id": m.account_id, "label": m.cluster,
                "score": float(m.score), "refs": refs,
                "details": {"component": m.component, "behaviours": list(m.behaviours), "degree": int(m.degree),
                            "strength": float(m.strength), "n_posts": None if pd.isna(m.n_posts) else int(m.n_posts),
                            "n_coposts": int(m.n_coposts), "handle": m.handle,
                            "window": built.get("window"), "min_weight": built.get("min_weight"),
                            "min_items": self.min_items, "min_lift": self.min_lift,
                            "alpha": self.alpha},
            })
        return pd.DataFrame(out)
