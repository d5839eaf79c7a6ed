"""What the census modules share: the population filter, result tables that carry their own SQL, small helpers."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import pandas as pd

from ..errors import MarsadError

from ..network.base import parse_when, table_exists  # noqa: F401 - re-exported for census modules

if TYPE_CHECKING:
    from ..workspace import Workspace

UNLOCATED = "(no location)"


parse_date = parse_when  # one parser for every date bound given on the command line


def _clean_list(values: Iterable[str] | str | None, what: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = values.split(",")
    out = tuple(v.strip().lower() for v in values if v and v.strip())
    for v in out:
        if len(v) > 40 or not all(ch.isalnum() or ch in "-_" for ch in v):
            raise MarsadError(f"{what} {v[:40]!r} is not a valid value")
    return out


@dataclass(frozen=True)
class Population:
    """Which posts the census counts: languages (as detected by the stance model, else as the platform says),
    platforms, a date range [since, until), and whether reposts count (they do by default: a repost spreads the
    original)."""

    langs: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    include_reposts: bool = True

    @classmethod
    def make(cls, lang=None, platform=None, since=None, until=None, include_reposts: bool = True) -> "Population":
        s, u = parse_date(since, "--since"), parse_date(until, "--until")
        if s and u and s >= u:
            raise MarsadError(f"empty date range: --since {s:%Y-%m-%d} is not before --until {u:%Y-%m-%d}")
        return cls(_clean_list(lang, "--lang"), _clean_list(platform, "--platform"), s, u, include_reposts)

    def where(self, posts: str = "p", lang_expr: str | None = None) -> str:
        """SQL condition on the posts alias (values are validated above, dates are ISO literals)."""
        conds = [f"NOT {posts}.embedded"]
        if self.langs:
            le = lang_expr or f"{posts}.lang"
            conds.append(f"lower({le}) IN ({', '.join(repr(v) for v in self.langs)})")
        if self.platforms:
            conds.append(f"{posts}.platform IN ({', '.join(repr(v) for v in self.platforms)})")
        if self.since:
            conds.append(f"{posts}.created_at >= TIMESTAMPTZ '{self.since.isoformat()}'")
        if self.until:
            conds.append(f"{posts}.created_at < TIMESTAMPTZ '{self.until.isoformat()}'")
        if not self.include_reposts:
            conds.append(f"{posts}.repost_of_post_id IS NULL")
        return " AND ".join(conds)

    def describe(self) -> str:
        parts = []
        parts.append("languages " + ", ".join(self.langs) if self.langs else "all languages")
        parts.append("platforms " + ", ".join(self.platforms) if self.platforms else "all platforms")
        if self.since or self.until:
            parts.append(f"from {self.since:%Y-%m-%d}" if self.since else "from the start")
            parts.append(f"until {self.until:%Y-%m-%d} (exclusive)" if self.until else "to the end")
        parts.append("reposts included" if self.include_reposts else "reposts excluded")
        return "; ".join(parts)


@dataclass
class CensusTable:
    """One result table with what a reader needs to trust it: the SQL behind it and a plain-words note."""

    name: str
    title: str
    df: pd.DataFrame
    sql: str = ""
    note: str = ""
    caveats: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "note": self.note, "sql": self.sql, "caveats": self.caveats,
                "meta": self.meta, "rows": self.df.to_dict(orient="records")}


def has_signal(ws: "Workspace", signal: str) -> bool:
    return bool(ws.con.execute("SELECT count(*) FROM evidence WHERE signal = ? LIMIT 1", [signal]).fetchone()[0])


def account_label_sql(signal: str) -> str:
    """Latest account-level evidence of ``signal`` as (platform, account_id, label, score)."""
    return (f"SELECT platform, subject_id AS account_id, any_value(label) AS label, any_value(score) AS score "
            f"FROM evidence WHERE signal = '{signal}' AND subject_type = 'account' GROUP BY ALL")


def stance_group_sql(ws: "Workspace") -> str:
    """(platform, account_id, grp) with grp 'supporters' | 'others' | 'undetermined' from the stance evidence, or
    a query giving 'all accounts' when no stance has run."""
    if not has_signal(ws, "stance"):
        return "SELECT platform, account_id, 'all accounts' AS grp FROM accounts"
    return ("SELECT platform, subject_id AS account_id, CASE any_value(label) WHEN 'supporter' THEN 'supporters' "
            "WHEN 'non-supporter' THEN 'others' ELSE 'undetermined' END AS grp FROM evidence "
            "WHERE signal = 'stance' AND subject_type = 'account' GROUP BY ALL")


@lru_cache(maxsize=512)
def country_name(code: str | None) -> str:
    if not code or code == UNLOCATED:
        return UNLOCATED
    try:
        import pycountry

        c = pycountry.countries.get(alpha_2=str(code).upper())
    except (LookupError, KeyError):
        c = None
    if c is None:
        return str(code)
    return getattr(c, "common_name", None) or c.name


def wilson(k: Any, n: Any, z: float = 1.959964) -> tuple[Any, Any]:
    """Wilson score interval for k successes of n (vectorised)."""
    import numpy as np

    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        den = 1 + z * z / n
        mid = (p + z * z / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return np.clip(mid - half, 0, 1), np.clip(mid + half, 0, 1)


# --- the population of posts, joined once ----------------------------------------------------------------------


def _pieces(ws: "Workspace", p: str = "p") -> dict[str, Any]:
    has_sp, has_gp, has_dev = (table_exists(ws, n) for n in ("stance_posts", "geo_posts", "device_posts"))
    return {
        "lang": "coalesce(sp.lang, p.lang)" if has_sp else "p.lang",
        "p_support": "sp.p_support" if has_sp else "NULL::DOUBLE",
        "sp_join": "LEFT JOIN stance_posts sp ON sp.platform = p.platform AND sp.post_id = p.post_id" if has_sp else "",
        "small_joins": ([f"LEFT JOIN (SELECT platform, post_id, any_value(country) AS country FROM geo_posts "
                         f"WHERE country IS NOT NULL GROUP BY ALL) gp ON gp.platform = {p}.platform AND gp.post_id = {p}.post_id"]
                        if has_gp else [])
        + [f"LEFT JOIN ({account_label_sql('geo')}) ga ON ga.platform = {p}.platform AND ga.account_id = {p}.account_id",
           f"LEFT JOIN ({stance_group_sql(ws)}) g ON g.platform = {p}.platform AND g.account_id = {p}.account_id"],
        "dev_join": (f"LEFT JOIN device_posts d ON d.platform = {p}.platform AND d.post_id = {p}.post_id"
                     if has_dev else ""),
        "country": "coalesce(gp.country, ga.label)" if has_gp else "ga.label",
        "family": "d.family" if has_dev else "NULL::VARCHAR",
        "client": "d.client" if has_dev else "NULL::VARCHAR",
    }


def _columns(x: dict[str, Any], p: str, lang: str, p_support: str, with_post_id: bool) -> str:
    return (f"{p + '.post_id, ' if with_post_id else ''}{p}.platform, {p}.account_id, "
            f"hash({p}.platform, {p}.account_id) AS akey, {p}.created_at, {lang} AS lang, "
            f"coalesce(g.grp, 'undetermined') AS grp, {p_support} AS p_support, upper({x['country']}) AS country, "
            f"{x['family']} AS family, {x['client']} AS client")


def population_select(ws: "Workspace", pop: Population, with_post_id: bool = False) -> str:
    """One row per post of the population with everything the census needs: account, time, language, stance
    group of its account, P(support), country (geotag, else the account's) and client family. Columns whose
    source table does not exist are NULL. (Executed in two steps by :class:`PopulationTable`.)"""
    x = _pieces(ws)
    joins = "\n  ".join(j for j in [x["sp_join"], *x["small_joins"], x["dev_join"]] if j)
    return f"""SELECT {_columns(x, 'p', f"lower({x['lang']})", x['p_support'], with_post_id)}
  FROM posts p
  {joins}
  WHERE {pop.where('p', x['lang'])} AND p.account_id IS NOT NULL"""


def population_steps(ws: "Workspace", pop: Population, target: str, scratch: str,
                     with_post_id: bool = False) -> list[str]:
    """:func:`population_select` as statements that join one large table at a time (posts with stance_posts,
    then with device_posts), so the peak memory is one large hash table rather than two."""
    x = _pieces(ws, "s")
    step1 = f"""CREATE TABLE {scratch} AS
  SELECT p.post_id, p.platform, p.account_id, p.created_at, lower({x['lang']}) AS lang, {x['p_support']} AS p_support
  FROM posts p {x['sp_join']}
  WHERE {pop.where('p', x['lang'])} AND p.account_id IS NOT NULL"""
    joins = "\n  ".join(j for j in [*x["small_joins"], x["dev_join"]] if j)
    step2 = f"""CREATE TABLE {target} AS
  SELECT {_columns(x, 's', 's.lang', 's.p_support', with_post_id)}
  FROM {scratch} s
  {joins}"""
    return [step1, step2, f"DROP TABLE {scratch}"]


class PopulationTable:
    """The population materialised once in a scratch database file in the system temp folder (attached to the
    connection, so it works on read-only workspaces and can spill to disk), dropped and deleted afterwards.

    :meth:`query` runs ``WITH pp AS (...) <body>`` against it and returns the SQL with the full definition of
    ``pp`` for display, so every number stays traceable to the workspace tables."""

    def __init__(self, ws: "Workspace", pop: Population, with_post_id: bool = False):
        self.ws, self.pop, self.with_post_id = ws, pop, with_post_id
        self.definition = population_select(ws, pop, with_post_id)
        self.alias = "marsad_pp_" + hashlib.blake2b(self.definition.encode(), digest_size=6).hexdigest()
        self.name = f"{self.alias}.pp"
        self.path: str | None = None

    def exists(self) -> bool:
        return bool(self.ws.con.execute(
            "SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [self.alias]).fetchone()[0])

    def create(self) -> None:
        import os
        import tempfile
        import uuid

        con = self.ws.con
        self.path = os.path.join(tempfile.gettempdir(), f"{self.alias}-{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb")
        quoted = self.path.replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS {self.alias} (READ_ONLY false)")
        keep = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
        con.execute("SET preserve_insertion_order = false")
        try:
            for stmt in population_steps(self.ws, self.pop, self.name, f"{self.alias}.step1", self.with_post_id):
                con.execute(stmt)
        except BaseException:
            self.drop()
            raise
        finally:
            con.execute(f"SET preserve_insertion_order = {'true' if keep else 'false'}")

    def drop(self) -> None:
        import os

        try:
            self.ws.con.execute(f"DETACH DATABASE IF EXISTS {self.alias}")
        finally:
            for f in (self.path, f"{self.path}.wal") if self.path else ():
                if os.path.exists(f):
                    os.remove(f)

    def sql(self, body: str, shown: bool = False) -> str:
        pp = self.definition if shown else f"SELECT * FROM {self.name}"
        return f"WITH pp AS ({pp})\n{body.strip()}"

    def query(self, body: str):
        """(DataFrame, SQL to show) for ``body``: either ``SELECT ...`` or ``, more AS (...) SELECT ...``."""
        return self.ws.df(self.sql(body)), self.sql(body, shown=True)


@contextmanager
def population(ws: "Workspace", pop: Population) -> Iterator[PopulationTable]:
    """The population table, created on entry unless an outer block already made it (then reused), dropped on
    exit by whoever created it."""
    t = PopulationTable(ws, pop)
    made = not t.exists()
    if made:
        t.create()
    try:
        yield t
    finally:
        if made:
            t.drop()
