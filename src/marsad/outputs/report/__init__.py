"""``marsad report``: the census as one self-contained HTML file (inline SVG charts, no network needed to view it),
or its tables as JSON or CSV.

>>> from marsad.outputs.report import write_report
>>> write_report(ws, "report.html")

Aggregate first: no account-level list unless ``list_accounts`` is set, and then handles are pseudonymised with
the workspace key unless ``pseudonymise=False``.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from ...census import CensusResult, run_census
from ...census.common import CensusTable, Population, table_exists
from ...census.quantify import ErrorModel
from ...errors import MarsadError

if TYPE_CHECKING:
    from ...workspace import Workspace

FORMATS = ("html", "json", "csv")
MAX_TEXT = 80  # characters of any free text (locations) shown


@dataclass
class ReportData:
    census: CensusResult
    overview: dict[str, Any]
    extra: dict[str, CensusTable] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def all_tables(self) -> dict[str, CensusTable]:
        return {**self.census.tables, **self.extra}


def short(text: Any, n: int = MAX_TEXT) -> str | None:
    """Free text made safe to show: control characters removed, whitespace collapsed, cut to ``n`` chars."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    s = "".join(ch if ch.isprintable() else " " for ch in str(text))
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _overview(ws: "Workspace", pop: Population) -> dict[str, Any]:
    o = ws.con.execute(
        f"""SELECT count(*) FILTER (WHERE NOT embedded), count(*) FILTER (WHERE embedded),
                   count(DISTINCT account_id) FILTER (WHERE NOT embedded),
                   min(created_at) FILTER (WHERE NOT embedded), max(created_at) FILTER (WHERE NOT embedded),
                   count(*) FILTER (WHERE {pop.where('p')})
            FROM posts p""").fetchone()
    datasets = ws.df(
        """SELECT regexp_extract(path, '[^/]+$') AS file, format, platform, n_read, n_loaded, n_duplicate,
                  n_quarantined, source_note FROM datasets ORDER BY imported_at""")
    datasets["file"] = datasets["file"].map(short)
    datasets["source_note"] = datasets["source_note"].map(short)
    platforms = ws.df("SELECT platform, count(*) AS posts FROM posts WHERE NOT embedded GROUP BY 1 ORDER BY 2 DESC")
    return {"posts": int(o[0]), "embedded": int(o[1]), "accounts": int(o[2]), "first": o[3], "last": o[4],
            "population_posts": int(o[5]), "datasets": datasets, "platforms": platforms,
            "quarantined": int(ws.con.execute("SELECT count(*) FROM quarantine").fetchone()[0])}


def _profile_locations(ws: "Workspace", min_accounts: int = 3, limit: int = 15) -> CensusTable | None:
    geo = ("LEFT JOIN (SELECT platform, subject_id AS account_id, any_value(label) AS country FROM evidence "
           "WHERE signal = 'geo' AND subject_type = 'account' GROUP BY ALL) g USING (platform, account_id)")
    sql = f"""SELECT left(trim(location), 200) AS location, any_value(g.country) AS country, count(*) AS accounts
FROM accounts a {geo}
WHERE location IS NOT NULL AND trim(location) <> ''
GROUP BY 1 HAVING count(*) >= {int(min_accounts)} ORDER BY accounts DESC, location LIMIT {int(limit)}"""
    df = ws.df(sql)
    if df.empty:
        return None
    df["location"] = df["location"].map(short)
    return CensusTable("profile_locations", "Most common profile locations", df, sql=sql,
                       note=f"Free-text profile locations written by at least {min_accounts} accounts, with the "
                            "country the geo signal inferred (blank: it abstained). No location of a single "
                            "account is shown.")


def _accounts_list(ws: "Workspace", pop: Population, n: int, pseudonymise: bool) -> CensusTable:
    from ...census.common import population
    from ...census.reach import PER_ACCOUNT
    from ..pseudonymise import Pseudonymiser

    body = f"""{PER_ACCOUNT}
SELECT pa.platform, a.handle, pa.posts, pa.followers, a.location, pa.grp AS "group",
       (SELECT any_value(label) FROM evidence e WHERE e.signal = 'geo' AND e.subject_type = 'account'
          AND e.platform = pa.platform AND e.subject_id = pa.account_id) AS country
FROM pa LEFT JOIN accounts a USING (platform, account_id)
ORDER BY pa.posts DESC, a.handle LIMIT {int(n)}"""
    with population(ws, pop) as pp:
        df, sql = pp.query(body)
    if pseudonymise:
        p = Pseudonymiser(ws.pseudonym_key)
        df["handle"] = df["handle"].map(lambda h: p(h, "handle"))
    df["location"] = df["location"].map(short)
    df["handle"] = df["handle"].map(lambda h: short(h, 60))
    return CensusTable("accounts", f"The {n} most active accounts", df, sql=sql,
                       note="Listed because the report was asked to list accounts. "
                            + ("Handles are pseudonyms (keyed to this workspace)." if pseudonymise
                               else "Handles are REAL: do not share this report outside the research team."))


