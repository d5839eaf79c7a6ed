"""Device shares: which clients the population posts from, at post level and by each account's primary client,
supporters and the rest side by side, with intervals.

Post-level shares are ratios over accounts (an account tends to post from one device), so their intervals use the
cluster-robust variance of a ratio estimator turned into an effective sample size for a Wilson interval; account
shares are plain Wilson intervals. The primary client of an account is the family it posted from most (ties: the
alphabetically first), within the population's posts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import MarsadError
from .common import CensusTable, Population, population, table_exists, wilson

if TYPE_CHECKING:
    from ..workspace import Workspace


PER_ACCOUNT = """, per AS (
  SELECT grp, akey, coalesce(family, 'unknown') AS family, count(*) AS k FROM pp GROUP BY ALL)"""


def device_shares(ws: "Workspace", pop: Population | None = None, level: float = 0.95) -> CensusTable:
    """Per group (supporters / others / undetermined) and family: post share and primary-client account share."""
    pop = pop or Population()
    ws.require_posts()
    if not table_exists(ws, "device_posts"):
        raise MarsadError("no device data in this workspace", hint="run `marsad device run` first")
    body = f"""{PER_ACCOUNT},
acc AS (SELECT grp, akey, sum(k) AS n, arg_max(family, k * 1e6 - ascii(family)) AS primary_family
        FROM per GROUP BY ALL),
fam AS (SELECT per.grp, per.family, sum(per.k) AS posts, sum(per.k * per.k) AS kk, sum(per.k * acc.n) AS kn
        FROM per JOIN acc USING (grp, akey) GROUP BY ALL),
tot AS (SELECT grp, sum(n) AS n, sum(n * n) AS nn, count(*) AS m FROM acc GROUP BY ALL),
prim AS (SELECT grp, primary_family AS family, count(*) AS accounts FROM acc GROUP BY ALL)
SELECT fam.grp AS "group", fam.family, fam.posts, fam.kk, fam.kn, tot.n AS group_posts, tot.nn, tot.m AS group_accounts,
       coalesce(prim.accounts, 0) AS accounts
FROM fam JOIN tot USING (grp) LEFT JOIN prim USING (grp, family)
ORDER BY "group", posts DESC"""
    with population(ws, pop) as pp:
        raw, sql = pp.query(body)
    z = _z(level)
    if raw.empty:
        df = pd.DataFrame(columns=["group", "family", "posts", "post_share", "post_low", "post_high", "accounts",
                                   "account_share", "account_low", "account_high"])
    else:
        r = raw["posts"] / raw["group_posts"]
        m = raw["group_accounts"].astype(float)
        # cluster-robust variance of sum(k)/sum(n) over accounts: sum((k_i - r n_i)^2) / N^2 * m/(m-1)
        ss = raw["kk"] - 2 * r * raw["kn"] + r * r * raw["nn"]
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(m > 1, ss.clip(lower=0) / raw["group_posts"] ** 2 * m / (m - 1), np.nan)
            n_eff = np.where(var > 0, r * (1 - r) / var, raw["group_posts"])
        n_eff = np.clip(np.nan_to_num(n_eff, nan=1.0), 1, raw["group_posts"])
        plo, phi = wilson(r * n_eff, n_eff, z)
        alo, ahi = wilson(raw["accounts"], raw["group_accounts"], z)
        df = pd.DataFrame({
            "group": raw["group"], "family": raw["family"], "posts": raw["posts"].astype("int64"),
            "post_share": r, "post_low": plo, "post_high": phi, "accounts": raw["accounts"].astype("int64"),
            "account_share": raw["accounts"] / raw["group_accounts"], "account_low": alo, "account_high": ahi,
        })
    return CensusTable(
        "devices", "Devices: share of posts and of accounts by primary client", df, sql=sql,
        note=(f"Client families of posts in the population ({pop.describe()}), from the device signal's mapping of "
              "each post's raw source string. 'post share': share of the group's posts; its interval treats an "
              "account's posts as one cluster (effective sample size from the ratio estimator's cluster-robust "
              "variance, then Wilson). 'account share': share of the group's accounts whose most-used family it "
              f"is (Wilson interval). Intervals are {int(level * 100)}%. Groups come from the stance verdicts."),
        caveats=["Exports without a source field (CrowdTangle, Telegram, many CSVs) show 'unknown'.",
                 "A client string names the app, not the phone: 'web' can be any browser, third-party apps can "
                 "run on any device."],
    )


def top_clients(ws: "Workspace", pop: Population | None = None, limit: int = 15) -> CensusTable:
    """The most used raw client names per group with their family."""
    pop = pop or Population()
    ws.require_posts()
    if not table_exists(ws, "device_posts"):
        raise MarsadError("no device data in this workspace", hint="run `marsad device run` first")
    body = f""", c AS (
  SELECT grp, coalesce(client, '(none)') AS client, coalesce(family, 'unknown') AS family, count(*) AS posts,
         count(DISTINCT akey) AS accounts
  FROM pp GROUP BY ALL)
SELECT grp AS "group", client, family, posts, accounts, posts / sum(posts) OVER (PARTITION BY grp) AS share
FROM c
QUALIFY row_number() OVER (PARTITION BY grp ORDER BY posts DESC, client) <= {int(limit)}
ORDER BY "group", posts DESC"""
    with population(ws, pop) as pp:
        df, sql = pp.query(body)
    return CensusTable("clients", f"Most used clients (top {limit} per group)", df, sql=sql,
                       note="Raw client names as mapped by the device signal; share = the client's posts / all the group's posts.")


def _z(level: float) -> float:
    from scipy.stats import norm

    if not 0.5 < level < 1:
        raise MarsadError("the confidence level must be between 0.5 and 1")
    return float(norm.ppf(0.5 + level / 2))
