"""Reach and activity: followers/following/statuses distributions, in-network share, the hyperactive core,
account creation months, posting over time and languages - supporters and the others side by side.

The population is the accounts with at least one post in the filtered posts; profile counts come from each
account's latest observation (the ``accounts`` view). Groups come from the stance verdicts (supporters, others,
undetermined), or "all accounts" when stance has not run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .common import CensusTable, Population, population, table_exists, wilson

if TYPE_CHECKING:
    from ..workspace import Workspace

METRICS = ("followers", "following", "statuses")
THRESHOLDS = (1000, 10000, 50000)
LOG_BINS = [(0, 0, "0"), (1, 9, "1-9"), (10, 99, "10-99"), (100, 999, "100-999"), (1000, 9999, "1k-10k"),
            (10000, 99999, "10k-100k"), (100000, None, "100k+")]


#: per-account activity of the population ``pp`` joined to each account's latest observation
PER_ACCOUNT = """, pa AS (
  SELECT x.*, a.followers, a.following, a.statuses, a.created_at AS account_created, a.lang AS interface_lang
  FROM (SELECT akey, any_value(platform) AS platform, any_value(account_id) AS account_id, any_value(grp) AS grp,
               count(*) AS posts, count(DISTINCT CAST(created_at AS DATE)) AS active_days
        FROM pp GROUP BY akey) x
  LEFT JOIN accounts a ON a.platform = x.platform AND a.account_id = x.account_id)"""


def _query(ws: "Workspace", pop: Population, body: str) -> tuple[pd.DataFrame, str]:
    ws.require_posts()
    with population(ws, pop) as pp:
        return pp.query(body)


def _median_ci(x: np.ndarray, z: float = 1.96) -> tuple[float, float]:
    """Distribution-free interval for the median from order statistics."""
    n = len(x)
    if n < 3:
        return np.nan, np.nan
    s = np.sort(x)
    lo = int(np.floor(n / 2 - z * np.sqrt(n) / 2))
    hi = int(np.ceil(n / 2 + z * np.sqrt(n) / 2))
    return float(s[max(lo, 0)]), float(s[min(hi, n - 1)])


def reach_stats(ws: "Workspace", pop: Population | None = None) -> CensusTable:
    """Per group and metric: n, mean (95% CI), median (95% CI), quantiles, max, shares over thresholds."""
    pop = pop or Population()
    raw, sql = _query(ws, pop, f"{PER_ACCOUNT}\nSELECT grp AS \"group\", {', '.join(METRICS)} FROM pa")
    rows = []
    for grp, sub in raw.groupby("group", sort=True):
        for m in METRICS:
            x = sub[m].dropna().to_numpy(float)
            n = len(x)
            row = {"group": grp, "metric": m, "accounts": n}
            if n:
                q = np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
                se = x.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
                mlo, mhi = _median_ci(x)
                row.update(mean=x.mean(), mean_low=max(x.mean() - 1.96 * se, 0), mean_high=x.mean() + 1.96 * se,
                           median=q[2], median_low=mlo, median_high=mhi, p10=q[0], p25=q[1], p75=q[3], p90=q[4],
                           p99=q[5], max=x.max())
                for t in THRESHOLDS:
                    k = int((x >= t).sum())
                    lo, hi = wilson(k, n)
                    row[f"share_ge_{t}"], row[f"share_ge_{t}_low"], row[f"share_ge_{t}_high"] = k / n, float(lo), float(hi)
            rows.append(row)
    df = pd.DataFrame(rows)
    return CensusTable(
        "reach", "Followers, following and posts per account", df, sql=sql,
        note=(f"Accounts with at least one post in the population ({pop.describe()}); counts from each account's "
              "latest observation. Mean with a normal 95% interval (heavy tails make it fragile: read the median), "
              "median with a distribution-free order-statistic interval, shares over thresholds with Wilson "
              "intervals."),
        caveats=["Follower counts are as the platform reported them when collected; suspended or re-created "
                 "accounts restart from zero."],
    )


def follower_histogram(ws: "Workspace", pop: Population | None = None) -> CensusTable:
    pop = pop or Population()
    ws.require_posts()
    case = " ".join(
        f"WHEN followers >= {lo}" + (f" AND followers <= {hi}" if hi is not None else "") + f" THEN {i}"
        for i, (lo, hi, _) in enumerate(LOG_BINS))
    df, sql = _query(ws, pop, f"""{PER_ACCOUNT}
