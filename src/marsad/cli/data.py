"""Data commands: ingest, info, quarantine, export, sql, formats."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import duckdb
import typer

from ..errors import MarsadError
from .common import console, open_ws, print_df, progress


def _parse_map(items: list[str] | None) -> dict[str, str]:
    out = {}
    for it in items or []:
        if "=" not in it:
            raise MarsadError(f"--map {it!r}: expected FIELD=COLUMN, e.g. --map text=tweets")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def ingest(
    ctx: typer.Context,
    paths: List[Path] = typer.Argument(..., help="Files to ingest (.json, .jsonl, .csv, .xlsx; .gz/.bz2/.zip too)."),
    format: Optional[str] = typer.Option(None, "--format", "-f", help="Override detection (see `marsad formats`)."),
    source: Optional[str] = typer.Option(None, "--source", help="Free-text note on where the data came from."),
    map: Optional[List[str]] = typer.Option(None, "--map", help="Generic readers: FIELD=COLUMN, repeatable."),
) -> None:
    """Ingest export files into the workspace. Re-ingesting a file adds nothing.

    Example:  marsad ingest tweets.jsonl.gz --source "stream collection, Oct 2014"
    """
    options = {"column_map": _parse_map(map)} if map else None
    ws = open_ws(ctx, create=True)
    total = {"read": 0, "loaded": 0, "duplicate": 0, "quarantined": 0}
    failed = 0
    for path in paths:
        try:
            with progress(f"ingest {path.name}") as (bar, task):
                (res,) = ws.ingest(
                    [path], format=format, source=source, options=options,
                    on_record=lambda n: bar.update(task, completed=n),
                )
        except MarsadError as e:
            if len(paths) == 1:
                raise
            console.print(f"[red]✗[/] {path}: {e}", highlight=False)
            failed += 1
            continue
        if res.already_present:
            console.print(f"[yellow]=[/] {path.name}: already in the workspace ({res.format}, dataset "
                          f"{res.dataset_id}); nothing added", highlight=False)
            continue
        for k in total:
            total[k] += getattr(res, f"n_{k}")
        extra = f", {res.n_embedded:,} embedded" if res.n_embedded else ""
        extra += f", {res.n_repaired:,} with repaired encoding" if res.n_repaired else ""
        console.print(
            f"[green]✓[/] {path.name} [dim]({res.format})[/]: read {res.n_read:,} = loaded {res.n_loaded:,} + "
            f"duplicate {res.n_duplicate:,} + quarantined {res.n_quarantined:,}{extra}; "
            f"{res.n_account_obs:,} account observations; {res.seconds:.1f}s",
            highlight=False,
        )
    if len(paths) > 1:
        console.print(f"total: read {total['read']:,}, loaded {total['loaded']:,}, duplicate {total['duplicate']:,}, "
                      f"quarantined {total['quarantined']:,}; workspace {ws.path}")
    ws.close()
    if failed:
        raise typer.Exit(2)


def info(ctx: typer.Context) -> None:
    """Summarise the workspace: datasets, platforms, languages, date range, quarantine."""
    ws = open_ws(ctx, read_only=True)
    console.print(f"[bold]workspace[/] {ws.path} (schema v{ws.schema_version})")
    for title, df in ws.info().items():
        if len(df):
            print_df(df, title=title)


def quarantine(
    ctx: typer.Context,
    dataset: Optional[str] = typer.Option(None, help="Only this dataset id."),
    limit: int = typer.Option(50, help="Rows to show (0: all)."),
) -> None:
    """List quarantined records with the reason and a raw excerpt."""
    ws = open_ws(ctx, read_only=True)
    df = ws.quarantine(dataset, limit or None)
    df["excerpt"] = df["excerpt"].str.slice(0, 120)
    print_df(df, title="quarantine", max_rows=limit or len(df))


def export(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="posts | accounts | evidence"),
    format: str = typer.Option("parquet", "--format", "-f", help="parquet | csv | jsonl"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (default TABLE.FORMAT)."),
    no_pseudonymise: bool = typer.Option(
        False, "--no-pseudonymise", help="Keep real account ids, handles and profile text (stays on your machine!)."
    ),
) -> None:
    """Export a table. Account ids and handles are pseudonymised unless --no-pseudonymise."""
    from ..outputs.export import export as do_export

    ws = open_ws(ctx, read_only=True)
    out = out or Path(f"{table}.{format}")
    n = do_export(ws, table, format, out, pseudonymise=not no_pseudonymise)
    console.print(f"wrote {n:,} rows to {out}" + ("" if no_pseudonymise else " (pseudonymised)"))


def sql(ctx: typer.Context, query: str = typer.Argument(..., help="A read-only SQL query.")) -> None:
    """Run a read-only SQL query on the workspace.

    Example:  marsad sql "SELECT lang, count(*) FROM posts GROUP BY lang"
    """
    ws = open_ws(ctx, read_only=True)
    try:
        df = ws.df(query)
    except duckdb.Error as e:
        raise MarsadError(str(e).splitlines()[0]) from None
    print_df(df, max_rows=200)


def formats() -> None:
    """List the input formats marsad reads."""
    import pandas as pd

    from ..readers import all_readers

    print_df(pd.DataFrame([(r.name, r.platform, r.description) for r in all_readers()],
                          columns=["format", "platform", "description"]), title="formats")


def register(app: typer.Typer) -> None:
    for fn in (ingest, info, quarantine, export, sql, formats):
        app.command()(fn)
