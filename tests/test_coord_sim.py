"""Quality on a simulated world: planted coordinated groups are found (precision and recall >= 0.9) and each
group is one cluster."""
from __future__ import annotations

import pandas as pd
import pytest

from marsad import Workspace
from marsad.coordination import build
from marsad.coordination.clusters import compute


@pytest.fixture(scope="module")
def sim_ws(tmp_path_factory):
    from marsad.simulate import SimParams, simulate

    out = tmp_path_factory.mktemp("coordsim")
    res = simulate(SimParams(accounts=600, days=10, seed=11), out / "sim")
    ws = Workspace(out / "w.duckdb")
    ws.ingest(res.files)
    yield ws, res.truth_dir
    ws.close()


def test_planted_groups_recovered(sim_ws):
    ws, truth_dir = sim_ws
    build(ws)
    members, clusters = compute(ws)
    truth = pd.read_csv(truth_dir / "accounts.csv", dtype=str, keep_default_na=False)
    truth = truth[truth.n_posts.astype(int) > 0].set_index("account_id")
    planted = set(truth.index[truth.coord_group != ""])
    flagged = set(members.account_id)
    tp = len(planted & flagged)
    precision, recall = tp / max(len(flagged), 1), tp / len(planted)
    assert len(planted) >= 20
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    # clusters do not mix planted groups
    groups = members.assign(group=members.account_id.map(truth.coord_group))
    mixed = groups[groups.group != ""].groupby("cluster").group.nunique()
    assert (mixed == 1).all()