SELECT grp AS "group", CASE {case} END AS bin, count(*) AS accounts,
       count(*) / sum(count(*)) OVER (PARTITION BY grp) AS share
FROM pa WHERE followers IS NOT NULL GROUP BY grp, bin ORDER BY "group", bin""")
    df["bin_label"] = df["bin"].map(lambda i: LOG_BINS[int(i)][2])
    return CensusTable("follower_bins", "Accounts by number of followers", df, sql=sql,
                       note="Share of each group's accounts in each follower band (latest observation).")


def in_network(ws: "Workspace", pop: Population | None = None) -> CensusTable | None:
    """How insular the network is: the share of each group's followers (or, without follow data, of the
    interactions it receives - reposts, quotes, replies, mentions) that come from supporters."""
    from .common import has_signal

    pop = pop or Population()
    ws.require_posts()
    if not has_signal(ws, "stance"):
        return None  # without stance verdicts there are no supporters to count
    if table_exists(ws, "follows"):
        edges, what = ("SELECT platform, follower_id AS src, followed_id AS dst, 1 AS weight FROM follows",
                       "followers")
    elif table_exists(ws, "network_edges"):
        edges, what = "SELECT platform, src, dst, weight FROM network_edges", "interactions received"
    else:
        return None
    df, sql = _query(ws, pop, f"""{PER_ACCOUNT},
e AS ({edges})
SELECT t.grp AS "group", count(DISTINCT t.account_id) AS accounts_reached, sum(e.weight) AS {what.split()[0]},
       sum(e.weight) FILTER (WHERE coalesce(s.grp, 'outside') = 'supporters') AS from_supporters,
       sum(e.weight) FILTER (WHERE s.grp IS NULL) AS from_outside_population,
       count(DISTINCT e.src) AS distinct_sources
FROM e JOIN pa t ON t.platform = e.platform AND t.account_id = e.dst
LEFT JOIN (SELECT DISTINCT platform, account_id, grp FROM pa) s ON s.platform = e.platform AND s.account_id = e.src
GROUP BY t.grp ORDER BY "group" """)
    if df.empty:
        return None
    df["from_outside_population"] = df["from_outside_population"].fillna(0).astype("int64")
    tot = df[what.split()[0]].astype(float)
    df["supporter_share"] = df["from_supporters"].fillna(0) / tot
    lo, hi = wilson(df["from_supporters"].fillna(0), tot)
    df["supporter_share_low"], df["supporter_share_high"] = lo, hi
    return CensusTable(
        "in_network", f"In-network share: {what} coming from supporters", df, sql=sql,
        note=(f"For each group, the {what} its accounts get and the share that come from accounts the stance "
              "model calls supporters (Berger & Morgan found nearly half of supporters' followers were themselves "
              "supporters). Wilson intervals treat each interaction as independent, so they are optimistic."),
        caveats=[] if what == "followers" else
        ["The workspace has no follow data, so this uses interactions (reposts, quotes, replies, mentions) as "
         "the nearest observable tie."],
    )


def hyperactive_core(ws: "Workspace", pop: Population | None = None) -> CensusTable:
    """Concentration of posting: the top 1% / 5% / 10% of accounts by posts, their share of all posts, their
    posting rate and burstiness, and how many of them the stance model calls supporters (no account list)."""
    pop = pop or Population()
    ws.require_posts()
    df, sql = _query(ws, pop, f"""{PER_ACCOUNT},
gaps AS (SELECT akey,
                epoch(created_at) - epoch(lag(created_at) OVER (PARTITION BY akey ORDER BY created_at)) AS gap
         FROM pp),
burst AS (SELECT akey,
                 CASE WHEN count(gap) >= 5 AND avg(gap) > 0
                      THEN (stddev_pop(gap) - avg(gap)) / (stddev_pop(gap) + avg(gap)) END AS burstiness
          FROM gaps GROUP BY ALL),
ranked AS (SELECT pa.*, b.burstiness, percent_rank() OVER (ORDER BY posts DESC) AS pr,
                  sum(posts) OVER () AS all_posts FROM pa LEFT JOIN burst b USING (akey)),
