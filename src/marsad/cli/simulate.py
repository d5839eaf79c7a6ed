"""Simulation commands: ``simulate`` (a world with ground truth), ``demo`` (simulate, ingest, run everything,
report, score) and ``score-truth`` (compare a workspace's results with a world's truth)."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional

import pandas as pd
import typer

from ..errors import MarsadError
from .common import console, err_console, open_ws, print_df, progress, write_table

DEMO_ACCOUNTS = 1000
DEMO_DAYS = 28


def _params(accounts: int | None, days: int | None, seed: int | None, fmt: str | None, rounds: int | None,
            start: str | None, params_file: Path | None, sets: list[str] | None):
    """Parameters from (in increasing priority) the defaults, a JSON file, --set overrides, explicit options."""
    from ..simulate import SimParams

    d: dict = {}
    if params_file:
        try:
            d.update(json.loads(Path(params_file).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise MarsadError(f"{params_file}: no such file") from None
        except json.JSONDecodeError as e:
            raise MarsadError(f"{params_file}: not JSON ({e.msg} at line {e.lineno})") from None
        if not isinstance(d, dict):
            raise MarsadError(f"{params_file}: expected a JSON object of parameters")
    for s in sets or []:
        if "=" not in s:
            raise MarsadError(f"--set {s!r}: expected NAME=VALUE, e.g. --set supporter_share=0.3")
        k, v = s.split("=", 1)
        try:
            d[k.strip()] = json.loads(v)
        except json.JSONDecodeError:
            d[k.strip()] = v
    for k, v in (("accounts", accounts), ("days", days), ("seed", seed), ("format", fmt), ("rounds", rounds)):
        if v is not None:
            d[k] = v
    if "rounds" not in d and isinstance(d.get("days", 30), int) and d.get("days", 30) >= 1:
        d["rounds"] = min(3, d.get("days", 30))
    if start:
        d["start"] = start
    return SimParams.from_dict(d)


def _run_simulation(p, out: Path, force: bool, workers: int = 1):
    from ..simulate import simulate

    with progress(f"simulate {p.accounts:,} accounts × {p.days} days", total=p.days) as (bar, task):
        return simulate(p, out, force=force, workers=workers,
                        on_day=lambda d, n: bar.update(task, completed=d + 1, description=f"simulate: {n:,} posts"))


def simulate_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (must be new or empty unless --force)."),
    accounts: Optional[int] = typer.Option(None, "--accounts", "-n",
                                           help="People at the start, default 2000 (re-created accounts come on top)."),
    days: Optional[int] = typer.Option(None, "--days", help="Days simulated (default 30)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default 1): same seed, same bytes."),
    format: Optional[str] = typer.Option(None, "--format", "-f",
                                         help="v1 (Twitter API v1.1 JSONL, default) | v2 (twarc2 pages) | telegram"),
    rounds: Optional[int] = typer.Option(None, "--rounds", help="Collection rounds = output files (default 3)."),
    start: Optional[str] = typer.Option(None, "--start", help="First day, e.g. 2014-10-01."),
    params: Optional[Path] = typer.Option(None, "--params", help="JSON file of parameters (see marsad.simulate.params)."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="NAME=VALUE parameter override, repeatable."),
    force: bool = typer.Option(False, "--force", help="Overwrite a previous simulation in --out."),
    workers: int = typer.Option(1, "--workers", help="Processes writing collection rounds in parallel (same bytes)."),
) -> None:
    """Simulate a propaganda network with ground truth, in a real export format.

    Example:  marsad simulate --accounts 5000 --days 60 --seed 7 --out sim/ && marsad ingest sim/tweets-r*.jsonl
    """
    p = _params(accounts, days, seed, format, rounds, start, params, set_)
    if workers < 1:
        raise MarsadError(f"--workers must be at least 1 (got {workers})")
    res = _run_simulation(p, out, force, workers)
    console.print(
        f"wrote {res.n_posts:,} posts of {res.n_accounts:,} accounts ({res.n_people:,} people) in "
        f"{len(res.files)} file(s) to {out} in {res.seconds:.1f}s ({res.posts_per_second:,.0f} posts/s); "
        f"ground truth in {res.truth_dir}", highlight=False)


def _fmt_scores(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in ("precision", "recall", "f1"):
        out[c] = [("" if v is None or pd.isna(v) else f"{v:.3f}") for v in out[c]]
    return out


def score_truth_cmd(
    ctx: typer.Context,
    truth: Path = typer.Argument(..., help="Folder written by `marsad simulate` (or its truth/ folder)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the scores (.csv, .json, .parquet)."),
) -> None:
    """Compare the workspace's results with a simulated world's ground truth (precision / recall / F1)."""
    from ..evaluate import load_truth, score_truth

    load_truth(truth)  # a wrong folder is reported before the workspace is opened
    ws = open_ws(ctx, read_only=True)
    scores = score_truth(ws, truth)
    _print_scores(scores)
    if out:
        write_table(scores.rows, out)
        console.print(f"wrote {out}")


def _print_scores(scores) -> None:
    if len(scores.rows):
        print_df(_fmt_scores(scores.rows), title="scores against the ground truth", max_rows=200)
    else:
        console.print("no analysis results to score yet")
    if scores.missing:
        console.print(f"[dim]not run / no evidence: {', '.join(sorted(set(scores.missing)))}[/]", highlight=False)


def _fresh_workspace(path: Path) -> None:
    """Remove a previous demo workspace at ``path`` (only if it is a marsad workspace)."""
    from ..workspace import Workspace

    if not path.exists():
        return
    try:
        Workspace(path, read_only=True).close()
    except MarsadError:
        raise MarsadError(f"{path} exists and is not a marsad workspace; refusing to overwrite it") from None
    path.unlink()
    for extra in (path.with_name(path.name + ".wal"),):
        if extra.exists():
            extra.unlink()


def write_seeds(truth_dir: Path, out: Path, share: float = 0.1, seed: int = 1) -> int:
    """A seed list (one handle per line) of a share of the true supporters who posted, as a researcher's list of
    known accounts would be. Returns how many."""
    acc = pd.read_csv(truth_dir / "accounts.csv", dtype=str, keep_default_na=False)
    sup = acc[(acc.is_supporter == "true") & (acc.n_posts.astype(int) > 0)]
    k = max(1, int(round(share * len(sup)))) if len(sup) else 0
    pick = sup.sample(n=k, random_state=seed) if k else sup
    out.write_text("".join(f"@{h.split('|')[-1]}\n" for h in pick.handles), encoding="utf-8")
    return k


def demo(
    ctx: typer.Context,
    out: Path = typer.Option(Path("out/demo"), "--out", "-o", help="Folder for the simulated data, seeds and report."),
    accounts: int = typer.Option(DEMO_ACCOUNTS, "--accounts", "-n", help="People in the simulated world."),
    days: int = typer.Option(DEMO_DAYS, "--days", help="Days simulated."),
    seed: int = typer.Option(1, "--seed", help="Random seed."),
) -> None:
    """The whole job on a simulated world: simulate, ingest, run every analysis, write the report, score it.

    Example:  marsad --workspace out/demo.duckdb demo --out out/demo
    """
    from ..evaluate import sample_error_model
    from ..pipeline import run_all
    from ..workspace import Workspace

    t0 = time.perf_counter()
    p = _params(accounts, days, seed, "v1", None, None, None, None)
    ws_path = Path((ctx.obj or {}).get("workspace") or out / "demo.duckdb")
    _fresh_workspace(ws_path)
    res = _run_simulation(p, out, force=True)
    console.print(f"[green]✓[/] simulated {res.n_posts:,} posts of {res.n_accounts:,} accounts in "
                  f"{res.seconds:.1f}s -> {out}", highlight=False)
    ws = Workspace(ws_path)
    t1 = time.perf_counter()
    n_read = n_q = 0
    for f in res.files:
        with progress(f"ingest {f.name}") as (bar, task):
            (r,) = ws.ingest([f], source="marsad demo: simulated world",
                             on_record=lambda n: bar.update(task, completed=n))
        n_read += r.n_read
        n_q += r.n_quarantined
    console.print(f"[green]✓[/] ingested {n_read:,} records ({n_q:,} quarantined) into {ws_path} in "
                  f"{time.perf_counter() - t1:.1f}s", highlight=False)
    seeds = out / "seeds.txt"
    k = write_seeds(res.truth_dir, seeds, seed=seed)
    console.print(f"[dim]seed list for discovery: {k} known supporter handles (10% of the true ones) in {seeds}[/]",
                  highlight=False)
    report_path = out / "report.html"
    with progress("analyses") as (bar, task):
        # country shares are corrected with error rates from a labelled sample of this population, as an analyst
        # would hand-label one: rates measured on other data do not transfer
        result = run_all(ws, seeds=seeds, report=report_path,
                         report_options=lambda w: {"error_model": sample_error_model(w, res.truth_dir, seed=seed)},
                         progress=lambda name, i, n: bar.update(task, total=n, completed=i, description=name))
    steps = result.table()
    steps["message"] = steps["message"].str.slice(0, 100)
    steps["rows"] = [("" if pd.isna(r) else f"{int(r):,}") for r in steps["rows"]]
    print_df(steps, title="analyses")
    from ..evaluate import score_truth

    _print_scores(score_truth(ws, res.truth_dir))
    ws.close()
    if result.report_path:
        console.print(f"[bold green]report:[/] {result.report_path.resolve()}", highlight=False)
    else:
        console.print("[yellow]no report module yet[/]: the analyses are in the workspace "
                      f"(`marsad --workspace {ws_path} info`)", highlight=False)
    console.print(f"done in {time.perf_counter() - t0:.0f}s", highlight=False)
    if not result.ok:
        err_console.print("[bold red]some analyses failed[/] (see the table above)")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
    app.command("demo")(demo)
    app.command("score-truth")(score_truth_cmd)
