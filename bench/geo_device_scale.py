"""Geo and device signals at census scale: N accounts (default 200,000) with profile locations written the way
marsad.simulate writes them, 5 posts per account on average (1% geotagged), then GeoSignal and DeviceSignal
run and written. Prints wall and CPU time per signal and the peak RSS.

    nice .venv/bin/python bench/geo_device_scale.py [N] [WORKSPACE]
"""
from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from marsad import Workspace  # noqa: E402
from marsad.signals.device import DeviceSignal  # noqa: E402
from marsad.signals.geo.signal import GeoSignal  # noqa: E402
from marsad.simulate.places import COUNTRY_INFO, location_string  # noqa: E402

SOURCES = ['<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
           "Twitter for iPhone", "Twitter Web Client", '<a href="https://ifttt.com" rel="nofollow">IFTTT</a>', None]


def build(ws: Workspace, n: int, seed: int = 3) -> int:
    rng = random.Random(seed)
    isos = sorted(COUNTRY_INFO)
    now = pd.Timestamp("2015-06-01", tz="UTC")
    locs = [location_string(rng, rng.choice(isos), rng.choice(["ar", "en"]), rng.random() < 0.3, empty=0.30,
                            joke=0.08, ambiguous=0.03, wilayah=0.35)[0] for _ in range(n)]
    acc = pd.DataFrame({"platform": "twitter", "account_id": [f"a{i}" for i in range(n)],
                        "handle": [f"h{i}" for i in range(n)], "location": locs, "first_observed": now,
                        "last_observed": now, "n_observations": 1, "dataset_id": "bench"})
    p = n * 5
    lat = [rng.uniform(15, 40) if rng.random() < 0.01 else None for _ in range(p)]
    posts = pd.DataFrame({"platform": "twitter", "post_id": [str(i) for i in range(p)],
                          "account_id": [f"a{rng.randrange(n)}" for _ in range(p)],
                          "source": [rng.choice(SOURCES) for _ in range(p)], "embedded": False, "created_at": now,
                          "dataset_id": "bench", "lat": lat,
                          "lon": [rng.uniform(30, 50) if la is not None else None for la in lat]})
    ws.con.register("_a", acc)
    ws.con.execute("INSERT INTO account_snapshots BY NAME SELECT * FROM _a")
    ws.con.register("_p", posts)
    ws.con.execute("INSERT INTO posts BY NAME SELECT * FROM _p")
    return p


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp()) / "geo_scale.duckdb"
    ws = Workspace(path)
    p = build(ws, n)
    print(f"{n:,} accounts, {p:,} posts in {path}")
    for sig in (GeoSignal(), DeviceSignal()):
        w, c = time.perf_counter(), time.process_time()
        rows = sig.run(ws)
        w1, c1 = time.perf_counter(), time.process_time()
        sig.write(ws, rows)
        print(f"{sig.name}: {len(rows):,} account rows; run {w1 - w:.1f}s wall / {c1 - c:.1f}s CPU, "
              f"write {time.perf_counter() - w1:.1f}s wall / {time.process_time() - c1:.1f}s CPU")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    ws.close()


if __name__ == "__main__":
    main()