tiers AS (SELECT *, CASE WHEN pr < 0.01 THEN 'top 1%' WHEN pr < 0.05 THEN 'top 1-5%'
                         WHEN pr < 0.10 THEN 'top 5-10%' ELSE 'other 90%' END AS tier FROM ranked)
SELECT tier, count(*) AS accounts, sum(posts) AS posts, sum(posts) / any_value(all_posts) AS share_of_posts,
       median(posts / greatest(active_days, 1)) AS median_posts_per_active_day,
       median(burstiness) AS median_burstiness,
       count(*) FILTER (WHERE grp = 'supporters') AS supporters,
       count(*) FILTER (WHERE grp = 'supporters') / count(*) AS supporter_share
FROM tiers GROUP BY tier
ORDER BY CASE tier WHEN 'top 1%' THEN 0 WHEN 'top 1-5%' THEN 1 WHEN 'top 5-10%' THEN 2 ELSE 3 END""")
    return CensusTable(
        "hyperactive", "The hyperactive core: concentration of posting", df, sql=sql,
        note=("Accounts ranked by number of posts in the population. Burstiness is (sd - mean) / (sd + mean) of "
              "the gaps between an account's posts (Goh & Barabasi): 0 for random posting, towards 1 for bursts, "
              "negative for regular posting; accounts with fewer than 6 posts have none. No account is listed."),
    )


def creation_months(ws: "Workspace", pop: Population | None = None) -> CensusTable:
    pop = pop or Population()
    ws.require_posts()
    df, sql = _query(ws, pop, f"""{PER_ACCOUNT}
SELECT grp AS "group", CAST(date_trunc('month', account_created) AS DATE) AS month, count(*) AS accounts
FROM pa WHERE account_created IS NOT NULL GROUP BY ALL ORDER BY month, "group" """)
    return CensusTable("creation_months", "Account creation month", df, sql=sql,
                       note="When the population's accounts were created (from the profile), per group.")


def posting_weeks(ws: "Workspace", pop: Population | None = None) -> CensusTable:
    pop = pop or Population()
    ws.require_posts()
    df, sql = _query(ws, pop, """SELECT grp AS "group", CAST(date_trunc('week', created_at) AS DATE) AS week,
       count(*) AS posts, count(DISTINCT akey) AS accounts
FROM pp WHERE created_at IS NOT NULL GROUP BY ALL ORDER BY week, "group" """)
    return CensusTable("posting_weeks", "Posts per week", df, sql=sql,
                       note="Posts of the population per calendar week (weeks start on Monday, UTC), per group.")


def languages(ws: "Workspace", pop: Population | None = None, top: int = 8) -> CensusTable:
    """Post languages and interface languages per group (the top languages; the rest as 'other')."""
    pop = pop or Population()
    ws.require_posts()
    df, sql = _query(ws, pop, f"""{PER_ACCOUNT},
l AS (SELECT 'post' AS kind, grp, coalesce(lower(lang), '(none)') AS lang, count(*) AS n FROM pp GROUP BY ALL
      UNION ALL
      SELECT 'interface', grp, coalesce(lower(interface_lang), '(none)'), count(*) FROM pa GROUP BY ALL),
r AS (SELECT *, row_number() OVER (PARTITION BY kind, grp ORDER BY n DESC, lang) AS rk,
             sum(n) OVER (PARTITION BY kind, grp) AS total FROM l)
SELECT kind, grp AS "group", CASE WHEN rk <= {int(top)} THEN lang ELSE 'other' END AS lang, sum(n) AS n,
       sum(n) / any_value(total) AS share, any_value(total) AS total
FROM r GROUP BY ALL ORDER BY kind, "group", n DESC""")
    if not df.empty:
        lo, hi = wilson(df["n"], df["total"])
        df["share_low"], df["share_high"] = lo, hi
    return CensusTable(
        "languages", "Languages of posts and of account interfaces", df, sql=sql,
        note=("Post language as detected by the stance model (else as the platform gave it); interface language "
              "from the profile where the export has it. Wilson intervals (post-level ones treat posts as "
              "independent, so they are optimistic)."),
    )
