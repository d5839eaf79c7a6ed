"""A simulated propaganda network with ground truth.

>>> from marsad.simulate import SimParams, simulate
>>> res = simulate(SimParams(accounts=2000, days=30, seed=1), "out/sim")
>>> res.files            # tweets-r1.jsonl ... in Twitter API v1.1 format (or v2 pages, or a Telegram export)
>>> res.truth_dir        # accounts.csv, posts.csv, families.csv, groups.csv, params.json, README.md

The world (:mod:`.world`): supporters and a larger control population (ordinary users and hard negatives who talk
about the organisation without supporting it); roles node / amplifier / shout-out; suspension waves and
re-created accounts with handle variants, similar names and bios, the same or a near-identical avatar and part of
their followers; shout-outs announcing returns; coordinated groups; clients, heavy-tailed followers and
activity, languages, locations as people write them, a small geotagged share. Posts (:mod:`.days`) are generated
day by day and written (:mod:`.writers`) in streaming fashion; the same seed and parameters give the same bytes.
"""
from __future__ import annotations

import gc
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import MarsadError
from .params import SimParams

OUTPUT_GLOBS = ("tweets-r*.jsonl", "ChatExport", "truth")


@dataclass
class SimResult:
    out: Path
    files: list = field(default_factory=list)
    truth_dir: Path | None = None
    n_posts: int = 0
    n_accounts: int = 0
    n_people: int = 0
    seconds: float = 0.0

    @property
    def posts_per_second(self) -> float:
        return self.n_posts / self.seconds if self.seconds else 0.0


def prepare_out(out: Path, force: bool) -> None:
    """Refuse a folder that exists and holds anything unless ``force``; with ``force`` remove only what a
    previous simulation wrote there."""
    if out.exists() and not out.is_dir():
        raise MarsadError(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise MarsadError(f"output folder {out} exists and is not empty", hint="use --force to overwrite it")
        for pattern in OUTPUT_GLOBS:
            for p in out.glob(pattern):
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    out.mkdir(parents=True, exist_ok=True)


def simulate(params: SimParams, out: str | Path, *, force: bool = False,
             on_day: Callable[[int, int], None] | None = None, discard_data: bool = False,
             workers: int = 1) -> SimResult:
    """Generate a world and write it to ``out``. ``on_day(day_index, posts_so_far)`` reports progress;
    ``discard_data`` (benchmarks) serialises the posts but sends them to /dev/null (the truth is still written);
    ``workers`` > 1 writes the collection rounds in parallel processes (Twitter formats): every process generates
    the same days from the same seed and serialises only its own rounds, so the bytes do not depend on it."""
    from .world import build_world

    params.validate()
    out = Path(out)
    prepare_out(out, force)
    t0 = time.perf_counter()
    world = build_world(params)  # once: forked workers share it
    rounds = sorted({d * params.rounds // params.days for d in range(params.days)})
    k = max(1, min(int(workers), len(rounds))) if params.format != "telegram" else 1
    children = []
    if k > 1:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        for j in range(1, k):
            proc = ctx.Process(target=_run, args=(world, out, {r for r in rounds if r % k == j}, False, None,
                                                  discard_data), daemon=True)
            proc.start()
            children.append(proc)
    try:
        res = _run(world, out, {r for r in rounds if r % k == 0}, True, on_day, discard_data)
    finally:
        for proc in children:
            proc.join()
    bad = [proc.exitcode for proc in children if proc.exitcode != 0]
    if bad:
        raise MarsadError(f"a simulation worker failed (exit codes {bad}); run with workers=1 to see why")
    if params.format != "telegram":
        res.files = [out / f"tweets-r{r + 1}.jsonl" for r in rounds]
    res.seconds = time.perf_counter() - t0
    return res


def _run(world, out: Path, mine: set, truth_too: bool, on_day, discard: bool) -> SimResult:
    from .days import DayGenerator
    from .truth import TruthWriter
    from .writers import WRITERS

    params = world.params
    gen = DayGenerator(world)
    writer = WRITERS[params.format](world, out)
    writer.discard = discard
    truth = TruthWriter(world, out, account_prefix="user" if params.format == "telegram" else "") if truth_too \
        else None
    n = 0
    # The day loop allocates millions of small objects that reference counting frees (no cycles): the cyclic
    # collector's automatic passes would cost a sizeable share of the time, so it runs once a day instead.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        for d in range(params.days):
            statuses = gen.statuses.copy()
            day = gen.day(d)
            post_ids = None
            if params.format == "telegram":
                first = writer.next_id
                writer.write_day(day, statuses)
                post_ids = np.char.add(f"{writer.chat_id}:", np.arange(first, first + day.n).astype(str))
            elif d * params.rounds // params.days in mine:
                writer.write_day(day, statuses)
            else:
                writer.skip_day(day, statuses)
            if truth is not None:
                truth.add_day(day, post_ids)
            n += day.n
            del day
            gc.collect(1)
            if on_day:
                on_day(d, n)
    finally:
        if gc_was_on:
            gc.enable()
        writer.close()
        if truth is not None:
            truth.close()
    return SimResult(out=out, files=list(writer.files), truth_dir=out / "truth", n_posts=n,
                     n_accounts=world.n_accounts, n_people=world.n_people)


__all__ = ["SimParams", "SimResult", "simulate", "prepare_out"]
