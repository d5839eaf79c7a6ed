"""The HTML report: self-contained, escaped, opens in headless Chromium without errors; JSON/CSV tables; hostile
and empty input."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from marsad import Workspace
from marsad.census.quantify import ErrorModel
from marsad.census.synthetic import build_world, validation_set
from marsad.errors import MarsadError
from marsad.outputs.report import write_report

OUT = Path(__file__).resolve().parent / "out"
EVIL = "<script>alert('x')</script>"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("MARSAD_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required (apt-get install -y chromium fonts-noto-core) and was not found")
    pytest.skip("Chromium not installed (apt-get install -y chromium fonts-noto-core)")


def run_browser(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    exe = chromium()
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}",
           "--enable-logging=stderr", "--v=0", "--hide-scrollbars", *args, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def console_errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("report") / "w.duckdb")
    build_world(ws, n_accounts=1500, mean_posts=12, seed=5)
    ws.con.execute("INSERT INTO datasets (dataset_id, path, format, platform, n_read, n_loaded, n_duplicate, "
                   "n_quarantined, source_note) VALUES ('synthetic', '/data/synthetic.jsonl', 'synthetic', "
                   "'twitter', 1, 1, 0, 0, 'built by marsad.census.synthetic')")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def report(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    em = ErrorModel.from_validation(*validation_set(600))
    write_report(world, out, error_model=em, b=200)
    return out


def test_report_is_self_contained(report):
    html = report.read_text(encoding="utf-8")
    assert html.count("<script") == 1  # only the error counter
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)  # nothing fetched from elsewhere
    assert "Content-Security-Policy" in html and "default-src &#x27;none&#x27;" in html
    assert html.count("<svg") >= 8
    for section in ("countries", "devices", "reach", "time", "methods"):
        assert f'id="{section}"' in html
    assert "How this was computed" in html and "FROM posts p" in html  # SQL shown for traceability
    assert 'lang="ar" dir="rtl"' in html


def test_report_opens_in_headless_chromium(report, tmp_path):
    res = run_browser(tmp_path, report, "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    dom = res.stdout
    assert 'data-js-errors="0"' in dom
    m = re.search(r'data-charts="(\d+)"', dom)
    assert m and int(m.group(1)) >= 8, "the page script did not run or the charts are missing"
    assert console_errors(res.stderr) == []
    OUT.mkdir(exist_ok=True)
    shot = OUT / "report.png"
    shot.unlink(missing_ok=True)
    res = run_browser(tmp_path, report, f"--screenshot={shot}", "--window-size=1100,2400")
    assert shot.exists() and shot.stat().st_size > 50_000, res.stderr[-2000:]


def test_json_and_csv_formats(world, tmp_path):
    j = write_report(world, tmp_path / "r.json", fmt="json", b=100)
    text = j.read_text(encoding="utf-8")
    assert "NaN" not in text
    data = json.loads(text)
    cp = data["tables"]["country_posts"]
    assert cp["sql"] and cp["rows"] and {"country", "share", "ci_low", "ci_high", "rank"} <= set(cp["rows"][0])
    d = write_report(world, tmp_path / "csv", fmt="csv", b=100)
    assert (d / "country_posts.csv").exists() and (d / "devices.csv").exists()
    assert "SELECT" in (d / "queries.sql").read_text(encoding="utf-8")
    with pytest.raises(MarsadError, match="unknown report format"):
        write_report(world, tmp_path / "r.pdf", fmt="pdf")


def hostile_workspace(ws: Workspace) -> None:
    long_loc = "<img src=x onerror=alert(1)>" + "A" * 10_000 + "\x07\x1b[31m\u202e"
    rows = []
    for i in range(4):
        handle = EVIL + str(i)
        ws.con.execute("""INSERT INTO account_snapshots (platform, account_id, handle, location, followers,
                          lang, last_observed) VALUES ('twitter', ?, ?, ?, ?, ?, now())""",
                       [f"a{i}", handle, long_loc, 10 * i, "<b>ar</b>"])
        for j in range(3):
            rows.append((f"p{i}-{j}", f"a{i}", handle, f"{EVIL} نص <i>", f'<a href="javascript:alert(1)">{EVIL}</a>'))
    ws.con.executemany("""INSERT INTO posts (platform, post_id, account_id, account_handle, created_at, text, lang,
                          source, embedded) VALUES ('twitter', ?, ?, ?, TIMESTAMPTZ '2014-10-01 12:00:00+00', ?, 'ar',
                          ?, false)""", rows)
    ws.con.execute("""CREATE TABLE stance_posts AS SELECT platform, post_id, account_id, 0.9 AS p_support,
                      '<svg onload=alert(1)>' AS lang FROM posts""")
    ws.con.execute("""CREATE TABLE device_posts AS SELECT platform, post_id, ?::VARCHAR AS client,
                      '<b>family</b>' AS family FROM posts""", [EVIL])
    ws.con.execute("""INSERT INTO evidence (signal, subject_type, platform, subject_id, label, score)
                      SELECT 'geo', 'account', 'twitter', account_id, ?, 0.9 FROM accounts""", [EVIL])
    ws.con.execute("""INSERT INTO evidence (signal, subject_type, platform, subject_id, label, score)
                      SELECT 'stance', 'account', 'twitter', account_id, 'supporter', 0.9 FROM accounts""")


def test_hostile_input_is_escaped(ws, tmp_path):
    hostile_workspace(ws)
    out = write_report(ws, tmp_path / "evil.html", list_accounts=10, pseudonymise=False, b=100, min_posts=1,
                       min_accounts=1)
    html = out.read_text(encoding="utf-8")
    assert html.count("<script") == 1
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html  # handle shown, escaped
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html  # location escaped
    assert "<svg onload" not in html and 'href="javascript' not in html and "<b>family" not in html
    assert "\x07" not in html and "\x1b" not in html
    assert "A" * 200 not in html  # 10,000-character location cut
    res = run_browser(tmp_path, out, "--dump-dom")
    assert 'data-js-errors="0"' in res.stdout and console_errors(res.stderr) == []
    assert len(re.findall(r"<script", res.stdout)) == 1


def test_pseudonymised_by_default(ws, tmp_path):
    hostile_workspace(ws)
    html = write_report(ws, tmp_path / "p.html", list_accounts=10, b=100).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;0" not in html
    assert re.search(r"u_[0-9a-f]{12}", html)
    # without --list-accounts no account-level list at all
    html = write_report(ws, tmp_path / "q.html", b=100).read_text(encoding="utf-8")
    assert 'id="accounts"' not in html and not re.search(r"u_[0-9a-f]{12}", html)


def test_empty_and_tiny_workspaces(ws, tmp_path):
    with pytest.raises(MarsadError, match="no posts"):
        write_report(ws, tmp_path / "e.html")
    ws.con.execute("""INSERT INTO posts (platform, post_id, account_id, text, embedded)
                      VALUES ('telegram', '1', 'c1', 'hello', false)""")
    out = write_report(ws, tmp_path / "t.html", b=100)
    html = out.read_text(encoding="utf-8")
    assert "Not available" in html and "run `marsad stance run` first" in html
    res = run_browser(tmp_path, out, "--dump-dom")
    assert 'data-js-errors="0"' in res.stdout and console_errors(res.stderr) == []


def test_cli_report(tmp_path):
    from typer.testing import CliRunner

    from marsad.cli import app

    path = tmp_path / "cli.duckdb"
    with Workspace(path) as w:
        build_world(w, n_accounts=400, mean_posts=8, seed=2)
    runner = CliRunner()
    res = runner.invoke(app, ["--workspace", str(path), "census", "countries", "--lang", "ar",
                              "--bootstrap", "100"])
    assert res.exit_code == 0, res.output
    assert "Share of supportive posts by country" in res.output
    out = tmp_path / "cli.html"
    res = runner.invoke(app, ["--workspace", str(path), "report", "--out", str(out), "--bootstrap", "100"])
    assert res.exit_code == 0, res.output
    assert out.exists()


def test_cli_report_on_empty_workspace_exits_2(tmp_path):
    empty = tmp_path / "empty.duckdb"
    Workspace(empty).close()
    env = {**os.environ, "COLUMNS": "200"}
    res = subprocess.run([str(Path(sys.executable).parent / "marsad"), "--workspace", str(empty), "report",
                          "--out", str(tmp_path / "x.html")], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2
    assert "no posts" in res.stderr and "Traceback" not in res.stderr
