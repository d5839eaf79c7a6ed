"""Location resolution measured on hand-labelled real profile strings (tests/data/geo_handlabels.csv).

Strata: "dev-*" strings (403) were labelled first and then used to develop the rules (their errors were read);
"holdout" strings (120, drawn afterwards from the strings not yet labelled, v2 datasets only since the Kaggle and
TAGS strings were all in the dev set) were labelled before the resolver was run on them and never used for
tuning: their figures are the honest estimate.

Labels: an ISO country code, NONE (not a place, or not resolvable to anything) or MULTI (names places in several
countries, or a disputed area: the resolver should abstain). Precision is over the answers given; coverage is
the share of strings that name a single-country place that got an answer; recall is the share answered
correctly. Also prints the confusions and the speed of resolving distinct strings (cold, no cache) and a
census-like stream with repeats (cached).

    .venv/bin/python bench/geo_eval.py [--show-all]
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from marsad.signals.device import wilson  # noqa: E402
from marsad.signals.geo.gazetteer import gazetteer  # noqa: E402
from marsad.signals.geo.resolve import Resolver  # noqa: E402


def evaluate(labels: pd.DataFrame, resolver: Resolver) -> tuple[pd.DataFrame, dict[str, float]]:
    res = [resolver.location(s) for s in labels["location"]]
    df = labels.copy()
    df["answer"] = [r.country for r in res]
    df["method"] = [r.method for r in res]
    df["ambiguous"] = [r.ambiguous for r in res]
    place = df["country"].str.len() == 2
    answered = df["answer"].notna()
    correct = answered & (df["answer"] == df["country"])
    lo_p, hi_p = wilson(int(correct.sum()), int(answered.sum()))
    lo_c, hi_c = wilson(int((answered & place).sum()), int(place.sum()))
    m = {
        "strings": len(df),
        "place_strings": int(place.sum()),
        "answered": int(answered.sum()),
        "precision": float(correct.sum() / max(1, answered.sum())),
        "coverage": float((answered & place).sum() / max(1, place.sum())),
        "recall": float((correct & place).sum() / max(1, place.sum())),
        "precision_ci": f"{lo_p:.3f}-{hi_p:.3f}",
        "coverage_ci": f"{lo_c:.3f}-{hi_c:.3f}",
        "false_answers_on_NONE": int((answered & (df["country"] == "NONE")).sum()),
        "false_answers_on_MULTI": int((answered & (df["country"] == "MULTI")).sum()),
    }
    return df, m


def main() -> None:
    labels = pd.read_csv(REPO / "tests" / "data" / "geo_handlabels.csv", dtype=str, keep_default_na=False)
    t0 = time.perf_counter()
    g = gazetteer()
    t_load = time.perf_counter() - t0
    resolver = Resolver(g)
    df, m = evaluate(labels, resolver)
    print(f"gazetteer load: {t_load:.2f}s, {len(g.names):,} names")
    print("overall: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items()))
    for st, part in labels.groupby(labels["stratum"].str.replace("-non-latin-script", "").str.replace("-random", "")):
        _, mm = evaluate(part, Resolver(g))
        print(f"  stratum {st}: n={mm['strings']}, place={mm['place_strings']}, precision={mm['precision']:.3f} "
              f"({mm['precision_ci']}), coverage={mm['coverage']:.3f} ({mm['coverage_ci']}), recall={mm['recall']:.3f}")
    for ds, part in labels.groupby("dataset"):
        _, mm = evaluate(part, Resolver(g))
        print(f"  {ds}: n={mm['strings']}, place={mm['place_strings']}, precision={mm['precision']:.3f}, "
              f"coverage={mm['coverage']:.3f}, recall={mm['recall']:.3f}")
    wrong = df[df["answer"].notna() & (df["answer"] != df["country"])]
    print(f"\nwrong answers ({len(wrong)}):")
    for r in wrong.itertuples():
        print(f"  {r.location!r:45.45} label={r.country:5} answer={r.answer} ({r.method})")
    missed = df[df["answer"].isna() & (df["country"].str.len() == 2)]
    print(f"\nabstained on a place ({len(missed)}):")
    for r in missed.itertuples():
        print(f"  {r.location!r:45.45} label={r.country:5} method={r.method}")
    print("\nmethods of answers:", df[df["answer"].notna()]["method"].value_counts().to_dict())
    if "--show-all" in sys.argv:
        print(df.to_string())

    # speed 1: distinct strings, no cache hits (the hand-labelled strings, each with 60 numeric suffixes)
    pool = labels["location"].tolist()
    distinct = [f"{s} {i}" if i else s for i in range(60) for s in pool]
    cold = Resolver(g)
    w0, c0 = time.perf_counter(), time.process_time()
    for s in distinct:
        cold.location(s)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"\nspeed, {len(distinct):,} distinct strings (no cache hits): {len(distinct) / wall:,.0f} strings/s wall, "
          f"{len(distinct) / cpu:,.0f} strings/s CPU")
    # speed 2: a census of 200,000 accounts whose profiles are written the way marsad.simulate writes them
    # (30% empty, jokes, wilayat, cities, countries, flags, multi-place; Arabic and English), cache by string
    try:
        from marsad.simulate.places import COUNTRY_INFO, location_string
    except ImportError:
        return
    rng = random.Random(7)
    isos = sorted(COUNTRY_INFO)
    stream = [location_string(rng, rng.choice(isos), rng.choice(["ar", "en", "en"]), rng.random() < 0.3,
                              empty=0.30, joke=0.08, ambiguous=0.03, wilayah=0.35)[0] for _ in range(200_000)]
    warm = Resolver(g)
    w0, c0 = time.perf_counter(), time.process_time()
    out = warm.locations(stream)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"speed, 200,000 simulated profiles ({len(set(stream)):,} distinct strings), cached by string: "
          f"{len(stream) / wall:,.0f} strings/s wall, {len(stream) / cpu:,.0f} strings/s CPU; "
          f"{sum(r.country is not None for r in out) / len(out):.1%} located")
    t0 = time.perf_counter()
    x = 0
    for i in range(10_000_000):
        x += i
    print(f"(machine speed reference: a 10M-iteration Python loop took {time.perf_counter() - t0:.2f}s wall; "
          f"~0.35s on an idle modern core)")


if __name__ == "__main__":
    main()
