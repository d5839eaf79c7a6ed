"""The `marsad coord` commands end to end on a small planted world."""
from __future__ import annotations

import pandas as pd
import pytest

from coord_world import planted_world
from marsad import Workspace
from marsad.cli import main


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("coordcli") / "w.duckdb"
    P, truth = planted_world(seed=11, n_ordinary=80, days=3)
    with Workspace(path) as ws:
        P.insert(ws)
    return path, truth


def run(path, *args) -> int:
    """Exit code of `marsad --workspace PATH coord ARGS...`."""
    try:
        main(["--workspace", str(path), "coord", *args])
    except SystemExit as e:
        return e.code or 0
    return 0


def test_build_clusters_edges_evidence_export(world, tmp_path, capsys):
    path, truth = world
    assert run(path, "build", "--window", "60", "--min-weight", "2") == 0
    out = capsys.readouterr().out
    assert "corepost" in out and "cotext" in out and "clusters" in out

    assert run(path, "clusters", "--out", str(tmp_path / "c.csv"), "--no-pseudonymise") == 0
    c = pd.read_csv(tmp_path / "c.csv")
    assert list(c.columns[:5]) == ["account_id", "handle", "cluster", "behaviours", "score"]
    assert set(c.account_id) == set(truth)
    assert c.groupby("cluster").account_id.apply(lambda s: len({truth[a] for a in s})).eq(1).all()

    assert run(path, "clusters", "--out", str(tmp_path / "p.csv")) == 0  # pseudonymised by default
    assert pd.read_csv(tmp_path / "p.csv").account_id.str.startswith("u_").all()

    assert run(path, "edges", "--out", str(tmp_path / "e.csv"), "--behaviour", "corepost,colink",
               "--no-pseudonymise") == 0
    e = pd.read_csv(tmp_path / "e.csv")
    assert list(e.columns[:4]) == ["account_a", "account_b", "behaviour", "weight"]
    assert set(e.behaviour) <= {"corepost", "colink"} and len(e)

    a, b = e.sort_values("weight").iloc[-1][["account_a", "account_b"]]
    capsys.readouterr()
    assert run(path, "evidence", a, f"@{b}", "--out", str(tmp_path / "ev.csv"), "--no-pseudonymise") == 0
    ev = pd.read_csv(tmp_path / "ev.csv")
    assert len(ev) >= 2 and {"post_a", "post_b", "seconds_apart", "text_a"} <= set(ev.columns)
    assert (ev.seconds_apart <= 60).all() and set(ev.account_a) | set(ev.account_b) == {a, b}
    assert run(path, "evidence", a, b, "--out", str(tmp_path / "evp.csv")) == 0
    assert pd.read_csv(tmp_path / "evp.csv").account_a.str.startswith("u_").all()

    assert run(path, "export", "--format", "graphml", "--out", str(tmp_path / "g.graphml")) == 0
    import networkx as nx

    g = nx.read_graphml(tmp_path / "g.graphml")
    assert g.number_of_nodes() == len(truth) and all(d["cluster"].startswith("c") for _, d in g.nodes(data=True))
    assert run(path, "export", "--format", "parquet", "--out", str(tmp_path / "g.parquet")) == 0
    assert len(pd.read_parquet(tmp_path / "g.nodes.parquet")) == len(truth)


def test_errors_are_one_line_with_exit_code_2(world, tmp_path, capsys):
    path, _ = world
    assert run(path, "build", "--behaviour", "cofoo") == 2
    assert "unknown behaviour" in capsys.readouterr().err
    assert run(path, "evidence", "nobody", "noone") == 2
    assert "no coordination edge" in capsys.readouterr().err
    assert run(path, "export", "--format", "svg") == 2
    empty = tmp_path / "empty.duckdb"
    Workspace(empty).close()
    assert run(empty, "edges", "--out", str(tmp_path / "x.csv")) == 2
    assert "coord build" in capsys.readouterr().err
