"""Coordination networks: accounts acting on the same item within a time window, computed in DuckDB without
comparing all pairs.

Algorithm (per behaviour)
-------------------------
1. Actions ``(account, post, t, item)`` come from :mod:`.actions` (or :mod:`.cotext` for near-duplicate text).
2. Each action falls in the bucket ``floor(t / window)``; two actions at most ``window`` apart are in the same or
   adjacent buckets, so candidate pairs come from an equi-join on ``(item, bucket + d)`` for d in -1, 0, 1 followed
   by the exact test ``|t_a - t_b| <= window``. Items used by a single account are dropped first. Work is the
   sum of products of neighbouring bucket sizes, never all pairs of posts.
3. An (item, bucket) with more than ``cap`` actions (a viral post reposted by thousands in a minute) is left out
   and listed in ``coord_capped`` instead of exploding into millions of pairs; raise ``cap`` to include it.
4. Edge weights follow coordination-network-toolkit: ``weight_ab`` is the number of distinct posts of A that have
   at least one co-acting post of B (and ``weight_ba`` the converse); the window is inclusive; an account is
   never paired with itself. ``weight = max(weight_ab, weight_ba)`` and an edge is kept when
   ``weight >= min_weight``, so the kept directed edges are exactly the toolkit's. ``n_items`` counts the
   distinct items two accounts co-acted on.
5. ``expected`` is the number of co-actions chance alone would give the pair (:func:`expected_coactions`) and
   ``lift = weight / expected``; clusters keep edges with a high lift, so busy accounts that share popular items
   (a campaign hashtag, a viral post, a popular link) are not taken for coordinated ones. ``p_value`` is the
   Poisson tail probability of the weight given ``expected``, ``p_adjusted`` its Bonferroni correction over all
   account pairs that co-acted at least once: with thousands of pairs a few two-co-action coincidences are
   expected, and the correction keeps them out of clusters.

Tables written (replaced by each build, in one transaction)
-----------------------------------------------------------
``coord_edges(behaviour, platform, account_a, account_b, weight, weight_ab, weight_ba, n_items, n_pairs,
first_at, last_at, expected, lift, p_value, p_adjusted)`` with ``account_a < account_b``;
``coord_evidence(behaviour, platform, account_a, account_b, post_a, post_b, item, at_a, at_b, similarity)``:
every pair of posts behind each kept edge; ``coord_capped``; ``coord_build`` (one row per behaviour: parameters,
counts, seconds).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
import pandas as pd

from ..errors import MarsadError
from .actions import BEHAVIOURS, actions_sql

if TYPE_CHECKING:
    from ..workspace import Workspace

VERSION = "1"
DEFAULT_WINDOW = 60
DEFAULT_MIN_WEIGHT = 2
DEFAULT_CAP = 1000

EDGE_COLUMNS = ("behaviour", "platform", "account_a", "account_b", "weight", "weight_ab", "weight_ba", "n_items",
                "n_pairs", "first_at", "last_at", "expected", "lift", "p_value", "p_adjusted")


@dataclass
class BuildParams:
    window: float = DEFAULT_WINDOW  # seconds, inclusive
    min_weight: int = DEFAULT_MIN_WEIGHT
    behaviours: tuple[str, ...] = BEHAVIOURS
    cap: int = DEFAULT_CAP  # largest (item, window bucket) paired; bigger ones are reported in coord_capped
    text_threshold: float = 0.8  # co-text: Jaccard similarity of normalised word sets
    text_min_tokens: int = 5  # co-text: shorter texts are not compared
    min_span: float = 86400.0  # seconds: shortest activity span assumed for an item in the chance model (lift)

    def validate(self) -> None:
        if not self.window >= 0:
            raise MarsadError(f"--window must be >= 0 seconds (got {self.window})")
        if self.min_weight < 1:
            raise MarsadError(f"--min-weight must be >= 1 (got {self.min_weight})")
        if self.cap < 2:
            raise MarsadError(f"--cap must be >= 2 (got {self.cap})")
        if not 0 < self.text_threshold <= 1:
            raise MarsadError(f"text threshold must be in (0, 1] (got {self.text_threshold})")
        unknown = set(self.behaviours) - set(BEHAVIOURS)
        if unknown or not self.behaviours:
            raise MarsadError(f"unknown behaviours {sorted(unknown)}; choose from {', '.join(BEHAVIOURS)}")


@dataclass
class BuildResult:
    params: BuildParams
    per_behaviour: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def n_edges(self) -> int:
        return sum(r["edges"] for r in self.per_behaviour)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.per_behaviour)


def _window_ms(window: float) -> int:
    return int(round(window * 1000))


def pair_actions(con, act_sql: str, window: float, cap: int, *, tag: str,
                 item_key: bool = False) -> tuple[int, pd.DataFrame]:
    """Materialise temp table ``_pairs_{tag}(platform, account_a, account_b, post_a, post_b, item, t_a, t_b)``
    of co-actions from the actions query; returns (number of actions, capped buckets with an ``example`` post id
    each). The actions stay in
    ``_act_{tag}(platform, account_id, post_id, t, item, ik, bk)`` for :func:`expected_coactions`. With
    ``item_key`` the query gives the 64-bit item key ``ik`` itself (else it is ``hash(item)``)."""
    w = _window_ms(window)
    width = max(w, 1)
    ik = "ik" if item_key else "hash(item)"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _act_{tag} AS
        SELECT platform, account_id, post_id, t, item, {ik} AS ik, CAST(floor(t / {width}) AS BIGINT) AS bk
        FROM ({act_sql}) WHERE item IS NOT NULL"""
    )
    n_act = con.execute(f"SELECT count(*) FROM _act_{tag}").fetchone()[0]
    capped = con.execute(
        f"""WITH big AS (SELECT ik, bk FROM _act_{tag} GROUP BY ik, bk HAVING count(*) > {int(cap)})
            SELECT ik, bk, any_value(item) AS item, to_timestamp(min(t) / 1000.0) AS first_at, count(*) AS n_posts,
                   count(DISTINCT account_id) AS n_accounts, min(post_id) AS example
            FROM _act_{tag} SEMI JOIN big USING (ik, bk) GROUP BY ik, bk ORDER BY n_posts DESC"""
    ).df()
    con.register(f"_capv_{tag}", capped[["ik", "bk"]])
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pairs_{tag} AS
        WITH shared AS (SELECT ik FROM _act_{tag} GROUP BY ik HAVING min(account_id) <> max(account_id)),
        a AS (SELECT * FROM _act_{tag} SEMI JOIN shared USING (ik) ANTI JOIN _capv_{tag} USING (ik, bk)),
        x AS (SELECT a.*, a.bk + d.d AS nb FROM a CROSS JOIN (VALUES (-1), (0), (1)) d(d))
        SELECT x.platform, x.account_id AS account_a, y.account_id AS account_b, x.post_id AS post_a,
               y.post_id AS post_b, x.item, x.t AS t_a, y.t AS t_b
        FROM x JOIN a y ON y.ik = x.ik AND y.bk = x.nb
        WHERE x.account_id < y.account_id AND abs(x.t - y.t) <= {w} AND x.item = y.item"""
    )
    con.unregister(f"_capv_{tag}")
    return n_act, capped.drop(columns=["ik", "bk"])


def expected_coactions(con, tag: str, window: float, min_span: float) -> None:
    """Temp table ``_exp_{tag}(account_a, account_b, expected)`` for the kept edges: the co-actions expected if the
    two accounts had used their shared items at independent random times within each item's active span.

    For item i used n_a times by A and n_b times by B, with span T_i (first to last use by anyone, at least
    ``min_span``), one post of A has a partner of B by chance with probability 1 - (1 - p_i)^n_b,
    p_i = min(1, 2 * window / T_i). ``expected`` = max over the two directions of the sum over shared items, the
    same shape as ``weight``. ``lift = weight / expected`` separates lockstep accounts from busy accounts that
    share popular items (campaign hashtags, viral posts) by chance. Items are taken from ``_act_{tag}``."""
    w2 = 2.0 * _window_ms(window)
    floor = max(float(min_span) * 1000.0, w2, 1.0)
    # integer ids for the accounts of kept edges; each edge walks the items of its account with fewer items
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ids_{tag} AS
        SELECT account_id, (row_number() OVER ())::INTEGER AS aid FROM (
          SELECT account_a AS account_id FROM _edges_{tag} UNION SELECT account_b FROM _edges_{tag})"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ai_{tag} AS
        SELECT aid, ik, count(*)::INTEGER AS n FROM _act_{tag} JOIN _ids_{tag} USING (account_id) GROUP BY aid, ik"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _exp_{tag} AS
        WITH k AS (SELECT aid, count(*) AS k FROM _ai_{tag} GROUP BY aid),
        e AS (SELECT e.account_a, e.account_b, ia.aid AS a, ib.aid AS b,
                     coalesce(ka.k, 0) <= coalesce(kb.k, 0) AS a_small
              FROM _edges_{tag} e JOIN _ids_{tag} ia ON ia.account_id = e.account_a
                   JOIN _ids_{tag} ib ON ib.account_id = e.account_b
                   LEFT JOIN k ka ON ka.aid = ia.aid LEFT JOIN k kb ON kb.aid = ib.aid),
        o AS (SELECT a, b, a_small, CASE WHEN a_small THEN a ELSE b END AS s, CASE WHEN a_small THEN b ELSE a END AS l
              FROM e),
        it AS (SELECT ik, least(1.0, {w2} / greatest(max(t) - min(t), {floor})) AS p FROM _act_{tag} GROUP BY ik),
        x AS (SELECT o.a, o.b, CASE WHEN o.a_small THEN xs.n ELSE xl.n END AS na,
                     CASE WHEN o.a_small THEN xl.n ELSE xs.n END AS nb, it.p
              FROM o JOIN _ai_{tag} xs ON xs.aid = o.s JOIN _ai_{tag} xl ON xl.aid = o.l AND xl.ik = xs.ik
                   JOIN it ON it.ik = xs.ik),
        g AS (SELECT a, b, greatest(sum(na * (1 - pow(1 - p, nb))), sum(nb * (1 - pow(1 - p, na)))) AS expected
              FROM x GROUP BY a, b)
        SELECT e.account_a, e.account_b, g.expected FROM g JOIN e USING (a, b)"""
    )
    con.execute(f"DROP TABLE _ai_{tag}")
    con.execute(f"DROP TABLE _ids_{tag}")


