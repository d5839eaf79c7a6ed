"""Evaluate the country shares on a simulated world against its ground truth.

    .venv/bin/python bench/census_truth.py --accounts 3000 --days 30 [--out DIR] [--lang ar]
    .venv/bin/python bench/census_truth.py --world DIR          # a folder written by `marsad simulate`

Simulates (unless --world), ingests, runs the geo, device and stance signals, computes the share of supportive
posts per country with every method, and compares with the truth (DIR/truth/posts.csv ``supportive``) over the
same posts: the share among the posts placed in each country (so geo errors are not counted as quantification
errors; the share by true country is printed alongside). Prints, per method, the coverage of the 95% intervals and
the mean absolute error, and the table per country.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from marsad import Workspace  # noqa: E402
from marsad.census.common import Population, population_select  # noqa: E402
from marsad.census.shares import country_post_shares, find_error_model  # noqa: E402
from marsad.signals import all_signals  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", type=Path, help="an existing `marsad simulate` output folder")
    ap.add_argument("--accounts", type=int, default=3000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "census_truth")
    ap.add_argument("--lang", default=None, help="e.g. ar")
    ap.add_argument("--min-posts", type=int, default=100)
    ap.add_argument("--min-accounts", type=int, default=20)
    ap.add_argument("--error-model", type=Path, default=None, help="held-out error model JSON (default: shipped)")
    a = ap.parse_args()
    world = a.world
    if world is None:
        from typer.testing import CliRunner

        from marsad.cli import app

        world = a.out / "world"
        t0 = time.perf_counter()
        res = CliRunner().invoke(app, ["simulate", "--accounts", str(a.accounts), "--days", str(a.days), "--seed",
                                       str(a.seed), "--out", str(world), "--force"])
        if res.exit_code:
            sys.exit(f"simulate failed: {res.output}")
        print(f"simulated {world} in {time.perf_counter() - t0:.0f}s")
    ws_path = a.out / "truth.duckdb"
    ws_path.parent.mkdir(parents=True, exist_ok=True)
    ws_path.unlink(missing_ok=True)
    ws = Workspace(ws_path)
    t0 = time.perf_counter()
    ws.ingest(sorted(world.glob("tweets-r*.jsonl")) or sorted(world.glob("*.jsonl")))
    print(f"ingested {ws.con.execute('SELECT count(*) FROM posts').fetchone()[0]:,} posts in "
          f"{time.perf_counter() - t0:.0f}s")
    signals = all_signals()
    for name in ("geo", "device", "stance"):
        if name not in signals:
            sys.exit(f"signal {name!r} is not available yet")
        t0 = time.perf_counter()
        signals[name]().run_and_write(ws)
        print(f"signal {name}: {time.perf_counter() - t0:.0f}s")
    pop = Population.make(lang=a.lang)
    em = find_error_model(a.error_model, "post", pop.langs)
    print(f"error model: {em.summary() if em else None}")
    truth = pd.read_csv(world / "truth" / "posts.csv", dtype={"post_id": str, "country": str},
                        usecols=["post_id", "supportive", "country"])
    truth["supportive"] = truth["supportive"].astype(str).str.lower().eq("true")
    ws.con.register("_truth", truth)
    posts = population_select(ws, pop, with_post_id=True)
    placed = ws.df(f"""SELECT coalesce(x.country, '(no location)') AS country, avg(t.supportive::INT) AS truth,
                              count(*) AS n
                       FROM ({posts}) x JOIN _truth t USING (post_id) GROUP BY 1""")
    true_c = ws.df(f"""SELECT t.country, avg(t.supportive::INT) AS truth_by_true_country
                       FROM ({posts}) x JOIN _truth t USING (post_id) GROUP BY 1""")
    rows, show = [], None
    if True:
        for method in ("cc", "pcc", "acc", "pacc", "sld"):
            try:
                t = country_post_shares(ws, pop, error_model=em, method=method, min_posts=a.min_posts,
                                        min_accounts=a.min_accounts)
            except Exception as e:  # noqa: BLE001 - a method without error rates is reported, not fatal
                print(f"{method}: {e}")
                continue
            d = t.df[t.df["status"] == "ok"].merge(placed, on="country")
            cover = ((d["truth"] >= d["ci_low"]) & (d["truth"] <= d["ci_high"])).mean()
            rows.append({"method": method, "countries": len(d), "coverage": round(cover, 3),
                         "mae": round((d["share"] - d["truth"]).abs().mean(), 4)})
            if method == "pacc" or (method == "cc" and em is None):
                show = d.merge(true_c, on="country", how="left")[
                    ["country", "posts", "accounts", "share", "ci_low", "ci_high", "cc", "truth",
                     "truth_by_true_country"]]
    print(pd.DataFrame(rows).to_string(index=False))
    if show is not None:
        print(show.round(3).to_string(index=False))
    ws.close()


if __name__ == "__main__":
    main()
