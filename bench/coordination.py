"""Benchmark: marsad's coordination networks vs QUT's coordination-network-toolkit (CNT) on 1M and 10M posts.

Inputs are made from the real IRA subset (../shared/data/ira-troll-tweets-538-subset): copy k of its 336,641
collected posts gets its own accounts (``<id>~k``) and post ids and is shifted by k x 3 hours; items (retweeted
texts, links, hashtags, texts) are kept, so a bigger input has denser items, as a longer collection would. Both
tools get the same posts: CNT reads marsad's CNT CSV (``marsad.coordination.compat``), so the co-retweet, co-link and
co-reply items are the same strings; the script checks the edge sets are identical when both finish.

    nice .venv/bin/python bench/coordination.py --sizes 1000000,10000000 --cnt-python bench/.venv-cnt/bin/python

Prints, per size and tool, wall seconds and peak RSS of the whole process tree (CNT runs worker processes), and
updates bench/out/coordination.json: rows are matched by input size, a marsad run is stored under ``--label``
(with its CPU seconds and the load average before and after) and figures not rerun (CNT's) are kept. CNT runs
under a time limit (``--cnt-time-limit``); when it is hit the report says which networks it had finished.
CNT's co-similarity compares every pair of posts within the window in Python (no bucketing by content), so it is
run last and only with --cnt-cotext.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
IRA = REPO.parent / "shared" / "data" / "ira-troll-tweets-538-subset" / "ira_tweets_selected.csv.gz"
SHIFT_SECONDS = 3 * 3600


def sample_rss(proc: subprocess.Popen, out: dict) -> None:
    """Track the peak total RSS of proc and its descendants until it exits."""
    peak = 0
    try:
        p = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                total = p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))
            except psutil.Error:
                total = 0
            peak = max(peak, total)
            time.sleep(0.2)
    except psutil.Error:
        pass
    out["peak_rss_mb"] = round(peak / 2**20, 1)


def run_measured(cmd: list[str], timeout: float | None = None, env: dict | None = None) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    mem: dict = {}
    th = threading.Thread(target=sample_rss, args=(proc, mem), daemon=True)
    th.start()
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, 9)
        stdout, stderr = proc.communicate()
    th.join()
    res = {"seconds": round(time.perf_counter() - t0, 1), "timed_out": timed_out, "returncode": proc.returncode,
           **mem}
    last = [line for line in (stdout or "").splitlines() if line.startswith("{")]
    if last:
        res.update(json.loads(last[-1]))
    if proc.returncode not in (0, None) and not timed_out:
        res["stderr"] = (stderr or "")[-2000:]
    return res


def ira_workspace(workdir: Path) -> Path:
    path = workdir / "ira.duckdb"
    if not path.exists():
        from marsad import Workspace

        with Workspace(path) as ws:
            ws.ingest([IRA], source="IRA subset for the coordination benchmark")
    return path


def replicated_workspace(workdir: Path, n: int) -> Path:
    """A workspace of round(n / 336,641) copies of the IRA posts (see module doc)."""
    from marsad import Workspace

    path = workdir / f"ws_{n}.duckdb"
    if path.exists():
        return path
    src = ira_workspace(workdir)
    tmp = path.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    with Workspace(tmp) as ws:
        ws.con.execute(f"ATTACH '{src}' AS ira (READ_ONLY)")
        base = ws.con.execute("SELECT count(*) FROM ira.posts WHERE NOT embedded").fetchone()[0]
        copies = max(1, round(n / base))
        ws.con.execute(
            f"""INSERT INTO posts SELECT p.* REPLACE (
                  post_id || '~' || k AS post_id, account_id || '~' || k AS account_id,
                  account_handle || '~' || k AS account_handle,
                  created_at + to_seconds(k * {SHIFT_SECONDS}) AS created_at)
                FROM (SELECT * FROM ira.posts WHERE NOT embedded) p, range({copies}) r(k)"""
        )
        ws.con.execute(
            f"""INSERT INTO account_snapshots SELECT a.* REPLACE (account_id || '~' || k AS account_id,
                  handle || '~' || k AS handle) FROM ira.account_snapshots a, range({copies}) r(k)"""
        )
        ws.con.execute("DETACH ira")
        ws.con.execute("CHECKPOINT")
    tmp.rename(path)
    return path


MARSAD_RUN = """
import json, os, resource, sys, time
from marsad import Workspace
from marsad.coordination import BuildParams, build
ws = Workspace(sys.argv[1])
if sys.argv[5]:
    ws.con.execute(f"SET memory_limit = '{sys.argv[5]}'")