def _network_tables(ws: "Workspace") -> dict[str, CensusTable]:
    out = {}
    roles = ws.df("""SELECT label AS role, count(*) AS accounts FROM evidence WHERE signal = 'role'
                     AND subject_type = 'account' GROUP BY 1 ORDER BY 2 DESC""")
    if not roles.empty:
        out["roles"] = CensusTable("roles", "Account roles", roles,
                                   sql="SELECT label, count(*) FROM evidence WHERE signal = 'role' GROUP BY 1",
                                   note="Roles from the network signal: nodes create, amplifiers repeat, "
                                        "shout-outs introduce (re-created) accounts.")
    if table_exists(ws, "network_edges"):
        sql = """SELECT kind, count(*) AS edges, sum(weight) AS interactions, count(DISTINCT src) AS sources,
                        count(DISTINCT dst) AS targets FROM network_edges GROUP BY 1 ORDER BY 3 DESC"""
        out["network"] = CensusTable("network", "Interaction network", ws.df(sql), sql=sql,
                                     note="Edges between accounts from reposts, quotes, replies and mentions.")
    coord = ws.df("""SELECT label AS cluster, count(*) AS accounts, avg(score) AS mean_synchrony FROM evidence
                     WHERE signal = 'coord' AND subject_type = 'account' AND label IS NOT NULL GROUP BY 1""")
    if not coord.empty:
        sizes = coord["accounts"]
        df = pd.DataFrame([{"clusters": len(coord), "accounts_in_clusters": int(sizes.sum()),
                            "largest_cluster": int(sizes.max()), "median_cluster_size": float(sizes.median())}])
        out["coordination"] = CensusTable(
            "coordination", "Coordinated amplification", df,
            sql="SELECT label, count(*) FROM evidence WHERE signal = 'coord' GROUP BY 1",
            note="Clusters of accounts acting in synchrony (co-reposting, shared links or text) from the "
                 "coordination signal. Coordination is not proof of common control.")
    families = ws.df("""SELECT count(DISTINCT label) AS families, count(*) AS accounts FROM evidence
                        WHERE signal = 'family' AND subject_type = 'account' AND label IS NOT NULL""")
    if len(families) and families.iloc[0]["accounts"]:
        out["families"] = CensusTable("families", "Re-created account families", families,
                                      sql="SELECT count(DISTINCT label), count(*) FROM evidence WHERE signal = 'family'",
                                      note="Accounts grouped as likely re-creations of one another.")
    return out


def build_report(ws: "Workspace", pop: Population | None = None, *, error_model: ErrorModel | None | str = "auto",
                 account_error_model: ErrorModel | None | str = "auto", method: str = "auto", pseudonymise: bool = True,
                 list_accounts: int = 0, b: int = 500, seed: int = 0, min_posts: int | None = None,
                 min_accounts: int | None = None, title: str | None = None,
                 step: Callable[[str], None] | None = None) -> ReportData:
    """Compute everything the report shows. ``error_model="auto"`` uses the stance model's shipped error rates."""
    from ...census.shares import find_error_model

    pop = pop or Population()
    if isinstance(error_model, str):
        error_model = find_error_model(None, "post", pop.langs)
    if isinstance(account_error_model, str):
        account_error_model = find_error_model(None, "account", pop.langs)
    if list_accounts < 0 or list_accounts > 10000:
        raise MarsadError("--list-accounts must be between 0 and 10000")
    n = ws.con.execute("SELECT count(*) FROM posts WHERE NOT embedded").fetchone()[0]
    if not n:
        raise MarsadError(f"workspace {ws.path} has no posts, so there is nothing to report",
                          hint="run `marsad ingest FILE` first")
    from ...census.common import population

    import time

    t0 = time.perf_counter()
    with population(ws, pop):
        t_pop = time.perf_counter() - t0
        census = run_census(ws, pop, error_model=error_model, account_error_model=account_error_model,
                            method=method, b=b, seed=seed, min_posts=min_posts, min_accounts=min_accounts, step=step)
        extra: dict[str, CensusTable] = {}
        loc = _profile_locations(ws)
        if loc is not None:
            extra["profile_locations"] = loc
        extra.update(_network_tables(ws))
        if list_accounts:
            extra["accounts"] = _accounts_list(ws, pop, list_accounts, pseudonymise)
    census.timings["population"] = t_pop
    return ReportData(census, _overview(ws, pop), extra,
                      {"title": title or "Census of a propaganda network", "pseudonymise": pseudonymise,
                       "population": pop.describe(), "bootstrap": b, "seed": seed, "workspace": ws.path.name,
                       "error_model": error_model.summary() if error_model else None})


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, pd.DataFrame):
        return [_clean(r) for r in v.to_dict(orient="records")]
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (datetime, date, pd.Timestamp)):
        return v.isoformat()
    return v


def report_json(data: ReportData) -> dict[str, Any]:
    return _clean({
        "generated_at": data.generated_at, "options": data.options,
        "overview": {k: v for k, v in data.overview.items()},
        "tables": {k: t.to_dict() for k, t in data.all_tables().items()},
        "missing": data.census.missing,
    })


def write_report(ws: "Workspace", out: str | Path, fmt: str = "html", **kw: Any) -> Path:
    """Write the report: ``html`` (one file), ``json`` (one file) or ``csv`` (a folder, one CSV per table plus
    queries.sql). Returns the path written."""
    if fmt not in FORMATS:
        raise MarsadError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    data = build_report(ws, **kw)
    if fmt == "html":
        from .html import render

        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(render(data), encoding="utf-8")
        tmp.replace(out)
    elif fmt == "json":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report_json(data), ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        if out.exists() and not out.is_dir():
            raise MarsadError(f"{out} exists and is not a folder; --format csv writes a folder of CSV files")
        out.mkdir(parents=True, exist_ok=True)
        queries = []
        for name, t in data.all_tables().items():
            t.df.to_csv(out / f"{name}.csv", index=False)
            queries.append(f"-- {name}: {t.title}\n-- {t.note}\n{t.sql};\n")
        (out / "queries.sql").write_text("\n".join(queries), encoding="utf-8")
    return out
