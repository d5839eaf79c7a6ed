"""Seed lists for discovery: one account per line (``@handle``, ``handle``, a platform account id, or
``platform:id``), optionally as the first column of a CSV; blank lines and ``#`` comments are skipped.

Lines that cannot be used are reported, not fatal: ``malformed`` (not a handle or id), ``unknown`` (not in the
workspace), ``duplicate`` (same account as an earlier line). Only when no line is usable is it an error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import MarsadError
from .base import make_handle_map

if TYPE_CHECKING:
    from ..workspace import Workspace

_HANDLE = re.compile(r"@?[A-Za-z0-9_]{1,50}")
_PLATFORM_ID = re.compile(r"(twitter|facebook|telegram|other):([^\s:]{1,64})")


@dataclass
class SeedReport:
    seeds: pd.DataFrame  # platform, account_id, line, given
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, given, reason)

    def summary(self) -> str:
        by: dict[str, int] = {}
        for _, _, r in self.problems:
            k = r.split(":")[0]
            by[k] = by.get(k, 0) + 1
        extra = ", ".join(f"{n} {k}" for k, n in sorted(by.items()))
        return f"{len(self.seeds)} seeds used" + (f"; not used: {extra}" if extra else "")


def read_seeds(ws: "Workspace", path: str | Path) -> SeedReport:
    path = Path(path)
    if not path.is_file():
        raise MarsadError(f"seed file {path} does not exist")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise MarsadError(f"seed file {path} is not UTF-8 text") from None
    make_handle_map(ws)
    ids = {(p, a) for p, a in ws.con.execute(
        "SELECT DISTINCT platform, account_id FROM posts WHERE account_id IS NOT NULL "
        "UNION SELECT DISTINCT platform, account_id FROM account_snapshots").fetchall()}
    id_only = {}
    for p, a in ids:
        id_only.setdefault(a, []).append(p)
    handles: dict[str, list[tuple[str, str]]] = {}
    for p, h, a in ws.con.execute("SELECT platform, h, account_id FROM _net_handles").fetchall():
        handles.setdefault(h, []).append((p, a))
    rows, problems, seen = [], [], {}
    for n, raw in enumerate(lines, start=1):
        given = raw.split("#", 1)[0].strip()
        if not given:
            continue
        given = re.split(r"[,\t;]", given, maxsplit=1)[0].strip().strip('"').strip()
        if not given:
            problems.append((n, raw.strip()[:60], "malformed: empty first field"))
            continue
        found: list[tuple[str, str]] = []
        m = _PLATFORM_ID.fullmatch(given)
        if m:
            found = [(m.group(1), m.group(2))] if (m.group(1), m.group(2)) in ids else []
        elif _HANDLE.fullmatch(given):
            h = given.lstrip("@").lower()
            if not given.startswith("@") and given.isdigit() and given in id_only:
                found = [(p, given) for p in id_only[given]]
            found = found or handles.get(h, [])
            if not found and ("@" + h) in id_only:
                found = [(p, "@" + h) for p in id_only["@" + h]]
        else:
            problems.append((n, given[:60], "malformed: not a handle or account id"))
            continue
        if not found:
            problems.append((n, given[:60], "unknown: not in this workspace"))
            continue
        for key in found:
            if key in seen:
                problems.append((n, given[:60], f"duplicate: same account as line {seen[key]}"))
                continue
            seen[key] = n
            rows.append({"platform": key[0], "account_id": key[1], "line": n, "given": given})
    seeds = pd.DataFrame(rows, columns=["platform", "account_id", "line", "given"])
    if seeds.empty:
        detail = "; ".join(f"line {n} {g!r}: {r}" for n, g, r in problems[:5])
        raise MarsadError(f"no usable seed in {path}" + (f" ({detail})" if detail else " (the file is empty)"))
    return SeedReport(seeds, problems)
