"""The census: country shares of supportive posts and accounts with honest intervals (:mod:`.shares`, built on
:mod:`.quantify`), devices (:mod:`.devices`), reach and activity (:mod:`.reach`).

:func:`run_census` computes every table the workspace can support and says why the others are missing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..errors import MarsadError
from .common import CensusTable, Population, has_signal, population, table_exists
from .quantify import ErrorModel

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["CensusResult", "CensusTable", "ErrorModel", "Population", "run_census"]


@dataclass
class CensusResult:
    tables: dict[str, CensusTable] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # table name -> why it is not there
    timings: dict[str, float] = field(default_factory=dict)
    population: Population = field(default_factory=Population)

    def get(self, name: str) -> CensusTable | None:
        return self.tables.get(name)


def run_census(ws: "Workspace", pop: Population | None = None, *, error_model: ErrorModel | None = None,
               account_error_model: ErrorModel | None = None, method: str = "auto", min_posts: int | None = None,
               min_accounts: int | None = None, min_accounts_account_level: int | None = None, b: int = 500,
               seed: int = 0, parts: tuple[str, ...] = ("countries", "devices", "reach"),
               step: Callable[[str], None] | None = None) -> CensusResult:
    """Every census table the workspace supports. ``parts``: countries, devices, reach."""
    pop = pop or Population()
    ws.require_posts()
    res = CensusResult(population=pop)

    def run(name: str, fn, *args, **kw) -> None:
        if step:
            step(name)
        t0 = time.perf_counter()
        try:
            t = fn(*args, **kw)
        except MarsadError as e:
            res.missing[name] = str(e) + (f" ({e.hint})" if e.hint else "")
        else:
            if t is None:
                res.missing[name] = "no data for this table"
            else:
                res.tables[name] = t
        res.timings[name] = time.perf_counter() - t0

    if step:
        step("population")
    t0 = time.perf_counter()
    with population(ws, pop):  # the population's posts joined once, reused by every table
        res.timings["population"] = time.perf_counter() - t0
        _run_parts(ws, pop, run, parts, error_model, account_error_model, method, min_posts, min_accounts,
                   min_accounts_account_level, b, seed)
    return res


def _run_parts(ws, pop, run, parts, error_model, account_error_model, method, min_posts, min_accounts,
               min_accounts_account_level, b, seed) -> None:
    from . import devices, reach, shares

    if "countries" in parts:
        kw = {} if min_posts is None else {"min_posts": min_posts}
        if min_accounts is not None:
            kw["min_accounts"] = min_accounts
        run("country_posts", shares.country_post_shares, ws, pop, error_model=error_model, method=method, b=b,
            seed=seed, **kw)
        run("country_counts", shares.country_counts, ws, pop)
        kw = {} if min_accounts_account_level is None else {"min_accounts": min_accounts_account_level}
        acc_method = method if account_error_model is not None or method in ("cc", "pcc") else "auto"
        run("country_accounts", shares.country_account_shares, ws, pop, error_model=account_error_model,
            method=acc_method, b=b, seed=seed, **kw)
    if "devices" in parts:
        run("devices", devices.device_shares, ws, pop)
        run("clients", devices.top_clients, ws, pop)
    if "reach" in parts:
        run("reach", reach.reach_stats, ws, pop)
        run("follower_bins", reach.follower_histogram, ws, pop)
        run("in_network", reach.in_network, ws, pop)
        run("hyperactive", reach.hyperactive_core, ws, pop)
        run("creation_months", reach.creation_months, ws, pop)
        run("posting_weeks", reach.posting_weeks, ws, pop)
        run("languages", reach.languages, ws, pop)


def readiness(ws: "Workspace") -> dict[str, bool]:
    """Which inputs of the census exist in the workspace."""
    return {"stance_posts": table_exists(ws, "stance_posts"), "stance": has_signal(ws, "stance"),
            "geo": has_signal(ws, "geo") or table_exists(ws, "geo_posts"), "device_posts": table_exists(ws, "device_posts")}