def add_p_values(con, table: str, n_tested: int) -> None:
    """Add ``p_value`` = P(X >= weight) for X ~ Poisson(expected) and ``p_adjusted`` = min(1, p_value x the number
    of account pairs that co-acted at least once in this behaviour) (Bonferroni): the chance that a pair this
    strong turns up among all the pairs looked at, if every account acted independently."""
    from scipy.stats import poisson

    df = con.execute(f"SELECT account_a, account_b, weight, expected FROM {table}").df()
    p = poisson.sf(df["weight"].to_numpy() - 1, df["expected"].to_numpy()) if len(df) else np.zeros(0)
    df = pd.DataFrame({"account_a": df["account_a"], "account_b": df["account_b"], "p_value": p,
                       "p_adjusted": np.minimum(1.0, p * max(int(n_tested), 1))})
    con.register("_pv", df)
    try:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
                        SELECT e.*, v.p_value, v.p_adjusted FROM {table} e JOIN _pv v USING (account_a, account_b)""")
    finally:
        con.unregister("_pv")


def edges_from_pairs(con, tag: str, behaviour: str, min_weight: int, window: float, min_span: float) -> None:
    """Temp tables ``_edges_{tag}`` (kept edges, with ``expected`` and ``lift``) and ``_ev_{tag}`` (their post
    pairs) from ``_pairs_{tag}`` and ``_act_{tag}``."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _edges_{tag} AS
        SELECT '{behaviour}' AS behaviour, any_value(platform) AS platform, account_a, account_b,
               greatest(count(DISTINCT post_a), count(DISTINCT post_b)) AS weight,
               count(DISTINCT post_a) AS weight_ab, count(DISTINCT post_b) AS weight_ba,
               count(DISTINCT item) AS n_items, count(*) AS n_pairs,
               to_timestamp(min(least(t_a, t_b)) / 1000.0) AS first_at,
               to_timestamp(max(greatest(t_a, t_b)) / 1000.0) AS last_at
        FROM _pairs_{tag} GROUP BY account_a, account_b
        HAVING greatest(count(DISTINCT post_a), count(DISTINCT post_b)) >= {int(min_weight)}"""
    )
    expected_coactions(con, tag, window, min_span)
    # floor: every co-action is at least as likely as one in an item active for min_span (co-text pairs that are
    # near but not exact duplicates have no exact shared item to model); caps lift at min_span / (2 * window)
    p_floor = min(1.0, 2.0 * _window_ms(window) / max(float(min_span) * 1000.0, 1.0))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _edges_{tag} AS
        SELECT e.*, e.weight / e.expected AS lift FROM (
          SELECT e.*, greatest(coalesce(x.expected, 0), e.weight * {p_floor}) AS expected
          FROM _edges_{tag} e LEFT JOIN _exp_{tag} x USING (account_a, account_b)) e"""
    )
    n_tested = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT account_a, account_b FROM _pairs_{tag})").fetchone()[0]
    add_p_values(con, f"_edges_{tag}", n_tested)
    sim = "similarity" if _has_column(con, f"_pairs_{tag}", "similarity") else "CAST(NULL AS DOUBLE)"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ev_{tag} AS
        SELECT '{behaviour}' AS behaviour, p.platform, p.account_a, p.account_b, p.post_a, p.post_b, p.item,
               to_timestamp(p.t_a / 1000.0) AS at_a, to_timestamp(p.t_b / 1000.0) AS at_b, {sim} AS similarity
        FROM _pairs_{tag} p SEMI JOIN _edges_{tag} e USING (account_a, account_b)"""
    )
    for t in (f"_pairs_{tag}", f"_act_{tag}", f"_exp_{tag}"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _has_column(con, table: str, column: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?", [table, column]
    ).fetchone()[0])


def build(
    ws: "Workspace",
    params: BuildParams | None = None,
    *,
    on_step: Callable[[str], None] | None = None,
) -> BuildResult:
    """(Re)build the coordination tables for the chosen behaviours. Returns per-behaviour counts."""
    from .cotext import cotext_pairs

    params = params or BuildParams()
    params.validate()
    if ws.read_only:
        raise MarsadError("workspace is open read-only")
    ws.require_posts()
    con = ws.con
    con.execute("SET enable_progress_bar = false")  # our own progress goes through the CLI's bar
    result = BuildResult(params)
    t_all = time.perf_counter()
    capped_frames = []
    for b in params.behaviours:
        if on_step:
            on_step(b)
        t0 = time.perf_counter()
        if b == "cotext":
            n_act, capped = cotext_pairs(con, params, tag=b)
        else:
            n_act, capped = pair_actions(con, actions_sql(b), params.window, params.cap, tag=b)
        edges_from_pairs(con, b, b, params.min_weight, params.window, params.min_span)
        n_edges, n_ev = con.execute(
            f"SELECT (SELECT count(*) FROM _edges_{b}), (SELECT count(*) FROM _ev_{b})"
        ).fetchone()
        capped = capped.drop(columns=["example"], errors="ignore")
        if len(capped):
            capped.insert(0, "behaviour", b)
            capped_frames.append(capped)
        result.per_behaviour.append({
            "behaviour": b, "actions": int(n_act), "edges": int(n_edges), "evidence_pairs": int(n_ev),
            "capped_buckets": int(len(capped)), "capped_posts": int(capped["n_posts"].sum()) if len(capped) else 0,
            "seconds": round(time.perf_counter() - t0, 3),
        })
    _store(ws, params, result, capped_frames)
    result.seconds = time.perf_counter() - t_all
    return result


_CAPPED_EMPTY = pd.DataFrame({
    "behaviour": pd.Series(dtype="str"), "item": pd.Series(dtype="str"),
    "first_at": pd.Series(dtype="datetime64[us, UTC]"), "n_posts": pd.Series(dtype="int64"),
    "n_accounts": pd.Series(dtype="int64"),
})


def _store(ws: "Workspace", params: BuildParams, result: BuildResult, capped_frames: list[pd.DataFrame]) -> None:
    con = ws.con
    edges = " UNION ALL ".join(f"SELECT * FROM _edges_{b}" for b in params.behaviours)
    ev = " UNION ALL ".join(f"SELECT * FROM _ev_{b}" for b in params.behaviours)
    capped = pd.concat(capped_frames, ignore_index=True) if capped_frames else _CAPPED_EMPTY
    info = result.table()
    info["window"] = float(params.window)
    info["min_weight"] = int(params.min_weight)
    info["cap"] = int(params.cap)
    info["params"] = json.dumps({k: v for k, v in vars(params).items()}, default=list)
    info["built_at"] = pd.Timestamp.now(tz="UTC")
    con.register("_capped_df", capped)
    con.register("_info_df", info)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TABLE coord_edges AS SELECT * FROM ({edges}) ORDER BY behaviour, weight DESC")
        con.execute(f"CREATE OR REPLACE TABLE coord_evidence AS {ev}")
        con.execute("CREATE OR REPLACE TABLE coord_capped AS SELECT * FROM _capped_df")
        con.execute("CREATE OR REPLACE TABLE coord_build AS SELECT * FROM _info_df")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_capped_df")
        con.unregister("_info_df")
    for b in params.behaviours:
        con.execute(f"DROP TABLE IF EXISTS _edges_{b}")
        con.execute(f"DROP TABLE IF EXISTS _ev_{b}")


def require_built(ws: "Workspace") -> None:
    tables = {r[0] for r in ws.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "coord_edges" not in tables:
        raise MarsadError("no coordination network in this workspace", hint="run `marsad coord build` first")


def build_params(ws: "Workspace") -> dict:
    """Parameters of the last build (empty dict if none)."""
    tables = {r[0] for r in ws.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "coord_build" not in tables:
        return {}
    row = ws.con.execute("SELECT params FROM coord_build LIMIT 1").fetchone()
    return json.loads(row[0]) if row else {}


def evidence_between(ws: "Workspace", a: str, b: str, behaviours: Iterable[str] | None = None) -> pd.DataFrame:
    """The post pairs behind the edge(s) between accounts a and b (either order), with the posts' texts."""
    require_built(ws)
    lo, hi = sorted([a, b])
    q = """SELECT e.behaviour, e.account_a, e.account_b, e.item, e.post_a, e.at_a, e.post_b, e.at_b,
                  round(abs(epoch(e.at_b) - epoch(e.at_a)), 3) AS seconds_apart, e.similarity,
                  pa.text AS text_a, pb.text AS text_b
           FROM coord_evidence e
           LEFT JOIN posts pa ON pa.platform = e.platform AND pa.post_id = e.post_a
           LEFT JOIN posts pb ON pb.platform = e.platform AND pb.post_id = e.post_b
           WHERE e.account_a = ? AND e.account_b = ?"""
    params: list = [lo, hi]
    if behaviours:
        bs = list(behaviours)
        q += f" AND e.behaviour IN ({', '.join('?' for _ in bs)})"
        params += bs
    return ws.df(q + " ORDER BY e.behaviour, e.at_a", params)
