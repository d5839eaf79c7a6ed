"""Geography and device commands: ``marsad geo locate|run`` and ``marsad device run|clients``."""
from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import MarsadError
from .common import console, err_console, open_ws, print_df, progress, write_table

geo_app = typer.Typer(help="Where accounts and posts are: countries with method and confidence.", no_args_is_help=True)
device_app = typer.Typer(help="What accounts post from: client names and families.", no_args_is_help=True)

#: location strings longer than this are cut before resolving (profile locations are at most 30 characters)
MAX_FIELD = 10_000


def _read_csv(path: Path, column: str):
    import pandas as pd

    if str(path) != "-" and not path.exists():
        raise MarsadError(f"{path} does not exist")
    if str(path) != "-" and path.is_dir():
        raise MarsadError(f"{path} is a directory, not a CSV file")
    csv.field_size_limit(2**31 - 1)
    src = sys.stdin if str(path) == "-" else path
    try:
        try:
            df = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="replace")
        except pd.errors.ParserError:
            if src is sys.stdin:
                raise
            # the C parser refuses some odd-but-valid files (very long fields); the Python one is slower but lenient
            df = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="replace",
                             engine="python", on_bad_lines="error")
    except pd.errors.EmptyDataError:
        raise MarsadError(f"{path} is empty: expected a CSV file with a header row and a {column!r} column") from None
    except (pd.errors.ParserError, csv.Error, UnicodeError, ValueError) as e:
        msg = " ".join(str(e).split())[:200]
        raise MarsadError(f"{path} is not a readable CSV file: {msg}") from None
    if column not in df.columns:
        cols = ", ".join(repr(c) for c in list(df.columns)[:20])
        raise MarsadError(f"{path} has no column {column!r}", hint=f"columns: {cols}; choose one with --column")
    return df


@geo_app.command("locate")
def locate(
    file: Path = typer.Argument(..., help="CSV file with a header row ('-' reads standard input)."),
    column: str = typer.Option("location", "--column", "-c", help="Column holding the location strings."),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="Output file (.csv/.json/.jsonl/.parquet); default: CSV on stdout."),
) -> None:
    """Resolve free-text locations to countries, without a workspace.

    Adds the columns country (ISO 3166-1 alpha-2, empty when abstaining), method, confidence and ambiguous.

    Example:  marsad geo locate --column location profiles.csv --out located.csv
    """
    import pandas as pd

    from ..signals.geo.signal import locate_frame

    df = _read_csv(file, column)
    if df.empty:
        err_console.print(f"{file}: no rows; the output has the header only", highlight=False)
    values = df[column].map(lambda s: s[:MAX_FIELD] if isinstance(s, str) else s)
    parts = []
    with progress("resolving locations", total=len(df)) as (bar, task):
        for start in range(0, len(df), 20_000):
            parts.append(locate_frame(values.iloc[start:start + 20_000]))
            bar.update(task, completed=min(len(df), start + 20_000))
    res = pd.concat(parts) if parts else locate_frame(values)
    for c in ("country", "method", "confidence", "ambiguous"):
        name = c if c not in df.columns else f"geo_{c}"
        df[name] = res[c]
    if out is None or str(out) == "-":
        df.to_csv(sys.stdout, index=False)
    else:
        write_table(df, out)
        n = int(res["country"].notna().sum())
        err_console.print(f"{len(df):,} rows, {n:,} with a country ({n / max(1, len(df)):.0%}); wrote {out}",
                          highlight=False)


@geo_app.command("resolve")
def resolve_cmd(
    texts: list[str] = typer.Argument(..., help="Location strings."),
    time_zone: Optional[str] = typer.Option(None, "--time-zone", help="Profile time zone (weak prior)."),
) -> None:
    """Explain the country of one or more location strings: method, confidence, names matched, candidates.

    Example:  marsad geo resolve "Paris, TX" "Gaza/Geneva" "ولاية الرقة"
    """
    import pandas as pd

    from ..signals.geo import default_resolver

    r = default_resolver()
    rows = []
    for t in texts:
        res = r.account(t[:MAX_FIELD], time_zone, None)
        rows.append({"location": t[:80], "country": res.country or "", "method": res.method,
                     "confidence": res.confidence, "ambiguous": res.ambiguous, "matched": " | ".join(res.matched),
                     "candidates": " ".join(res.candidates)})
    print_df(pd.DataFrame(rows))


@geo_app.command("run")
def geo_run(
    ctx: typer.Context,
    no_time_zone: bool = typer.Option(False, "--no-time-zone", help="Do not use time zones as a weak prior."),
) -> None:
    """Run the geo signal on the workspace: geo_posts (geotags, places) and one evidence row per account."""
    from ..signals.geo.signal import GeoSignal

    ws = open_ws(ctx)
    try:
        with progress("geo: resolving accounts and posts") as (bar, task):
            run_id, rows = GeoSignal(use_time_zone=not no_time_zone).run_and_write(ws)
        n_posts = ws.con.execute("SELECT count(*) FROM geo_posts").fetchone()[0]
        located = rows["label"].notna().sum() if len(rows) else 0
        console.print(f"[green]✓[/] geo run {run_id}: {len(rows):,} accounts, {located:,} with a country; "
                      f"{n_posts:,} posts with a geotag or place", highlight=False)
        if len(rows):
            import json

            methods = rows["details"].map(lambda d: (d if isinstance(d, dict) else json.loads(d))["method"])
            top = rows[rows["label"].notna()]["label"].value_counts().head(15)
            print_df(top.rename_axis("country").reset_index(name="accounts"), title="accounts by country")
            print_df(methods.value_counts().rename_axis("method").reset_index(name="accounts"), title="methods")
    finally:
        ws.close()


@device_app.command("run")
def device_run(ctx: typer.Context) -> None:
    """Run the device signal: device_posts (client and family of every post) and each account's primary family."""
    from ..signals.device import DeviceSignal, device_shares

    ws = open_ws(ctx)
    try:
        with progress("device: mapping clients") as (bar, task):
            run_id, rows = DeviceSignal().run_and_write(ws)
        console.print(f"[green]✓[/] device run {run_id}: {len(rows):,} accounts", highlight=False)
        for by in ("post", "account"):
            df = device_shares(ws, by)
            df["share"] = df["share"].map(lambda v: f"{v:.1%}")
            df["95% CI"] = [f"{a:.1%}-{b:.1%}" for a, b in zip(df.pop("ci_low"), df.pop("ci_high"))]
            print_df(df, title=f"families by {by}" + (" (primary client)" if by == "account" else ""))
    finally:
        ws.close()


@device_app.command("clients")
def device_clients(
    ctx: typer.Context,
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the table here."),
) -> None:
    """Every client name in the workspace with its family and whether the curated list knows it."""
    import pandas as pd

    from ..signals.device import classify

    ws = open_ws(ctx, read_only=True)
    try:
        ws.require_posts()
        src = ws.df("SELECT source, count(*) AS posts FROM posts WHERE NOT coalesce(embedded, false) GROUP BY 1")
    finally:
        ws.close()
    rows = [(*classify(s), n) for s, n in zip(src["source"], src["posts"])]
    df = pd.DataFrame(rows, columns=["client", "family", "curated", "posts"])
    df = df.groupby(["client", "family", "curated"], dropna=False, as_index=False)["posts"].sum()
    df = df.sort_values("posts", ascending=False)
    print_df(df, title="clients", max_rows=100)
    if out:
        write_table(df, out)


def register(app: typer.Typer) -> None:
    app.add_typer(geo_app, name="geo")
    app.add_typer(device_app, name="device")
