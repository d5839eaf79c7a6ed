"""Benchmark: the full census on N simulated posts (default 10 million), time per stage and peak RSS.

    .venv/bin/python bench/census.py [--posts 10000000] [--threads 2] [--memory 3GB] [--keep DIR]

The world is written straight into a workspace by marsad.census.synthetic (posts, accounts, stance_posts,
geo_posts, device_posts and the stance/geo/device evidence), so this measures the census and the report, not ingest
or the classifiers (bench/ingest.py and bench/stance.py measure those). Targets: < 10 minutes, < 4 GiB on 2 cores.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from marsad import Workspace  # noqa: E402
from marsad.census.common import Population  # noqa: E402
from marsad.census.quantify import ErrorModel  # noqa: E402
from marsad.census.synthetic import build_world, validation_set  # noqa: E402
from marsad.outputs.report import build_report  # noqa: E402
from marsad.outputs.report.html import render  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="2GB", help="DuckDB memory limit")
    ap.add_argument("--bootstrap", type=int, default=500)
    ap.add_argument("--keep", type=Path, default=None, help="keep the workspace and report in this folder")
    ap.add_argument("--reuse", action="store_true", help="reuse the world already in --keep (skip simulation)")
    a = ap.parse_args()
    folder = a.keep or Path(tempfile.mkdtemp(prefix="marsad-census-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "census.duckdb"
    reuse = a.reuse and path.exists()
    if not reuse:
        path.unlink(missing_ok=True)
    ws = Workspace(path)
    ws.con.execute(f"SET threads = {a.threads}")
    ws.con.execute(f"SET memory_limit = '{a.memory}'")
    ws.con.execute(f"SET temp_directory = '{folder / 'tmp'}'")
    mean_posts = 20.0
    n_accounts = max(int(a.posts / 21.1), 100)
    em = ErrorModel.from_validation(*validation_set(600))
    pop = Population.make(lang="ar")
    rows = []

    def stage(name, fn):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        rows.append((name, dt, peak_rss_mib()))
        print(f"{name:<34} {dt:8.1f} s   peak RSS {peak_rss_mib():8.0f} MiB", flush=True)
        return out

    if reuse:
        info = {"posts": ws.con.execute("SELECT count(*) FROM posts").fetchone()[0],
                "accounts": ws.con.execute("SELECT count(*) FROM account_snapshots").fetchone()[0]}
        print("reusing the simulated world in", path)
    else:
        info = stage("simulate world (SQL)", lambda: build_world(ws, n_accounts, mean_posts, seed=1))
    print(f"  {info['posts']:,} posts, {info['accounts']:,} accounts", flush=True)
    b = a.bootstrap
    report = folder / "report.html"
    t0 = time.perf_counter()
    data = build_report(ws, pop, error_model=em, b=b)
    report.write_text(render(data), encoding="utf-8")
    t_report = time.perf_counter() - t0
    for name, dt in data.census.timings.items():
        rows.append((name, dt, None))
        print(f"  {name:<32} {dt:8.1f} s", flush=True)
    rest = t_report - sum(data.census.timings.values())
    print(f"  {'profile locations, network, HTML':<32} {rest:8.1f} s", flush=True)
    print(f"{'full report (marsad report)':<34} {t_report:8.1f} s   peak RSS {peak_rss_mib():8.0f} MiB", flush=True)
    t = data.census.get("country_posts")
    total = t_report
    ok = t.df[t.df["status"] == "ok"]
    truth = ws.df("""SELECT t.country, avg(t.supportive::INT) AS truth FROM synthetic_truth_posts t
                     JOIN stance_posts s USING (platform, post_id) WHERE s.lang = 'ar' GROUP BY 1""")
    d = ok.merge(truth, on="country")
    cover = ((d["truth"] >= d["ci_low"]) & (d["truth"] <= d["ci_high"])).mean()
    print(f"\ncensus + report (without simulation): {total:.1f} s; peak RSS {peak_rss_mib():.0f} MiB "
          f"({peak_rss_mib() / 1024:.2f} GiB)")
    print(f"countries ranked: {len(ok)}; truth inside the 95% interval: {cover:.0%}; mean abs error "
          f"{(d['share'] - d['truth']).abs().mean():.4f} (classify and count: {(d['cc'] - d['truth']).abs().mean():.4f})")
    print(f"report: {report} ({report.stat().st_size / 1024:.0f} KiB)")
    ws.close()


if __name__ == "__main__":
    main()
