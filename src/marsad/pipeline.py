"""Run every analysis that exists, in dependency order, then the report.

>>> from marsad.pipeline import run_all
>>> result = run_all(ws, seeds="seeds.txt", report="report.html")
>>> result.table()            # one row per step: ok / skipped (with the reason) / failed (with the error)

Steps, in order:

1. preparation steps of the analysis packages that exist: the interaction graph (``marsad.network``,
   table ``network_edges``) and the coordination networks (``marsad.coordination``, table ``coord_edges``);
2. every signal in :func:`marsad.signals.all_signals` (stance, geo, device, role, discover, community, family,
   coord, ...), ordered so that a signal runs after the signals named in its optional ``requires`` attribute and
   otherwise in registry order; a signal that needs input the workspace does not have (e.g. discovery without
   seeds) is *skipped* with its reason;
3. the report (``marsad.outputs.report.write_report``) when that module exists and ``report`` is given.

A failing step does not stop the others: its error is recorded and ``PipelineResult.ok`` is False. The list
grows by itself as analyses are registered.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from .errors import MarsadError

if TYPE_CHECKING:
    from .workspace import Workspace

Progress = Callable[[str, int, int], None]


@dataclass
class StepResult:
    name: str
    kind: str  # prepare | signal | report
    status: str  # ok | skipped | failed
    seconds: float = 0.0
    rows: int | None = None
    message: str = ""


@dataclass
class PipelineResult:
    steps: list[StepResult] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.steps)

    def table(self) -> pd.DataFrame:
        df = pd.DataFrame([vars(s) for s in self.steps],
                          columns=["name", "kind", "status", "seconds", "rows", "message"])
        df["rows"] = pd.array([None if r is None or r != r else int(r) for r in df["rows"]], dtype="Int64")
        return df


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def _prepare_steps() -> list[tuple[str, Callable[["Workspace"], Any]]]:
    """Preparation functions of the analysis packages present (graphs other signals read)."""
    steps = []
    if _exists("marsad.network"):
        net = importlib.import_module("marsad.network")
        if hasattr(net, "build_edges"):
            steps.append(("network-graph", net.build_edges))
    if _exists("marsad.coordination"):
        coord = importlib.import_module("marsad.coordination")
        fn = next((getattr(coord, n) for n in ("prepare", "build_edges", "build") if callable(getattr(coord, n, None))),
                  None)
        if fn is not None:
            steps.append(("coordination-graph", fn))
    return steps


def order_signals(classes: dict[str, type]) -> list[str]:
    """Signal names in registry order, moved after the signals they declare in ``requires``."""
    names = list(classes)
    done: list[str] = []
    visiting: set[str] = set()

    def visit(n: str) -> None:
        if n in done or n not in classes:
            return
        if n in visiting:
            raise MarsadError(f"signals require each other in a cycle involving {n!r}")
        visiting.add(n)
        for dep in getattr(classes[n], "requires", ()) or ():
            visit(dep)
        visiting.discard(n)
        done.append(n)

    for n in names:
        visit(n)
    return done


def _make_signal(klass: type, options: dict[str, Any]) -> Any:
    """Instantiate with the options its constructor accepts (e.g. ``seeds`` for discovery)."""
    params = inspect.signature(klass.__init__).parameters
    kw = {k: v for k, v in options.items() if k in params and v is not None}
    return klass(**kw)


def _rows(out: Any) -> int | None:
    """Evidence rows written by a signal (``run_and_write`` returns ``(run_id, rows)``)."""
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], pd.DataFrame):
        return len(out[1])
    return len(out) if isinstance(out, pd.DataFrame) else None


def plan(only: list[str] | None = None, skip: list[str] | None = None) -> list[tuple[str, str]]:
    """(name, kind) of the steps run_all would run now."""
    from .signals import all_signals

    steps = [(n, "prepare") for n, _ in _prepare_steps()]
    steps += [(n, "signal") for n in order_signals(all_signals())]
    if _exists("marsad.outputs.report"):
        steps.append(("report", "report"))
    return [s for s in steps if (not only or s[0] in only) and s[0] not in (skip or [])]


def run_all(ws: "Workspace", *, progress: Progress | None = None, seeds: str | Path | None = None,
            report: str | Path | None = None, only: list[str] | None = None, skip: list[str] | None = None,
            signal_options: dict[str, dict[str, Any]] | None = None,
            report_options: Callable[["Workspace"], dict[str, Any]] | None = None) -> PipelineResult:
    """Run every analysis that exists on ``ws`` (see the module docstring). ``progress(step, i, n)`` is called
    before each step; ``seeds`` is a seed file for discovery; ``report`` the report path (no report when None);
    ``signal_options`` maps a signal name to constructor options; ``report_options(ws)``, called once the signals
    have run, gives extra keyword arguments for the report (e.g. an error model from a labelled sample)."""
    from .signals import all_signals

    ws.require_posts()
    classes = all_signals()
    prep = dict(_prepare_steps())
    todo = plan(only, skip)
    if report is None:
        todo = [s for s in todo if s[1] != "report"]
    result = PipelineResult()
    for i, (name, kind) in enumerate(todo):
        if progress:
            progress(name, i, len(todo))
        t0 = time.perf_counter()
        step = StepResult(name, kind, "ok")
        try:
            if kind == "prepare":
                step.rows = _rows(prep[name](ws))
            elif kind == "signal":
                opts = {"seeds": str(seeds) if seeds else None, **(signal_options or {}).get(name, {})}
                sig = _make_signal(classes[name], opts)
                step.rows = _rows(sig.run_and_write(ws))
            else:
                from .outputs.report import write_report

                result.report_path = write_report(ws, report, **(report_options(ws) if report_options else {}))
        except MarsadError as e:
            step.status, step.message = "skipped", str(e)
        except Exception as e:  # noqa: BLE001 - one analysis failing must not hide the others
            step.status = "failed"
            step.message = f"{type(e).__name__}: {e}"
            step.details = traceback.format_exc()  # type: ignore[attr-defined]
        step.seconds = round(time.perf_counter() - t0, 2)
        result.steps.append(step)
    return result
