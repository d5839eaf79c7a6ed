"""Benchmark of the simulator: posts written per second and peak memory, and whether memory stays flat as the
number of posts grows.

    .venv/bin/python bench/simulate.py                       # 10 million posts, data serialised to /dev/null
    .venv/bin/python bench/simulate.py --posts 1000000 --write   # 1 million posts written to bench/out/sim

Without ``--write`` the posts are fully serialised (JSON, same bytes as on disk) but sent to /dev/null, so the
figure measures the simulator rather than the disk (10 million v1.1 posts are ~27 GB); the ground truth is always
written. Prints: world size, posts, wall time, posts/s (wall and per CPU second), the CPU time of each process (on a
machine shared with other work the wall time says more about the neighbours than about the simulator), MB/s, peak
RSS, and the RSS after 10%, 50% and 100% of the days (flat = memory does not grow with the number of posts).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from marsad.simulate import SimParams, simulate  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--format", default="v1", choices=["v1", "v2", "telegram"])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "sim")
    ap.add_argument("--write", action="store_true", help="write the data files to disk (else /dev/null)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="processes writing rounds in parallel")
    a = ap.parse_args()

    # calibrate posts per person-day on a small world with the same parameters
    cal = a.out.with_name(a.out.name + "-cal")
    r = simulate(SimParams(accounts=3000, days=7, seed=a.seed, format=a.format), cal, force=True, discard_data=True)
    per_person_day = r.n_posts / (3000 * 7)
    shutil.rmtree(cal, ignore_errors=True)
    # activity falls a little over a long period (suspensions), so aim 8% high to reach the target
    accounts = max(100, int(1.08 * a.posts / (per_person_day * a.days)))
    p = SimParams(accounts=accounts, days=a.days, seed=a.seed, format=a.format, rounds=min(6, a.days))

    marks: dict[int, float] = {}
    checkpoints = {max(0, int(a.days * q) - 1): q for q in (0.1, 0.5, 1.0)}

    def on_day(d: int, n: int) -> None:
        if d in checkpoints:
            marks[d] = rss_mb()
            print(f"  day {d + 1}/{a.days}: {n:,} posts, RSS {marks[d]:.0f} MB", flush=True)

    print(f"world: {accounts:,} people x {a.days} days (~{per_person_day:.2f} posts per person-day), "
          f"format {a.format}, data {'to disk' if a.write else 'to /dev/null'}", flush=True)
    kids0 = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])
    c0, t0 = time.process_time(), time.perf_counter()
    res = simulate(p, a.out, force=True, on_day=on_day, discard_data=not a.write, workers=a.workers)
    wall = time.perf_counter() - t0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_main = time.process_time() - c0
    cpu_kids = kids.ru_utime + kids.ru_stime - kids0
    cpu = cpu_main + cpu_kids
    size = sum(f.stat().st_size for f in res.files) if a.write else None
    truth = sum(f.stat().st_size for f in res.truth_dir.iterdir())
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, kids.ru_maxrss) / 1024
    print(f"posts: {res.n_posts:,} by {res.n_accounts:,} accounts")
    print(f"time: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"speed: {res.n_posts / wall:,.0f} posts/s wall, {res.n_posts / cpu:,.0f} posts per CPU second "
          f"(all processes); load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if a.workers > 1:
        # the processes run side by side: with a free core each, the busiest one sets the wall time
        busiest = max(cpu_main, cpu_kids / (a.workers - 1))
        print(f"CPU by process: main {cpu_main:.1f} s, each worker {cpu_kids / (a.workers - 1):.1f} s on average; "
              f"with a free core per process: ~{res.n_posts / busiest:,.0f} posts/s")
    if size:
        print(f"data: {size / 2**30:.2f} GiB ({size / wall / 2**20:.0f} MB/s, {size / res.n_posts:.0f} bytes/post)")
    print(f"truth: {truth / 2**20:.0f} MB")
    print(f"workers: {a.workers}; peak RSS (largest process): {peak:.0f} MB; main-process RSS at 10% / 50% / 100% of days: "
          + " / ".join(f"{marks[d]:.0f}" for d in sorted(marks)) + " MB")


if __name__ == "__main__":
    main()