load = list(os.getloadavg())
t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
r = build(ws, BuildParams(window=float(sys.argv[2]), min_weight=int(sys.argv[3]),
                          behaviours=tuple(sys.argv[4].split(','))))
r1 = resource.getrusage(resource.RUSAGE_SELF)
out = {"build_seconds": round(time.perf_counter() - t0, 1), "load_avg_before": load,
       "cpu_seconds": round(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, 1),
       "threads": ws.con.execute("SELECT current_setting('threads')").fetchone()[0]}
for row in r.per_behaviour:
    out[row["behaviour"] + "_seconds"] = row["seconds"]
    out[row["behaviour"] + "_edges"] = row["edges"]
    out[row["behaviour"] + "_capped"] = row["capped_buckets"]
print(json.dumps(out))
"""


def compare(ws_path: Path, cnt_dir: Path, min_weight: int) -> dict:
    """Directed edge sets (with weights) of marsad and CNT, per behaviour both computed."""
    import pandas as pd

    from marsad import Workspace

    out = {}
    with Workspace(ws_path, read_only=True) as ws:
        for ours, theirs in (("corepost", "co_retweet"), ("colink", "co_link"), ("coreply", "co_reply")):
            f = cnt_dir / f"{theirs}.csv"
            if not f.exists():
                continue
            e = ws.df("SELECT account_a, account_b, weight_ab, weight_ba FROM coord_edges WHERE behaviour = ?",
                      [ours])
            mine = {(a, b, int(w)) for a, b, w in zip(e.account_a, e.account_b, e.weight_ab) if w >= min_weight}
            mine |= {(b, a, int(w)) for a, b, w in zip(e.account_a, e.account_b, e.weight_ba) if w >= min_weight}
            c = pd.read_csv(f, dtype=str, keep_default_na=False)
            theirs_set = {(a, b, int(w)) for a, b, w in zip(c.user_1, c.user_2, c.weight)}
            out[ours] = {"marsad": len(mine), "cnt": len(theirs_set), "identical": mine == theirs_set}
    return out


def merge_results(path: Path, results: list[dict], label: str) -> list[dict]:
    """Earlier results in ``path`` updated with this run's: rows matched by input size (within 1%), this run's
    marsad figures stored under ``label``, everything else (e.g. CNT's figures when CNT was skipped) kept."""
    old = json.loads(path.read_text()) if path.exists() else []
    for r in results:
        r = dict(r)
        if "marsad" in r and label != "marsad":
            r[label] = r.pop("marsad")
        match = next((o for o in old if abs(o.get("posts", 0) - r["posts"]) <= 0.01 * r["posts"]), None)
        if match is None:
            old.append(r)
        else:
            match.update({k: v for k, v in r.items() if k != "posts"})
    return sorted(old, key=lambda o: o.get("posts", 0))


def main() -> None:
    ap = argparse.ArgumentParser(description="coordination benchmark: marsad vs coordination-network-toolkit")
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--workdir", default=os.environ.get("MARSAD_BENCH_DIR", tempfile.gettempdir() + "/marsad-coord"))
    ap.add_argument("--window", type=float, default=60)
    ap.add_argument("--min-weight", type=int, default=2)
    ap.add_argument("--behaviours", default="corepost,colink,cohashtag,coreply,cotext")
    ap.add_argument("--cnt-python", default=str(REPO / "bench" / ".venv-cnt" / "bin" / "python"))
    ap.add_argument("--cnt-behaviours", default="co_retweet,co_link,co_reply")
    ap.add_argument("--cnt-cotext", action="store_true", help="also run CNT's co_similar_tweet (very slow)")
    ap.add_argument("--cnt-time-limit", type=float, default=3600)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit for marsad ('' = DuckDB default)")
    ap.add_argument("--skip", default="", help="comma list: marsad,cnt")
    ap.add_argument("--label", default="marsad",
                    help="key of this marsad run in the JSON (earlier runs under other keys are kept)")
    ap.add_argument("--parallel", action="store_true",
                    help="run marsad and CNT at the same time (saves wall time; both share the CPU)")
    a = ap.parse_args()
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, a.skip.split(",")))
    results = []
    for n in [int(s) for s in a.sizes.split(",")]:
        t0 = time.perf_counter()
        ws_path = replicated_workspace(workdir, n)
        from marsad import Workspace

        with Workspace(ws_path, read_only=True) as ws:
            n_posts = ws.con.execute("SELECT count(*) FROM posts").fetchone()[0]
        print(f"[{n_posts:,} posts] workspace ready ({time.perf_counter() - t0:.0f}s): {ws_path}", flush=True)
        row: dict = {"posts": n_posts}
        jobs: dict[str, threading.Thread] = {}
        if "marsad" not in skip:
            def run_marsad() -> None:
                row["marsad"] = run_measured([sys.executable, "-c", MARSAD_RUN, str(ws_path), str(a.window),
                                              str(a.min_weight), a.behaviours, a.memory_limit])
                row["marsad"].update(behaviours=a.behaviours, load_avg_after=list(os.getloadavg()))
                print(f"[{n:,}] marsad: {json.dumps(row['marsad'])}", flush=True)

            jobs["marsad"] = threading.Thread(target=run_marsad)
            jobs["marsad"].start()
            if not a.parallel:
                jobs["marsad"].join()
        cnt_dir = workdir / f"cnt_{n}"
        if "cnt" not in skip:
            from marsad.coordination.compat import write_cnt_csv

            csv_path = workdir / f"cnt_{n}.csv"
            if not csv_path.exists():
                with Workspace(ws_path, read_only=True) as ws:
                    write_cnt_csv(ws, csv_path)
            behaviours = a.cnt_behaviours + (",co_similar_tweet" if a.cnt_cotext else "")

            def run_cnt() -> None:
                row["cnt"] = run_measured(
                    [a.cnt_python, "-c",
                     "import json,sys; sys.path.insert(0, sys.argv[1]); import cnt_run; "
                     "print(json.dumps(cnt_run.run(sys.argv[2], sys.argv[3], sys.argv[4].split(','),"
                     " float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), progress=True)))",
                     str(REPO / "bench"), str(csv_path), str(cnt_dir), behaviours, str(a.window),
                     str(a.min_weight), str(a.threads)],
                    timeout=a.cnt_time_limit,
                )
                progress_file = cnt_dir / "progress.json"
                if progress_file.exists():
                    row["cnt"]["finished"] = json.loads(progress_file.read_text())
                print(f"[{n:,}] cnt: {json.dumps(row['cnt'])}", flush=True)

            jobs["cnt"] = threading.Thread(target=run_cnt)
            jobs["cnt"].start()
        for j in jobs.values():
            j.join()
        if "marsad" in row and "cnt" in row and not row["marsad"].get("returncode"):
            row["same_edges"] = compare(ws_path, cnt_dir, a.min_weight)
            print(f"[{n:,}] same edges: {json.dumps(row['same_edges'])}", flush=True)
        results.append(row)
    out = REPO / "bench" / "out" / "coordination.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merge_results(out, results, a.label), indent=1))
    print(f"\n{'posts':>12} {'tool':>7} {'seconds':>9} {'peak RSS MB':>12}  notes")
    for r in results:
        for tool in ("marsad", "cnt"):
            if tool in r:
                x = r[tool]
                note = "TIME LIMIT; finished: " + ", ".join(x.get("finished", {}).get("done", [])) if x.get(
                    "timed_out") else ""
                print(f"{r['posts']:>12,} {tool:>7} {x['seconds']:>9} {x.get('peak_rss_mb', 0):>12}  {note}")
        if "marsad" in r and "cnt" in r and not r["cnt"].get("timed_out"):
            print(f"{'':>12} speed-up x{r['cnt']['seconds'] / max(r['marsad']['seconds'], 1e-9):.1f}")
        elif "marsad" in r and "cnt" in r:
            print(f"{'':>12} speed-up > x{r['cnt']['seconds'] / max(r['marsad']['seconds'], 1e-9):.1f} "
                  "(CNT stopped at the time limit)")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
