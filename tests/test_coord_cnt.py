"""Side by side with QUT's coordination-network-toolkit (CNT): on the same input, the co-retweet, co-link and
co-reply edge sets (directed, with weights) are identical at the same window and minimum weight.

CNT is a test-only dependency (``coordination-network-toolkit==1.5.2``); without it these tests are skipped."""
from __future__ import annotations

import csv
import gzip
import io
import shutil
import sqlite3
from contextlib import redirect_stdout

import numpy as np
import pytest

from coord_world import Posts
from marsad.coordination import BuildParams, build
from marsad.coordination.compat import cnt_rows, write_cnt_csv

cn = pytest.importorskip("coordination_network_toolkit.compute_networks")
from coordination_network_toolkit.preprocess import preprocess_data  # noqa: E402

PAIRS = (("corepost", "co_retweet"), ("colink", "co_link"), ("coreply", "co_reply"))


def run_cnt(csv_path, db_path, window, min_weight) -> dict[str, set]:
    with redirect_stdout(io.StringIO()):
        preprocess_data(str(db_path), cnt_rows(csv_path))
        cn.compute_co_retweet_parallel(str(db_path), window, n_threads=1, min_edge_weight=min_weight)
        cn.compute_co_link_network(str(db_path), window, n_threads=1, min_edge_weight=min_weight)
        cn.compute_co_reply_network(str(db_path), window, min_edge_weight=min_weight, n_threads=1)
    con = sqlite3.connect(db_path)
    out = {b: {(a, c, int(w)) for a, c, w in con.execute(f"SELECT user_1, user_2, weight FROM {b}_network "
                                                         "WHERE user_1 != user_2")}
           for _, b in PAIRS}
    con.close()
    return out


def marsad_directed(ws, behaviour, min_weight) -> set:
    e = ws.df("SELECT account_a, account_b, weight_ab, weight_ba FROM coord_edges WHERE behaviour = ?", [behaviour])
    s = {(a, b, int(w)) for a, b, w in zip(e.account_a, e.account_b, e.weight_ab) if w >= min_weight}
    return s | {(b, a, int(w)) for a, b, w in zip(e.account_a, e.account_b, e.weight_ba) if w >= min_weight}


def compare(ws, tmp_path, window, min_weight) -> dict[str, tuple[int, int]]:
    csv_path = tmp_path / f"cnt-{window}-{min_weight}.csv"
    write_cnt_csv(ws, csv_path)
    theirs = run_cnt(csv_path, tmp_path / f"cnt-{window}-{min_weight}.db", window, min_weight)
    build(ws, BuildParams(window=window, min_weight=min_weight, behaviours=tuple(b for b, _ in PAIRS)))
    sizes = {}
    for ours, cnt_name in PAIRS:
        mine = marsad_directed(ws, ours, min_weight)
        assert mine == theirs[cnt_name], (ours, sorted(mine ^ theirs[cnt_name])[:10])
        sizes[ours] = (len(mine), len(theirs[cnt_name]))
    return sizes


@pytest.fixture(scope="module")
def ira_month(shared_data, tmp_path_factory):
    """1-9 December 2016 of the real IRA subset (about 10k tweets), ingested with its authors file."""
    from marsad import Workspace

    src = shared_data / "ira-troll-tweets-538-subset"
    d = tmp_path_factory.mktemp("ira")
    shutil.copy(src / "bet4a_authors.csv", d / "bet4a_authors.csv")
    with gzip.open(src / "ira_tweets_selected.csv.gz", "rt", encoding="utf-8", newline="") as f, \
            open(d / "ira_2016_12.csv", "w", encoding="utf-8", newline="") as out:
        r, w = csv.reader(f), csv.writer(out)
        header = next(r)
        w.writerow(header)
        col = header.index("publish_date")
        w.writerows(row for row in r if row[col].startswith("2016-12-0"))
    ws = Workspace(d / "ira.duckdb")
    ws.ingest([d / "ira_2016_12.csv"])
    yield ws
    ws.close()


@pytest.mark.parametrize("window,min_weight", [(60, 2), (300, 1)])
def test_same_edges_as_cnt_on_real_ira_month(ira_month, tmp_path, window, min_weight):
    sizes = compare(ira_month, tmp_path, window, min_weight)
    assert sizes["corepost"][0] > 50  # a real comparison, not two empty sets


def test_same_edges_as_cnt_on_a_world_with_replies_and_links(ws, tmp_path):
    rng = np.random.default_rng(7)
    P = Posts()
    accounts = [f"u{i}" for i in range(30)]
    for n in range(4000):
        a = str(rng.choice(accounts))
        t = float(rng.uniform(0, 2 * 3600))
        r = rng.random()
        if r < 0.3:
            P.add(f"p{n}", a, t, "re", reply_to_post_id=f"t{rng.integers(0, 40)}", reply_to_account_id="T")
        elif r < 0.6:
            u = f"https://site{rng.integers(0, 5)}.example.com/a/{rng.integers(0, 8)}"
            P.add(f"p{n}", a, t, f"link {u}", urls=[u, u + "?utm_source=x"])  # one link twice in a post
        elif r < 0.9:
            P.add(f"p{n}", a, t, "rt", repost_of_post_id=f"o{rng.integers(0, 50)}")
        else:
            P.add(f"p{n}", a, t, "an ordinary post")
    P.insert(ws)
    sizes = compare(ws, tmp_path, 60, 2)
    assert min(m for m, _ in sizes.values()) > 10, sizes
