"""Small hand-built workspaces for the coordination tests: posts inserted straight into ``posts``."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pyarrow as pa

from marsad.records import POST_SCHEMA

T0 = datetime(2015, 3, 1, tzinfo=timezone.utc)


class Posts:
    """Collects posts and inserts them into a workspace."""

    def __init__(self, platform: str = "twitter"):
        self.platform = platform
        self.rows: list[dict] = []

    def add(self, post_id: str, account: str, seconds: float, text: str = "x", **kw) -> None:
        r = {f: None for f in POST_SCHEMA.names}
        r.update(platform=self.platform, post_id=post_id, account_id=account, account_handle=account,
                 created_at=T0 + timedelta(seconds=seconds), text=text, embedded=False, mentions=[], hashtags=[],
                 urls=[], media_urls=[])
        r.update(kw)
        self.rows.append(r)

    def insert(self, ws) -> None:
        ws.con.register("_new_posts", pa.Table.from_pylist(self.rows, schema=POST_SCHEMA))
        ws.con.execute("INSERT INTO posts SELECT *, 'test' FROM _new_posts")
        ws.con.unregister("_new_posts")
        accounts = pd.DataFrame(self.rows).groupby(["platform", "account_id"], as_index=False).agg(
            handle=("account_handle", "first"), first_observed=("created_at", "min"),
            last_observed=("created_at", "max"))
        ws.con.register("_new_accounts", accounts)
        ws.con.execute(
            """INSERT INTO account_snapshots (platform, account_id, handle, first_observed, last_observed,
                                              n_observations, dataset_id)
               SELECT platform, account_id, handle, first_observed, last_observed, 1, 'test' FROM _new_accounts"""
        )
        ws.con.unregister("_new_accounts")


def planted_world(seed: int = 0, n_ordinary: int = 300, groups: tuple[int, ...] = (6, 8, 10), days: int = 20,
                  events_per_group: int = 12) -> tuple[Posts, dict[str, int]]:
    """Ordinary accounts posting, reposting popular posts, sharing one popular link and two popular hashtags at
    random times, plus planted groups that repost / post a link / copy a text within seconds of each other.
    Returns the posts and the truth {account: group} for planted accounts."""
    rng = np.random.default_rng(seed)
    span = days * 86400
    P = Posts()
    n = 0
    ordinary = [f"o{i}" for i in range(n_ordinary)]
    busy = ordinary[:40]  # very active accounts
    popular_posts = [f"viral{i}" for i in range(30)]
    for a in ordinary:
        k = int(rng.integers(60, 140)) if a in busy else int(rng.integers(3, 15))
        for t in rng.uniform(0, span, size=k):
            n += 1
            r = rng.random()
            if r < 0.35:
                P.add(f"p{n}", a, t, "RT something popular", repost_of_post_id=str(rng.choice(popular_posts)))
            elif r < 0.55:
                P.add(f"p{n}", a, t, "everyone reads this https://news.example.com/big-story",
                      urls=["https://news.example.com/big-story"])
            elif r < 0.8:
                P.add(f"p{n}", a, t, "talking about #Popular #Trend", hashtags=["Popular", "Trend"])
            else:
                words = " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta",
                                             "iota", "kappa", "lambda", "mu", "nu", "xi"], size=8))
                P.add(f"p{n}", a, t, f"my own words {words} {n}")
    truth: dict[str, int] = {}
    for g, size in enumerate(groups):
        members = [f"g{g}m{i}" for i in range(size)]
        truth.update({m: g for m in members})
        for m in members:  # background activity of members
            for t in rng.uniform(0, span, size=int(rng.integers(5, 20))):
                n += 1
                P.add(f"p{n}", m, t, f"member chatter {n} and more words here")
        for e in range(events_per_group):
            t0 = rng.uniform(0, span)
            kind = g % 3
            for m in members:
                if rng.random() > 0.85:
                    continue
                n += 1
                t = t0 + rng.exponential(12.0)
                if kind == 0:
                    P.add(f"p{n}", m, t, "RT campaign post", repost_of_post_id=f"camp{g}-{e}")
                elif kind == 1:
                    P.add(f"p{n}", m, t, f"look https://camp{g}.example.org/item/{e}",
                          urls=[f"https://camp{g}.example.org/item/{e}"])
                else:
                    P.add(f"p{n}", m, t, f"@{m} the campaign message number {e} for group {g} spread it now",
                          mentions=[m])
    return P, truth
