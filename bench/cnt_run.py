"""Run QUT's coordination-network-toolkit (CNT) on a CSV in its input layout and dump its edges.

Runs under any interpreter that has ``coordination_network_toolkit`` installed (the benchmark virtualenv
``bench/.venv-cnt`` or the main one with the test extra); it does not import marsad.

    python bench/cnt_run.py INPUT.csv WORKDIR --window 60 --min-weight 2 --behaviours co_retweet,co_link,co_reply

Empty URL strings are dropped before CNT sees them: CNT's own CSV loader turns an empty ``urls`` cell into the URL
"" (``"".split(" ")``), which would join every post without a link to every other. Prints one JSON line with the
seconds spent loading and on each network; edges go to WORKDIR/<behaviour>.csv (user_1, user_2, weight; no loops).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import sys
import time

COMPUTE = {
    "co_retweet": lambda cn, db, w, m, n: cn.compute_co_retweet_parallel(db, w, n_threads=n, min_edge_weight=m),
    "co_link": lambda cn, db, w, m, n: cn.compute_co_link_network(db, w, n_threads=n, min_edge_weight=m),
    "co_reply": lambda cn, db, w, m, n: cn.compute_co_reply_network(db, w, min_edge_weight=m, n_threads=n),
    "co_tweet": lambda cn, db, w, m, n: cn.compute_co_tweet_network(db, w, min_edge_weight=m, n_threads=n),
    # CNT's plain Jaccard divides by zero on posts with no tokens (only a mention or a link), which aborts the
    # run on real data; its MinDocSizeSimilarity (the --min_document_size_similarity option) skips posts with
    # fewer than 5 tokens, as marsad's text_min_tokens does
    "co_similar_tweet": lambda cn, db, w, m, n: cn.compute_co_similar_tweet(
        db, w, n_threads=n, min_edge_weight=m, similarity_threshold=0.8,
        similarity_function=_min_doc_size(5)),
}


def _min_doc_size(n: int):
    from coordination_network_toolkit.similarity import MinDocSizeSimilarity

    return MinDocSizeSimilarity(n)


def rows(path: str):
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        for row in reader:
            yield (*row[:-1], [u for u in row[-1].split(" ") if u])


def run(csv_path: str, workdir: str, behaviours: list[str], window: float, min_weight: int, threads: int,
        quiet: bool = True, progress: bool = False) -> dict:
    """Load the CSV into CNT's SQLite database and compute each network; with ``progress`` the networks done so
    far are written to WORKDIR/progress.json as they finish (read back when a time limit stops the run)."""
    import coordination_network_toolkit.compute_networks as cn
    from coordination_network_toolkit.preprocess import preprocess_data

    os.makedirs(workdir, exist_ok=True)
    db = os.path.join(workdir, "cnt.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    out: dict = {}
    stdout = sys.stdout
    if quiet:
        sys.stdout = open(os.devnull, "w")
    try:
        t0 = time.perf_counter()
        preprocess_data(db, rows(csv_path))
        out["load_seconds"] = time.perf_counter() - t0
        done: list[str] = []
        if progress:
            _progress(workdir, done, out)
        for b in behaviours:
            t0 = time.perf_counter()
            COMPUTE[b](cn, db, window, min_weight, threads)
            out[f"{b}_seconds"] = time.perf_counter() - t0
            con = sqlite3.connect(db)
            with open(os.path.join(workdir, f"{b}.csv"), "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["user_1", "user_2", "weight"])
                w.writerows(con.execute(f"SELECT user_1, user_2, weight FROM {b}_network WHERE user_1 != user_2"))
            out[f"{b}_edges"] = con.execute(
                f"SELECT count(*) FROM {b}_network WHERE user_1 != user_2").fetchone()[0]
            con.close()
            done.append(b)
            if progress:
                _progress(workdir, done, out)
    finally:
        if quiet:
            sys.stdout.close()
            sys.stdout = stdout
    return out


def _progress(workdir: str, done: list[str], out: dict) -> None:
    with open(os.path.join(workdir, "progress.json"), "w") as f:
        json.dump({"done": done, **out}, f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("workdir")
    ap.add_argument("--window", type=float, default=60)
    ap.add_argument("--min-weight", type=int, default=2)
    ap.add_argument("--behaviours", default="co_retweet,co_link,co_reply")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    res = run(a.csv, a.workdir, a.behaviours.split(","), a.window, a.min_weight, a.threads)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
