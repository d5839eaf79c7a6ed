"""The ``marsad`` command line: a thin layer over the Python API.

``COMMAND_GROUPS`` is the extension point: each entry is a module in this package exposing ``register(app)``.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import MarsadError
from .common import console, err_console

COMMAND_GROUPS: tuple[str, ...] = ("data", "simulate", "stance", "geo", "census", "network", "coord")

app = typer.Typer(
    name="marsad",
    help="marsad (مرصد): an evidence-backed census of extremist propaganda networks from exports you already hold.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root(
    ctx: typer.Context,
    workspace: Optional[Path] = typer.Option(
        None, "--workspace", "-w", envvar="MARSAD_WORKSPACE", help="Workspace file (default ./marsad.duckdb)."
    ),
) -> None:
    ctx.obj = {"workspace": workspace}


for _mod in COMMAND_GROUPS:
    importlib.import_module(f"{__name__}.{_mod}").register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: turns errors into one readable line and an exit code instead of a traceback."""
    try:
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc:  # typer.Exit(n) comes back as a return value without standalone mode
            sys.exit(rc)
    except MarsadError as e:
        err_console.print(f"[bold red]error:[/] {e}", highlight=False)
        if e.hint:
            err_console.print(f"[dim]hint:[/] {e.hint}", highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]: the workspace is as it was before this command")
        sys.exit(130)
    except (typer.Exit, SystemExit) as e:
        code = getattr(e, "exit_code", getattr(e, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except Exception as e:  # click usage errors and the unexpected
        import click

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        if os.environ.get("MARSAD_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(e).__name__}: {e}\n"
            "[dim]this is a bug in marsad; rerun with MARSAD_DEBUG=1 for the traceback and report it[/]",
            highlight=False,
        )
        sys.exit(1)
    else:
        console.file.flush()
