"""Census commands: ``marsad census run|countries|devices|reach`` print the census tables; ``marsad report`` writes
the self-contained HTML report (or its tables as JSON / CSV)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import MarsadError
from .common import console, open_ws, print_df, progress, write_table

census_app = typer.Typer(help="Country shares of supportive posts with honest intervals, devices, reach.",
                         no_args_is_help=True)

_LANG = typer.Option(None, "--lang", help="Only posts in these languages, comma-separated (e.g. ar).")
_PLATFORM = typer.Option(None, "--platform", help="Only these platforms, comma-separated.")
_SINCE = typer.Option(None, "--since", help="Only posts on or after this date (YYYY-MM-DD).")
_UNTIL = typer.Option(None, "--until", help="Only posts before this date (YYYY-MM-DD).")
_NO_REPOSTS = typer.Option(False, "--no-reposts", help="Count original posts only.")
_METHOD = typer.Option("auto", "--method", help="auto | pacc | acc | sld | pcc | cc (cc/pcc: uncorrected).")
_ERR = typer.Option(None, "--error-model", help="JSON with the stance model's held-out error rates "
                                                "(default: the one shipped with the stance model).")
_MIN_POSTS = typer.Option(None, "--min-posts", help="Fewer posts than this: 'insufficient data' (default 100).")
_MIN_ACC = typer.Option(None, "--min-accounts", help="Fewer accounts than this: 'insufficient data' (default 20).")
_B = typer.Option(500, "--bootstrap", help="Bootstrap replicates for intervals.")
_SEED = typer.Option(0, "--seed", help="Random seed of the bootstrap.")
_OUT = typer.Option(None, "--out", "-o", help="Also write the table(s) here (.csv/.json/.jsonl/.parquet; with "
                                              "several tables NAME is inserted before the extension).")


def _population(lang, platform, since, until, no_reposts):
    from ..census.common import Population

    return Population.make(lang, platform, since, until, include_reposts=not no_reposts)


def _error_models(path: Optional[Path], pop):
    from ..census.shares import find_error_model

    if path is not None and not path.exists():
        raise MarsadError(f"error model {path} does not exist")
    return find_error_model(path, "post", pop.langs), find_error_model(path, "account", pop.langs)


def _pct(v, lo=None, hi=None) -> str:
    import math

    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
        return ""
    s = f"{v:.1%}"
    if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
        s += f" ({lo:.1%}-{hi:.1%})"
    return s


def display_frame(name: str, df):
    """A readable version of a census table for the terminal: shares with their intervals in one column."""
    import pandas as pd

    df = df.copy()
    if name == "country_counts":
        df["share of located (95% CI)"] = [_pct(a, b, c) for a, b, c in zip(df["share"], df["share_low"],
                                                                           df["share_high"])]
        return df[["country", "name", "group", "accounts", "posts", "share of located (95% CI)"]]
    if name in ("country_posts", "country_accounts"):
        df["share (95% CI)"] = [_pct(a, b, c) for a, b, c in zip(df["share"], df["ci_low"], df["ci_high"])]
        df["uncorrected"] = [_pct(a) for a in df["cc"]]
        df["rank"] = [("" if pd.isna(r) else f"{int(r)} ({int(lo)}-{int(hi)})")
                      for r, lo, hi in zip(df["rank"], df["rank_low"], df["rank_high"])]
        keep = [c for c in ("rank", "country", "name", "posts", "accounts", "status", "share (95% CI)", "uncorrected")
                if c in df]
        return df[keep]
    if name == "devices":
        df["share of posts"] = [_pct(a, b, c) for a, b, c in zip(df["post_share"], df["post_low"], df["post_high"])]
        df["share of accounts"] = [_pct(a, b, c) for a, b, c in
                                   zip(df["account_share"], df["account_low"], df["account_high"])]
        return df[["group", "family", "posts", "share of posts", "accounts", "share of accounts"]]
    drop = [c for c in df.columns if c.endswith("_low") or c.endswith("_high")]
    df = df.drop(columns=drop)
    for c in df.columns:
        if pd.api.types.is_float_dtype(df[c]):
            df[c] = df[c].round(3)
    return df


def _show(res, out: Optional[Path]) -> None:
    for name, t in res.tables.items():
        df = t.df
        print_df(display_frame(name, df), title=f"{t.title}", max_rows=60)
        if t.meta.get("overall"):
            o = t.meta["overall"]
            console.print(f"  overall: {o['share']:.1%} ({o['ci_low']:.1%}-{o['ci_high']:.1%}), method "
                          f"{t.meta['method']}", highlight=False)
        for c in t.caveats:
            console.print(f"  [yellow]caveat:[/] {c}", highlight=False)
        if out is not None:
            target = out if len(res.tables) == 1 else out.with_name(f"{out.stem}.{name}{out.suffix}")
            write_table(df, target)
            console.print(f"  wrote {target}", highlight=False)
    for name, why in res.missing.items():
        console.print(f"[dim]{name}: not available - {why}[/]", highlight=False)


def _run(ctx, parts, lang, platform, since, until, no_reposts, method, error_model, min_posts, min_accounts, b,
         seed, out) -> None:
    from ..census import run_census

    pop = _population(lang, platform, since, until, no_reposts)
    em, aem = _error_models(error_model, pop)
    ws = open_ws(ctx, read_only=True)
    with progress("census") as (bar, task):
        res = run_census(ws, pop, error_model=em, account_error_model=aem, method=method, min_posts=min_posts,
                         min_accounts=min_accounts, b=b, seed=seed, parts=parts,
                         step=lambda name: bar.update(task, description=f"census: {name}"))
    console.print(f"[bold]population[/]: {pop.describe()}", highlight=False)
    _show(res, out)


@census_app.command("run")
def run_all(ctx: typer.Context, lang: Optional[str] = _LANG, platform: Optional[str] = _PLATFORM,
            since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL, no_reposts: bool = _NO_REPOSTS,
            method: str = _METHOD, error_model: Optional[Path] = _ERR, min_posts: Optional[int] = _MIN_POSTS,
            min_accounts: Optional[int] = _MIN_ACC, bootstrap: int = _B, seed: int = _SEED,
            out: Optional[Path] = _OUT) -> None:
    """Every census table: countries, devices, reach.

    Example:  marsad census run --lang ar --since 2014-07-01 --until 2014-11-01
    """
    _run(ctx, ("countries", "devices", "reach"), lang, platform, since, until, no_reposts, method, error_model,
         min_posts, min_accounts, bootstrap, seed, out)


@census_app.command()
def countries(ctx: typer.Context, lang: Optional[str] = _LANG, platform: Optional[str] = _PLATFORM,
              since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL, no_reposts: bool = _NO_REPOSTS,
              method: str = _METHOD, error_model: Optional[Path] = _ERR, min_posts: Optional[int] = _MIN_POSTS,
              min_accounts: Optional[int] = _MIN_ACC, bootstrap: int = _B, seed: int = _SEED,
              out: Optional[Path] = _OUT) -> None:
    """Share of supportive posts and accounts per country, with intervals and rank intervals.

    Example:  marsad census countries --lang ar --out countries.csv
    """
    _run(ctx, ("countries",), lang, platform, since, until, no_reposts, method, error_model, min_posts,
         min_accounts, bootstrap, seed, out)


@census_app.command()
def devices(ctx: typer.Context, lang: Optional[str] = _LANG, platform: Optional[str] = _PLATFORM,
            since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL, no_reposts: bool = _NO_REPOSTS,
            out: Optional[Path] = _OUT) -> None:
    """Device shares (posts and primary client of accounts), supporters vs the others."""
    _run(ctx, ("devices",), lang, platform, since, until, no_reposts, "cc", None, None, None, 50, 0, out)


@census_app.command()
def reach(ctx: typer.Context, lang: Optional[str] = _LANG, platform: Optional[str] = _PLATFORM,
          since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL, no_reposts: bool = _NO_REPOSTS,
          out: Optional[Path] = _OUT) -> None:
    """Followers/following/posts distributions, in-network share, hyperactive core, creation months, languages."""
    _run(ctx, ("reach",), lang, platform, since, until, no_reposts, "cc", None, None, None, 50, 0, out)


def report(ctx: typer.Context,
           out: Path = typer.Option(Path("report.html"), "--out", "-o", help="Output file (a folder for csv)."),
           format: str = typer.Option("html", "--format", "-f", help="html | json | csv"),
           lang: Optional[str] = _LANG, platform: Optional[str] = _PLATFORM, since: Optional[str] = _SINCE,
           until: Optional[str] = _UNTIL, no_reposts: bool = _NO_REPOSTS, method: str = _METHOD,
           error_model: Optional[Path] = _ERR, min_posts: Optional[int] = _MIN_POSTS,
           min_accounts: Optional[int] = _MIN_ACC, bootstrap: int = _B, seed: int = _SEED,
           title: Optional[str] = typer.Option(None, "--title", help="Report title."),
           list_accounts: int = typer.Option(0, "--list-accounts", help="Also list the N most active accounts "
                                                                       "(pseudonymised)."),
           no_pseudonymise: bool = typer.Option(False, "--no-pseudonymise",
                                                help="Show real handles in the account list (keep it private!)."),
           ) -> None:
    """Write the census report: one self-contained HTML file (no internet needed to open it), or JSON / CSV.

    Example:  marsad report --lang ar --out report.html
    """
    from ..outputs.report import FORMATS, write_report

    if format not in FORMATS:
        raise MarsadError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    pop = _population(lang, platform, since, until, no_reposts)
    em, aem = _error_models(error_model, pop)
    ws = open_ws(ctx, read_only=True)
    with progress("report") as (bar, task):
        path = write_report(ws, out, format, pop=pop, error_model=em, account_error_model=aem, method=method,
                            min_posts=min_posts, min_accounts=min_accounts, b=bootstrap, seed=seed, title=title,
                            list_accounts=list_accounts, pseudonymise=not no_pseudonymise,
                            step=lambda name: bar.update(task, description=f"report: {name}"))
    console.print(f"wrote {path}" + (" (account list pseudonymised)" if list_accounts and not no_pseudonymise else ""),
                  highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(census_app, name="census")
    app.command()(report)
