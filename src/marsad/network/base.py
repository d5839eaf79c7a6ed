"""Small helpers the network modules share: time windows, handle resolution, labels from other signals."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import MarsadError

if TYPE_CHECKING:
    from ..workspace import Workspace


def parse_when(value: Any, what: str) -> datetime | None:
    """A window bound from a datetime or an ISO date/time string (UTC when no zone is given)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        d = value
    else:
        try:
            d = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise MarsadError(f"{what} {value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    return d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d.astimezone(timezone.utc)


def window_sql(since: Any = None, until: Any = None, column: str = "created_at") -> str:
    """SQL condition for ``since <= column < until`` (``TRUE`` when both are open)."""
    s, u = parse_when(since, "--since"), parse_when(until, "--until")
    if s and u and s >= u:
        raise MarsadError(f"empty time window: --since {s:%Y-%m-%d %H:%M} is not before --until {u:%Y-%m-%d %H:%M}")
    conds = []
    if s:
        conds.append(f"{column} >= TIMESTAMPTZ '{s.isoformat()}'")
    if u:
        conds.append(f"{column} < TIMESTAMPTZ '{u.isoformat()}'")
    return " AND ".join(conds) or "TRUE"


def table_exists(ws: "Workspace", name: str) -> bool:
    return ws.has_table(name)


def make_handle_map(ws: "Workspace") -> None:
    """Temp table ``_net_handles(platform, h, account_id)``: lower-case handle -> the account that holds it
    (the latest observation wins; handles seen only on posts count too)."""
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _net_handles AS
        SELECT platform, h, arg_max(account_id, seen) AS account_id FROM (
          SELECT platform, lower(handle) AS h, account_id, last_observed AS seen
          FROM account_snapshots WHERE handle IS NOT NULL AND account_id IS NOT NULL
          UNION ALL
          SELECT platform, lower(account_handle), account_id, max(created_at)
          FROM posts WHERE account_handle IS NOT NULL AND account_id IS NOT NULL AND NOT embedded
          GROUP BY ALL)
        GROUP BY platform, h"""
    )


def require_edges(ws: "Workspace") -> None:
    if not table_exists(ws, "network_edges"):
        raise MarsadError("no interaction graph in this workspace", hint="run `marsad network build` first")


def signal_labels(ws: "Workspace", signal: str) -> pd.DataFrame | None:
    """Account-level ``label``/``score`` of a signal's latest run, or None when it has not run."""
    df = ws.df(
        """SELECT platform, subject_id AS account_id, label, score FROM evidence
           WHERE signal = ? AND subject_type = 'account'""", [signal])
    return df if len(df) else None


def account_names(ws: "Workspace") -> str:
    """SQL for (platform, account_id, handle): the latest handle known for every account that posted or is
    known from profiles."""
    return """SELECT platform, account_id, arg_max(handle, seen) AS handle FROM (
        SELECT platform, account_id, handle, last_observed AS seen FROM account_snapshots WHERE handle IS NOT NULL
        UNION ALL
        SELECT platform, account_id, account_handle, max(created_at) FROM posts
        WHERE account_handle IS NOT NULL AND NOT embedded GROUP BY ALL)
      GROUP BY ALL"""


def make_supporter_set(ws: "Workspace", population: str = "auto") -> str:
    """Temp table ``_net_supporters(platform, account_id)``: the accounts judged supporters. Returns where the
    judgement came from: ``stance`` (label supporter), ``discover`` (seeds and candidates), or ``all`` (every
    collected account: no stance or discovery has run, or ``population='all'``; roles then carry that caveat)."""
    if population not in ("auto", "all", "stance", "discover"):
        raise MarsadError(f"unknown population {population!r}; use auto, all, stance or discover")
    sources = {
        "stance": "SELECT platform, subject_id FROM evidence WHERE signal = 'stance' AND subject_type = 'account' "
                  "AND label = 'supporter'",
        "discover": "SELECT platform, subject_id FROM evidence WHERE signal = 'discover' AND subject_type = 'account'"
                    " AND label IN ('seed', 'candidate')",
    }
    order = [population] if population in sources else (["stance", "discover"] if population == "auto" else [])
    for src in order:
        has = ws.con.execute(
            f"SELECT count(*) FROM evidence WHERE signal = '{src}' AND subject_type = 'account'").fetchone()[0]
        if has:
            ws.con.execute(f"CREATE OR REPLACE TEMP TABLE _net_supporters AS {sources[src]}")
            ws.con.execute("ALTER TABLE _net_supporters RENAME COLUMN subject_id TO account_id")
            return src
        if population == src:
            raise MarsadError(f"population {src!r} asked for, but the {src} signal has not run",
                              hint=f"run `marsad {src if src == 'stance' else 'network discover'}` first")
    ws.con.execute("""CREATE OR REPLACE TEMP TABLE _net_supporters AS
        SELECT DISTINCT platform, account_id FROM posts WHERE NOT embedded AND account_id IS NOT NULL""")
    return "all"


def top_k_partners(a, b, w, n: int, k: int = 3) -> list[list[tuple[int, float]] | None]:
    """For each node 0..n-1, its ``k`` heaviest partners among directed pairs ``a -> b`` with weights ``w``
    (vectorised: one sort, no per-node loop over edges)."""
    import numpy as np

    out: list = [None] * n
    if not len(a):
        return out
    order = np.lexsort((-w, a))
    a, b, w = a[order], b[order], w[order]
    start = np.r_[0, np.flatnonzero(np.diff(a)) + 1]
    rank = np.arange(len(a)) - np.repeat(start, np.diff(np.r_[start, len(a)]))
    keep = rank < k
    for x, y, v in zip(a[keep].tolist(), b[keep].tolist(), w[keep].tolist()):
        if out[x] is None:
            out[x] = []
        out[x].append((y, v))
    return out
