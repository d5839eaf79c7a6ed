"""Ingest benchmark: a large Twitter API v1.1 JSONL built from real sample tweets, ingested into a fresh workspace.

    .venv/bin/python bench/ingest.py [--tweets 2000000] [--out bench/out]

The file is made by re-identifying the real v1.1 sample tweets in ../shared/data/twitter-api-v1-samples-tweet-parser
(new tweet ids, users drawn from a pool of 50,000, timestamps spread over Sept-Dec 2014, retweeted and quoted
originals re-identified too). The script prints tweets/s, MB/s and peak RSS of the whole process tree (workers
included), DuckDB's own read_json on the same file as a reference, and one worker's rate on one core with the
Python and the native v1.1 kernels.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import threading
import time
from pathlib import Path

import orjson
import psutil

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "twitter-api-v1-samples-tweet-parser" / "tweet_payload_examples"
EPOCH = 1409529600  # 2014-09-01
SPAN = 120 * 86400


class PeakRSS:
    """Samples the RSS of this process and all its children every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me] + me.children(recursive=True):
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self) -> "PeakRSS":
        self._t.start()
        return self

    def __exit__(self, *a) -> None:
        self._stop.set()
        self._t.join()


def _templates() -> list[str]:
    """Real tweets serialised with their identifiers replaced by placeholders ("@@<tag><kind>@@")."""
    out = []
    files = (SAMPLES / "original_format_examples.json", SAMPLES / "broken_and_unsupported_payloads/public_api_sample.json")
    for fn in files:
        for line in fn.read_text(encoding="utf-8").splitlines():
            t = orjson.loads(line)
            if "user" not in t or "id_str" not in t:
                continue

            def reid(tw: dict, tag: str) -> None:
                tw["id"], tw["id_str"], tw["created_at"] = f"@@{tag}NID@@", f"@@{tag}ID@@", f"@@{tag}TS@@"
                u = tw["user"]
                u["id"], u["id_str"], u["screen_name"] = f"@@{tag}NUID@@", f"@@{tag}UID@@", f"@@{tag}SN@@"
                for k in ("retweeted_status", "quoted_status"):
                    if isinstance(tw.get(k), dict) and "user" in tw[k]:
                        reid(tw[k], tag + k[0].upper())

            reid(t, "")
            out.append(orjson.dumps(t).decode())
    return out


_PH = re.compile(r'"@@([RQ]*)(NID|ID|NUID|UID|TS|SN)@@"')


def build(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    templates = _templates()
    t0 = time.perf_counter()
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            vals: dict[str, str] = {}

            def value(tag: str, kind: str) -> str:
                key = tag + kind
                if key not in vals:
                    if kind == "ID":
                        vals[key] = str(600_000_000_000_000_000 + i * 8 + len(tag) * 2 + tag.count("Q"))
                    elif kind == "UID":
                        vals[key] = str(10_000 + rnd.randrange(50_000))
                    elif kind == "SN":
                        vals[key] = "user" + value(tag, "UID")
                    else:  # TS
                        vals[key] = time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(EPOCH + rnd.randrange(SPAN)))
                return vals[key]

            def sub(m: re.Match) -> str:
                tag, kind = m.group(1), m.group(2)
                if kind.startswith("N"):  # numeric twin of an id string
                    return value(tag, kind[1:])
                return '"' + value(tag, kind) + '"'

            f.write(_PH.sub(sub, templates[i % len(templates)]) + "\n")
            if i and i % 200_000 == 0:
                print(f"  built {i:,} tweets ({f.tell() / 1e9:.2f} GB, {time.perf_counter() - t0:.0f}s)", flush=True)


def kernel_rates(path: Path, n: int = 100_000) -> None:
    """One worker's path (read, kernel, staging) over the first ``n`` tweets on one core, CPU time: the Python
    kernel alone (MARSAD_NATIVE=0) and with the native v1.1 kernel."""
    import tempfile

    import marsad.workspace.ingest as ingest
    from marsad.readers.twitter_v1 import TwitterV1Reader

    with open(path, "rb") as f:
        end = sum(len(f.readline()) for _ in range(n))
    rates = {}
    for native in ("0", "1"):
        os.environ["MARSAD_NATIVE"] = native
        with tempfile.TemporaryDirectory() as d:
            t0 = time.process_time()
            counts = ingest._parse_range((TwitterV1Reader, str(path), {}, 0, end, 1, d, "c0-"))
            rates[native] = counts.n_read / (time.process_time() - t0)
    os.environ.pop("MARSAD_NATIVE")
    print(f"one worker on one core, first {n:,} tweets (read, kernel, staging; CPU time): Python kernel "
          f"{rates['0']:,.0f} tweets/s, native kernel {rates['1']:,.0f} tweets/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tweets", type=int, default=2_000_000)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    ap.add_argument("--skip-duckdb", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / f"v1_{args.tweets}.jsonl"
    if not data.exists():
        print(f"building {data} ...", flush=True)
        build(data, args.tweets)
    size = data.stat().st_size
    print(f"input: {data} - {args.tweets:,} tweets, {size / 1e9:.2f} GB; load: {os.getloadavg()}")

    from marsad import Workspace

    wpath = args.out / "bench_ingest.duckdb"
    for p in (wpath, Path(str(wpath) + ".wal")):
        p.unlink(missing_ok=True)
    with PeakRSS() as rss:
        t0 = time.perf_counter()
        with Workspace(wpath) as ws:
            (r,) = ws.ingest([data])
        dt = time.perf_counter() - t0
    assert r.n_read == r.n_loaded + r.n_duplicate + r.n_quarantined
    print(f"marsad ingest: {r.n_read:,} read, {r.n_loaded:,} loaded, {r.n_embedded:,} embedded originals, "
          f"{r.n_quarantined:,} quarantined in {dt:.1f}s -> {r.n_read / dt:,.0f} tweets/s, "
          f"{size / 1e6 / dt:,.0f} MB/s; peak RSS (process tree) {rss.peak / 2**20:,.0f} MiB")
    print(f"  phases (s): {r.phases}; CPU of this process and its workers: "
          f"{sum(os.times()[:4]):.0f} s; load average now: {os.getloadavg()}")
    if not args.skip_duckdb:
        import duckdb

        with PeakRSS() as rss2:
            t0 = time.perf_counter()
            con = duckdb.connect()
            n = con.execute(
                f"""CREATE TABLE t AS SELECT id_str, created_at, text, source, "user".screen_name AS handle
                FROM read_json('{data}', format='newline_delimited', ignore_errors=true,
                               maximum_object_size=104857600)"""
            ).fetchone()[0]
            dd = time.perf_counter() - t0
        print(f"duckdb read_json (5 columns, no nesting, no quarantine): {n:,} rows in {dd:.1f}s -> "
              f"{n / dd:,.0f} rows/s; peak RSS {rss2.peak / 2**20:,.0f} MiB; marsad/duckdb time ratio {dt / dd:.2f}")
    kernel_rates(data)


if __name__ == "__main__":
    sys.exit(main())
