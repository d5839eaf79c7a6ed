"""The population over time: with several snapshots (each ingested file is one collection round), which accounts
appeared, disappeared (likely suspended; or simply not collected again - the data cannot tell which), were
renamed, and how the followers of returning users changed (Berger & Perez: each return costs followers).

Snapshots are the datasets, ordered by the latest time they observed (post time or profile observation).
An account is *seen* in a snapshot when it posted or its profile was observed in that file. Returning users are
the account families (families.py): an older account that disappeared and a newer one that appeared after it.

Tables ``timeline_snapshots`` (per snapshot: accounts, appeared, disappeared, renamed) and ``timeline_returns``
(per family link: followers of the old account when last seen, of the new one when first and last seen).
Evidence ``timeline``: per account with an event, label = events joined by ``+`` (appeared, disappeared,
renamed, returned), details = snapshots seen, handles, followers.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from ..errors import MarsadError
from ..signals.base import Signal, ref
from .base import table_exists

if TYPE_CHECKING:
    from ..workspace import Workspace


class TimelineSignal(Signal):
    name: ClassVar[str] = "timeline"
    version: ClassVar[str] = "1"
    #: run after these signals when they exist (marsad.pipeline orders by it)
    requires: ClassVar[tuple[str, ...]] = ("family",)

    def run(self, ws: "Workspace") -> pd.DataFrame:
        ws.require_posts()
        con = ws.con
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _tl_snap AS
            SELECT dataset_id, row_number() OVER (ORDER BY t, imported_at, dataset_id) AS snap, t, path FROM (
              SELECT d.dataset_id, d.imported_at, regexp_extract(d.path, '[^/]+$') AS path,
                     coalesce(greatest((SELECT max(created_at) FROM posts p WHERE p.dataset_id = d.dataset_id),
                                       (SELECT max(last_observed) FROM account_snapshots s
                                        WHERE s.dataset_id = d.dataset_id)), d.imported_at) AS t
              FROM datasets d)"""
        )
        n_snap = con.execute("SELECT count(*) FROM _tl_snap").fetchone()[0]
        if n_snap < 2:
            raise MarsadError(f"the timeline needs at least two snapshots (ingested files); this workspace has "
                              f"{n_snap}", hint="ingest each collection round as its own file")
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _tl_seen AS
            SELECT platform, account_id, snap, arg_max(handle, seen) AS handle,
                   arg_min(followers, seen0) AS followers_first, arg_max(followers, seen) AS followers_last
            FROM (
              SELECT s.platform, s.account_id, n.snap, s.handle, s.followers, s.first_observed AS seen0,
                     s.last_observed AS seen
              FROM account_snapshots s JOIN _tl_snap n USING (dataset_id)
              UNION ALL
              SELECT p.platform, p.account_id, n.snap, p.account_handle, NULL, min(p.created_at), max(p.created_at)
              FROM posts p JOIN _tl_snap n USING (dataset_id) WHERE NOT p.embedded AND p.account_id IS NOT NULL
              GROUP BY ALL)
            GROUP BY ALL"""
        )
        acc = ws.df(
            """SELECT platform, account_id, min(snap) AS first_snap, max(snap) AS last_snap, count(*) AS n_snaps,
                   list(DISTINCT handle) FILTER (WHERE handle IS NOT NULL) AS handles,
                   list(lower(handle) ORDER BY snap) FILTER (WHERE handle IS NOT NULL) AS handle_seq,
                   arg_min(followers_first, snap) FILTER (WHERE followers_first IS NOT NULL) AS followers_first,
                   arg_max(followers_last, snap) FILTER (WHERE followers_last IS NOT NULL) AS followers_last
            FROM _tl_seen GROUP BY ALL"""
        )
        acc["appeared"] = acc["first_snap"] > 1
        acc["disappeared"] = acc["last_snap"] < n_snap
        acc["renamed"] = [len({h for h in (s if s is not None else [])}) > 1 for s in acc["handle_seq"]]
        returns = self._returns(ws)
        acc["returned"] = False
        if len(returns):
            newer = set(zip(returns["platform"], returns["newer"]))
            acc["returned"] = [(p, a) in newer for p, a in zip(acc["platform"], acc["account_id"])]
        snaps = ws.df("SELECT snap, dataset_id, path, t AS observed_until FROM _tl_snap ORDER BY snap")
        seen_n = ws.df("SELECT snap, count(*) AS accounts_seen FROM _tl_seen GROUP BY 1")
        snaps = snaps.merge(seen_n, on="snap", how="left")
        snaps["appeared"] = [int((acc["first_snap"] == s).sum()) if s > 1 else 0 for s in snaps["snap"]]
        snaps["disappeared_after"] = [int((acc["last_snap"] == s).sum()) if s < n_snap else 0 for s in snaps["snap"]]
        renamed_in = ws.df(
            """SELECT snap, count(*) AS renamed FROM (
                 SELECT platform, account_id, snap, lower(handle) AS h,
                        lag(lower(handle)) OVER (PARTITION BY platform, account_id ORDER BY snap) AS prev
                 FROM _tl_seen WHERE handle IS NOT NULL) WHERE prev IS NOT NULL AND h <> prev GROUP BY 1""")
        snaps = snaps.merge(renamed_in, on="snap", how="left").fillna({"renamed": 0})
        snaps["renamed"] = snaps["renamed"].astype(int)
        for name, df in (("timeline_snapshots", snaps), ("timeline_returns", returns)):
            con.register("_t", df)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _t")
            con.unregister("_t")
        self.snapshots, self.returns = snaps, returns
        ev = acc[acc[["appeared", "disappeared", "renamed", "returned"]].any(axis=1)]
        labels = ["+".join(k for k in ("appeared", "disappeared", "renamed", "returned") if getattr(r, k))
                  for r in ev.itertuples(index=False)]
        prev = {}
        if len(returns):
            prev = {(p, n): o for p, n, o in zip(returns["platform"], returns["newer"], returns["older"])}
        return pd.DataFrame({
            "subject_type": "account", "platform": ev["platform"], "subject_id": ev["account_id"], "label": labels,
            "score": None,
            "refs": [[ref("account", prev[(p, a)], note="previous account")] if (p, a) in prev else None
                     for p, a in zip(ev["platform"], ev["account_id"])],
            "details": [json.dumps({"first_snapshot": int(r.first_snap), "last_snapshot": int(r.last_snap),
                                    "snapshots": n_snap, "handles": list(r.handles) if r.handles is not None else [],
                                    "followers_first": _int(r.followers_first),
                                    "followers_last": _int(r.followers_last)}, ensure_ascii=False)
                        for r in ev.itertuples(index=False)]})

    def _returns(self, ws: "Workspace") -> pd.DataFrame:
        cols = ["platform", "family", "older", "newer", "older_handle", "newer_handle", "old_followers_last",
                "new_followers_first", "new_followers_last", "kept_share"]
        if not table_exists(ws, "family_links"):
            return pd.DataFrame(columns=cols)
        df = ws.df(
            """WITH f AS (SELECT platform, account_id, arg_min(followers_first, snap) AS ff,
                                 arg_max(followers_last, snap) AS fl, max(snap) AS ls, min(snap) AS fs
                          FROM _tl_seen GROUP BY ALL)
            SELECT l.platform, l.family, l.older, l.newer, l.older_handle, l.newer_handle,
                   o.fl AS old_followers_last, n.ff AS new_followers_first, n.fl AS new_followers_last,
                   round(n.fl / nullif(o.fl, 0), 4) AS kept_share
            FROM family_links l JOIN f o ON o.platform = l.platform AND o.account_id = l.older
                                JOIN f n ON n.platform = l.platform AND n.account_id = l.newer
            ORDER BY l.family, l.older""")
        return df[cols]


def _int(v):
    return None if v is None or pd.isna(v) else int(v)
