"""Helpers shared by the CLI command modules: consoles, workspace opening, progress bars, table printing."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..workspace import Workspace

# Piped output (files, tests, notebooks) gets wide tables instead of 80-column wrapping.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)


def open_ws(ctx: typer.Context, *, read_only: bool = False, create: bool = False) -> Workspace:
    path = (ctx.obj or {}).get("workspace") if ctx is not None else None
    return Workspace(path, read_only=read_only, create=create)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[tuple[Progress, int]]:
    """A rich progress bar on stderr (hidden when stderr is not a terminal)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as p:
        yield p, p.add_task(description, total=total)


def print_df(df: pd.DataFrame, title: str | None = None, max_rows: int = 50) -> None:
    """Print a DataFrame as a rich table (Arabic and other scripts are printed as they are)."""
    t = Table(title=title, show_lines=False, header_style="bold")
    for c in df.columns:
        t.add_column(str(c), overflow="fold")
    for row in df.head(max_rows).itertuples(index=False):
        t.add_row(*["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in row])
    console.print(t)
    if len(df) > max_rows:
        console.print(f"[dim]… {len(df) - max_rows} more rows[/]")


def write_table(df: pd.DataFrame, out: Path) -> None:
    """Write a result table by extension: .csv, .parquet, .jsonl or .json."""
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        df.to_csv(out, index=False)
    elif suffix == ".parquet":
        df.to_parquet(out, index=False)
    elif suffix in (".jsonl", ".ndjson"):
        df.to_json(out, orient="records", lines=True, force_ascii=False, date_format="iso")
    elif suffix == ".json":
        df.to_json(out, orient="records", force_ascii=False, date_format="iso", indent=1)
    else:
        from ..errors import MarsadError

        raise MarsadError(f"{out}: unknown output type {suffix!r}; use .csv, .parquet, .jsonl or .json")
