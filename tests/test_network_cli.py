"""`marsad network ...` as a user runs it, on the real Kaggle "How ISIS Uses Twitter" data (retweets only as
"RT @x:" text): graph, roles, communities, families, discovery with a messy seed file, exports, errors."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

_CAP = {}


@pytest.fixture(autouse=True)
def _capture(capsys):
    _CAP["capsys"] = capsys
    yield
    _CAP.clear()


def marsad(*args: str, ws: Path, check: bool = True) -> SimpleNamespace:
    """Run the CLI entry point in-process (as `marsad --workspace WS ARGS...`), returning exit code and output."""
    from marsad.cli import main

    capsys = _CAP["capsys"]
    capsys.readouterr()
    try:
        main(["--workspace", str(ws), *args])
        code = 0
    except SystemExit as e:
        code = e.code or 0
    out = capsys.readouterr()
    p = SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)
    if check and code != 0:
        raise AssertionError(f"{args} exited {code}: {out.err}")
    return p


def one_error_line(p) -> str:
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error:") and len(lines) <= 2, p.stderr
    return lines[0]


@pytest.fixture(scope="module")
def kaggle(shared_data, tmp_path_factory):
    from marsad import Workspace
    from marsad.network.graph import build_edges

    d = tmp_path_factory.mktemp("kaggle")
    ws = d / "k.duckdb"
    with Workspace(ws) as w:
        w.ingest([shared_data / "isis-fanboy-tweets-kaggle" / "tweets.csv.gz"])
        build_edges(w)
    return ws, d


def test_graph_from_rt_text(kaggle):
    from marsad import Workspace

    ws, _ = kaggle
    with Workspace(ws, read_only=True) as w:
        kinds = w.df("SELECT kind, sum(weight) AS n FROM network_edges GROUP BY 1").set_index("kind")["n"]
        rts = w.df("SELECT count(*) AS n FROM posts WHERE text ILIKE 'RT @%'")["n"][0]
    assert kinds["repost"] > 0.9 * rts and kinds["mention"] > 1000


def test_roles_communities_families_on_kaggle(kaggle):
    ws, d = kaggle
    marsad("network", "build", "--out", str(d / "deg.csv"), ws=ws)
    deg = pd.read_csv(d / "deg.csv").set_index("handle")
    assert deg.loc["Nidalgazaui", "in_repost"] > 100
    assert (deg["interactions_received"] == deg[[c for c in deg if c.startswith("in_")]].sum(axis=1)).all()
    p = marsad("network", "roles", "--out", str(d / "roles.csv"), ws=ws)
    assert "population: all" in p.stdout
    roles = pd.read_csv(d / "roles.csv")
    assert len(roles) == 112 and {"platform", "account_id", "handle", "role", "repost_ratio"} <= set(roles.columns)
    by = roles.set_index("handle")
    # hand-checked: the most reposted account is a node; a mostly-retweeting account is an amplifier
    assert by.loc["Nidalgazaui", "role"] == "node"
    assert by.loc["EPlC24", "role"] == "amplifier" and by.loc["EPlC24", "repost_ratio"] > 0.62
    assert roles.role.isin(["node", "amplifier", "shoutout", "other"]).all()

    marsad("network", "communities", "--out", str(d / "comm.csv"), ws=ws)
    comm = pd.read_csv(d / "comm.csv")
    assert comm.community.nunique() > 3 and comm.belonging.between(0, 1).all()

    p = marsad("network", "families", "--out", str(d / "fam.csv"), ws=ws)
    fam = pd.read_csv(d / "fam.csv")
    # serial handles in the data, e.g. abutariq040 -> abutariq041
    pairs = {tuple(sorted(g.handle)) for _, g in fam.groupby("family")}
    assert ("abutariq040", "abutariq041") in pairs


def test_discover_with_messy_seed_file(kaggle):
    ws, d = kaggle
    seeds = d / "seeds.txt"
    seeds.write_text("# known accounts\n@Nidalgazaui\nMaghrebiQM, from a list\n@nobody_at_all_here\n"
                     "not a handle!\n@nidalgazaui\n@mustaklash\n", encoding="utf-8")
    p = marsad("network", "discover", "--seeds", str(seeds), "--out", str(d / "disc.csv"), ws=ws)
    assert "3 seeds used" in p.stdout
    assert "@nobody_at_all_here" in p.stdout and "unknown" in p.stdout
    assert "malformed" in p.stdout and "duplicate" in p.stdout
    disc = pd.read_csv(d / "disc.csv")
    assert (disc.label == "seed").sum() == 3 and disc["rank"].min() == 1


def test_export_graphml_cli(kaggle):
    import networkx as nx

    ws, d = kaggle
    p = marsad("network", "export", "--format", "graphml", "--out", str(d / "g.graphml"), ws=ws)
    assert "pseudonymised" in p.stdout
    g = nx.read_graphml(d / "g.graphml")
    assert g.number_of_nodes() > 1000
    assert not any("Nidalgazaui" == a.get("handle") for _, a in g.nodes(data=True))


def test_errors_are_one_line(kaggle, tmp_path):
    ws, d = kaggle
    assert "at least two snapshots" in one_error_line(marsad("network", "timeline", ws=ws, check=False))
    assert "does not exist" in one_error_line(
        marsad("network", "discover", "--seeds", str(tmp_path / "none.txt"), ws=ws, check=False))
    assert "unknown graph format" in one_error_line(
        marsad("network", "export", "--format", "dot", ws=ws, check=False))
    assert "not a date" in one_error_line(marsad("network", "build", "--since", "yesterday", ws=ws, check=False))
    empty = tmp_path / "e.duckdb"
    from marsad import Workspace

    Workspace(empty).close()
    assert "no posts" in one_error_line(marsad("network", "build", ws=empty, check=False))
    assert "no interaction graph" in one_error_line(marsad("network", "export", ws=empty, check=False))
