"""The demo end to end, the pipeline that runs every analysis, and scoring against the ground truth."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from marsad import Workspace
from marsad.cli import main
from marsad.errors import MarsadError
from marsad.evaluate import prf, score_truth
from marsad.pipeline import order_signals, run_all
from marsad.signals.base import Signal
from marsad.simulate import SimParams, simulate


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    res = simulate(SimParams(accounts=400, days=9, seed=2), d / "sim")
    ws = Workspace(d / "w.duckdb")
    ws.ingest(res.files)
    yield res, ws, d
    ws.close()


def run_cli(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def _truth(res) -> pd.DataFrame:
    return pd.read_csv(res.truth_dir / "accounts.csv", dtype=str, keep_default_na=False)


def test_demo_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    wsp = tmp_path / "demo.duckdb"
    rc = run_cli(["--workspace", str(wsp), "demo", "--out", str(out), "--accounts", "250", "--days", "6"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert (out / "truth" / "accounts.csv").exists() and (out / "seeds.txt").exists()
    assert "ingested" in text and "(0 quarantined)" in text
    with Workspace(wsp, read_only=True) as ws:
        assert ws.con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
        assert ws.con.execute("SELECT count(*) FROM posts").fetchone()[0] > 1000
    try:
        import marsad.outputs.report  # noqa: F401
    except ImportError:
        return
    assert (out / "report.html").exists() and str((out / "report.html").resolve()) in text.replace("\n", "")
    # running it again replaces the previous demo (workspace and outputs) instead of failing
    assert run_cli(["--workspace", str(wsp), "demo", "--out", str(out), "--accounts", "250", "--days", "6"]) == 0


def test_demo_refuses_to_overwrite_a_file_that_is_not_a_workspace(tmp_path, capsys):
    other = tmp_path / "precious.duckdb"
    other.write_bytes(b"not a database")
    with pytest.raises(SystemExit) as e:
        main(["--workspace", str(other), "demo", "--out", str(tmp_path / "d"), "--accounts", "50", "--days", "2"])
    assert e.value.code == 2
    assert "refusing" in capsys.readouterr().err
    assert other.read_bytes() == b"not a database"


class _Truthful(Signal):
    """A fake stance signal that copies the truth: scoring must give F1 = 1."""

    name = "stance"
    truth: pd.DataFrame = None

    def run(self, ws):
        t = self.truth
        return pd.DataFrame({"subject_type": "account", "platform": "twitter", "subject_id": t.account_id,
                             "label": np.where(t.is_supporter == "true", "supporter", "non-supporter")})


class _Broken(Signal):
    name = "broken"
    requires = ("stance",)

    def run(self, ws):
        raise RuntimeError("boom")


class _NeedsSeeds(Signal):
    name = "discover"

    def __init__(self, seeds=None):
        self.seeds = seeds

    def run(self, ws):
        if not self.seeds:
            raise MarsadError("discovery needs seeds")
        return pd.DataFrame({"subject_type": ["account"], "subject_id": ["x"], "score": [1.0]})


def test_pipeline_orders_runs_skips_and_isolates_failures(small, monkeypatch):
    res, ws, d = small
    _Truthful.truth = _truth(res)
    fake = {"broken": _Broken, "discover": _NeedsSeeds, "stance": _Truthful}
    assert order_signals(fake) == ["stance", "broken", "discover"]
    import marsad.signals as sig
    import marsad.pipeline as pl

    monkeypatch.setattr(sig, "all_signals", lambda: fake)
    monkeypatch.setattr(pl, "_prepare_steps", lambda: [])
    result = run_all(ws, report=None)
    status = dict(zip(result.table().name, result.table().status))
    assert status == {"stance": "ok", "broken": "failed", "discover": "skipped"}
    assert not result.ok
    assert "boom" in result.table().set_index("name").message["broken"]
    seeds = d / "seeds.txt"
    seeds.write_text("@x\n")
    result = run_all(ws, seeds=seeds, only=["discover"])
    assert [s.status for s in result.steps] == ["ok"]
    # the truthful stance scores perfectly
    scores = score_truth(ws, res.out)
    assert scores.get("stance", "supporter (accounts)") == pytest.approx(1.0)
    assert scores.get("stance", "hard negatives labelled supporter", "predicted") == 0


def test_scores_drop_for_wrong_answers(small):
    res, ws, d = small
    t = _truth(res)
    rng = np.random.default_rng(0)
    flipped = np.where(rng.random(len(t)) < 0.3, t.is_supporter == "false", t.is_supporter == "true")
    ws.write_evidence("stance", "test", pd.DataFrame({
        "subject_type": "account", "platform": "twitter", "subject_id": t.account_id,
        "label": np.where(flipped, "supporter", "non-supporter")}))
    # geo: right for half the accounts, abstaining for the rest
    half = t.index % 2 == 0
    ws.write_evidence("geo", "test", pd.DataFrame({
        "subject_type": "account", "platform": "twitter", "subject_id": t.account_id,
        "label": np.where(half, t.country, None)}))
    # family links: exactly the true pairs plus one wrong pair
    fam = pd.read_csv(res.truth_dir / "families.csv", dtype=str)
    pairs = [f"{a}|{b}" for ids in fam.account_ids for a, b in zip(ids.split("|"), ids.split("|")[1:])]
    wrong = f"{t.account_id[0]}|{t.account_id[1]}"
    ws.write_evidence("family-link", "test", pd.DataFrame({
        "subject_type": "pair", "platform": "twitter", "subject_id": pairs + [wrong]}))
    # roles and coordination copied from the truth: perfect scores
    ws.write_evidence("role", "test", pd.DataFrame({
        "subject_type": "account", "platform": "twitter", "subject_id": t.account_id, "label": t.role}))
    ws.write_evidence("coord", "test", pd.DataFrame({
        "subject_type": "account", "platform": "twitter", "subject_id": t.account_id,
        "label": np.where(t.coord_group != "", "c" + t.coord_group, None)}))
    s = score_truth(ws, res.truth_dir)
    assert s.get("role", "macro-F1") == pytest.approx(1.0)
    assert s.get("coord", "coordinated accounts") == pytest.approx(1.0)
    assert s.get("coord", "same group (pairs)") == pytest.approx(1.0)
    f1 = s.get("stance", "supporter (accounts)")
    assert 0.3 < f1 < 0.9
    assert s.get("geo", "country (findable)", "precision") == pytest.approx(1.0)
    assert s.get("geo", "country (all accounts)", "recall") == pytest.approx(0.5, abs=0.05)
    fl = s.rows[s.rows.analysis == "family-link"].iloc[0]
    n_true = sum(len(ids.split("|")) * (len(ids.split("|")) - 1) // 2 for ids in fam.account_ids)
    assert fl.predicted == len(pairs) + 1 and fl.precision == pytest.approx(len(pairs) / (len(pairs) + 1))
    assert fl.recall == pytest.approx(len(pairs) / n_true)
    assert "device" in s.missing


def test_prf_edge_cases():
    assert prf(0, 0, 0) == (None, None, None)
    assert prf(5, 0, 0) == (1.0, 1.0, 1.0)
    assert prf(0, 3, 2) == (0.0, 0.0, 0.0)


def test_score_truth_cli_and_missing_truth(small, tmp_path, capsys):
    res, ws, d = small
    with pytest.raises(SystemExit) as e:
        main(["--workspace", str(ws.path), "score-truth", str(tmp_path / "nowhere")])
    assert e.value.code == 2 and "no ground truth" in capsys.readouterr().err
    other = tmp_path / "other.duckdb"
    w2 = Workspace(other)
    w2.ingest(res.files[:1])
    t = _truth(res)
    w2.write_evidence("stance", "test", pd.DataFrame({
        "subject_type": "account", "platform": "twitter", "subject_id": t.account_id,
        "label": np.where(t.is_supporter == "true", "supporter", "non-supporter")}))
    w2.close()
    out = tmp_path / "scores.csv"
    assert run_cli(["--workspace", str(other), "score-truth", str(res.out), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "supporter (accounts)" in text and "1.000" in text
    assert pd.read_csv(out).query("analysis == 'stance'").shape[0] >= 1


def test_country_shares_cover_the_truth_with_rates_from_a_labelled_sample(tmp_path):
    """Issue 5: corrected country shares fall inside their 95% intervals for >= 90% of countries with enough data,
    when the error rates come from a labelled random sample of the population itself (as the demo does)."""
    from marsad.census.shares import country_post_shares
    from marsad.evaluate import sample_error_model

    res = simulate(SimParams(accounts=1000, days=28, seed=1), tmp_path / "sim")
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.ingest(res.files)
        run_all(ws, only=["stance", "geo"])
        em = sample_error_model(ws, res.truth_dir, seed=3)
        assert em.n_pos + em.n_neg == 600
        table = country_post_shares(ws, error_model=em, b=300)
    est = table.df[table.df["rank"].notna()].set_index("country")
    posts = pd.read_csv(res.truth_dir / "posts.csv", usecols=["country", "supportive"])
    est = est.join(posts.groupby("country")["supportive"].mean().rename("truth"))
    assert len(est) >= 8
    inside = (est["truth"] >= est["ci_low"]) & (est["truth"] <= est["ci_high"])
    assert inside.mean() >= 0.9, est[["share", "ci_low", "ci_high", "truth"]]
    assert table.meta["method"] == "pacc"
