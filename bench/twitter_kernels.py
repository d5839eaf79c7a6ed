"""Per-core speed of the Twitter JSON kernels (JSONL line -> Parsed/Rejected), without the rest of ingest.

    .venv/bin/python bench/twitter_kernels.py [--seconds 3]

Runs each reader's ``parse_line`` over the real sample lines (v1.1 original format + public API sample, Gnip
activity streams, twarc2 flattened tweets and pages) in one process, and prints tweets/s, the bytes per tweet,
and how much of the time is JSON decoding alone (orjson) -- so the figure can be compared with the target of
40,000 v1.1 tweets/s per core. The machine's load average is printed too: other processes slow every figure.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import orjson

from marsad.readers.gnip import GnipActivityReader
from marsad.readers.twitter_v1 import TwitterV1Reader
from marsad.readers.twitter_v2 import TwitterV2Reader

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
V1 = DATA / "twitter-api-v1-samples-tweet-parser" / "tweet_payload_examples"
V2 = DATA / "twitter-api-v2-samples-twarc-csv" / "test-data"


def lines(*paths: Path) -> list[bytes]:
    return [x for p in paths for x in p.read_bytes().split(b"\n") if x.strip()]


def run(label: str, kernel, data: list[bytes], seconds: float) -> None:
    n_tweets = sum(len(kernel(x, 1, {})) for x in data)  # records per pass
    nbytes = sum(map(len, data))
    best = best_json = float("inf")
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:  # best of several passes: the least disturbed by other processes
        t0 = time.perf_counter()
        for i, x in enumerate(data):
            kernel(x, i, {})
        best = min(best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for x in data:
            orjson.loads(x)
        best_json = min(best_json, time.perf_counter() - t0)
    print(f"{label:38s} {n_tweets / best:>9,.0f} records/s  {nbytes / n_tweets:>7,.0f} B/record  "
          f"orjson.loads alone {n_tweets / best_json:>9,.0f}/s ({best_json / best:.0%} of the time)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()}, {os.cpu_count()} cores; one process")
    v1 = lines(V1 / "original_format_examples.json", V1 / "broken_and_unsupported_payloads" / "public_api_sample.json")
    plain = [x for x in v1 if b'"retweeted_status"' not in x and b'"quoted_status"' not in x]
    run("v1.1 all samples (RT/quote embedded)", TwitterV1Reader.parse_line, v1, args.seconds)
    run("v1.1 plain tweets only", TwitterV1Reader.parse_line, plain, args.seconds)
    run("gnip activity streams", GnipActivityReader.parse_line, lines(V1 / "activity_streams_examples.json"),
        args.seconds)
    run("v2 twarc2 flattened tweets", TwitterV2Reader.parse_line, lines(V2 / "flat.jsonl"), args.seconds)
    run("v2 twarc2 pages (per tweet)", TwitterV2Reader.parse_line, lines(V2 / "2sets.jsonl", V2 / "kpop.jsonl"),
        args.seconds)


if __name__ == "__main__":
    main()
