"""The FiveThirtyEight IRA tweets reader on the real subset (by-author layout with its authors file, the original
layout, through Excel) and on crafted files."""
from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from csv_helpers import raw_rows, reingest_adds_nothing, scalar
from marsad import Workspace


# --- FiveThirtyEight IRA -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ira(shared_data, tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("ira") / "ws.duckdb")
    d = shared_data / "ira-troll-tweets-538-subset"
    (big,) = ws.ingest([d / "ira_tweets_selected.csv.gz"])
    (sample,) = ws.ingest([d / "IRAhandle_tweets_sample.csv"])
    yield ws, big, sample
    ws.close()


def test_ira_by_author_layout(ira, shared_data):
    ws, res, _ = ira
    d = shared_data / "ira-troll-tweets-538-subset"
    rows = raw_rows(d / "ira_tweets_selected.csv.gz")
    h, body = rows[0], rows[1:]
    types = Counter(r[h.index("post_type")] for r in body)
    assert len(body) == 336_642 and types["R"] == 196_736 and types["Q"] == 4_913
    assert (res.n_read, res.n_loaded, res.n_duplicate, res.n_quarantined) == (336_642, 336_642, 0, 0)
    ds = f"dataset_id = '{res.dataset_id}'"
    got = dict(ws.sql(f"SELECT extra->>'post_type', count(*) FROM posts WHERE {ds} GROUP BY 1").fetchall())
    assert got.get("R") == 196_736 and got.get("Q") == 4_913 and got.get(None) == 134_993
    # every R is a repost; so are the few older "RT @x:" texts among the others
    manual_rt = sum(1 for r in body if r[h.index("post_type")] != "R" and re.match(r"\s*RT\s+@\w", r[1], re.I))
    assert scalar(ws, f"SELECT count(*) FROM posts WHERE {ds} AND (repost_of_post_id IS NOT NULL "
                      "OR repost_of_handle IS NOT NULL)") == 196_736 + manual_rt
    # 472 authors (bet4a author_id); the account ids are platform ids: Jenn_Abrams and JENNATRAVELLER are one
    # account (one external_author_id, renamed), so 471 distinct accounts
    authors = {r["author_id"]: r for r in csv.DictReader(open(d / "bet4a_authors.csv", encoding="utf-8"))}
    selected = set((d / "ira_selected_authors.txt").read_text().split())
    assert len(selected) == 472 and len({r[0] for r in body}) == 472
    assert scalar(ws, f"SELECT count(DISTINCT (account_id, account_handle)) FROM posts WHERE {ds}") == 472
    by_ext = Counter(authors[a]["external_author_id"] for a in selected)
    # (ids that a spreadsheet rounded, 843000000000000000, are shared by unrelated accounts and never used)
    shared = [e for e, n in by_ext.items() if n > 1 and not e.endswith("000000")]
    assert scalar(ws, f"SELECT count(DISTINCT account_id) FROM posts WHERE {ds}") == 472 - len(shared) == 471
    # labels from the authors file ride along in extra
    cats = Counter(authors[r[0]]["account_category"] for r in body)
    got = dict(ws.sql(f"SELECT extra->>'account_category', count(*) FROM posts WHERE {ds} GROUP BY 1").fetchall())
    assert got == dict(cats)
    langs = dict(ws.sql(f"SELECT lang, count(*) FROM posts WHERE {ds} GROUP BY 1").fetchall())
    raw_langs = Counter(r[h.index("language")] for r in body)
    assert langs["en"] == raw_langs["English"] == 318_166 and langs["ar"] == raw_langs["Arabic"] == 5_435
    # rounded external ids (906000000000000000) are never used as account ids
    assert scalar(ws, f"SELECT count(*) FROM posts WHERE {ds} AND account_id LIKE '%000000'") == 0
    # followers/following/updates are observations at harvest time
    r0 = dict(zip(h, body[0]))
    acc = ws.sql("SELECT followers, following, statuses, last_observed FROM account_snapshots "
                 "WHERE dataset_id = ? AND record_position = 1", [res.dataset_id]).fetchone()
    assert acc[:3] == (int(r0["followers"]), int(r0["following"]), int(r0["updates"]))
    assert acc[3].strftime("%Y-%m-%d %H:%M:%S") == r0["harvested_date"]


def test_ira_original_layout_through_excel(ira, shared_data):
    ws, _, res = ira
    rows = raw_rows(shared_data / "ira-troll-tweets-538-subset" / "IRAhandle_tweets_sample.csv")
    h, body = rows[0], rows[1:]
    assert len(h) == 21 and len(body) == 100 and body[0][0] == "9.06E+17"
    assert (res.n_read, res.n_loaded, res.n_quarantined) == (100, 100, 0)
    got = ws.sql("SELECT post_id, account_id, created_at, extra->>'account_category', urls FROM posts "
                 "WHERE dataset_id = ? ORDER BY record_position", [res.dataset_id]).fetchall()
    for (post_id, account_id, created, cat, urls), r in zip(got, body):
        row = dict(zip(h, r))
        m = re.search(r"twitter\.com/(\d+)/statuses/(\d+)", row["article_url"])
        assert (account_id, post_id) == (m.group(1), m.group(2))  # exact ids recovered from article_url
        assert cat == row["account_category"] == "RightTroll"
        assert created.strftime("%-m/%-d/%y %-H:%M") == row["publish_date"]
        assert [u for u in (row["tco1_step1"], row["tco2_step1"], row["tco3_step1"]) if u] == urls[:len(
            [u for u in (row["tco1_step1"], row["tco2_step1"], row["tco3_step1"]) if u])]
    n_rt = sum(1 for r in body if r[h.index("post_type")] == "RETWEET")
    assert scalar(ws, f"SELECT count(*) FROM posts WHERE dataset_id = '{res.dataset_id}' "
                      "AND repost_of_post_id IS NOT NULL") == n_rt > 0


def test_ira_reingest_adds_nothing(ira, shared_data):
    reingest_adds_nothing(ira[0], shared_data / "ira-troll-tweets-538-subset" / "ira_tweets_selected.csv.gz")


def test_ira_layouts_without_the_authors_file_and_unmangled(tmp_path, ws, shared_data):
    # by-author tweets with no authors file beside them: handles become the account ids, nothing is lost
    rows = raw_rows(shared_data / "ira-troll-tweets-538-subset" / "ira_tweets_selected.csv.gz")[:51]
    p = tmp_path / "some_author.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    (res,) = ws.ingest([p])
    assert (res.format, res.n_loaded) == ("ira-538", 50)
    assert {r[0] for r in ws.sql("SELECT DISTINCT account_id FROM posts").fetchall()} \
        == {"@" + r[0].lower() for r in rows[1:]}
    assert ws.sql("SELECT count(*) FROM posts WHERE extra->>'account_category' IS NOT NULL").fetchone()[0] == 0
    # the original layout as FiveThirtyEight published it (ids intact, M/D/YYYY dates)
    q = tmp_path / "IRAhandle_tweets_1.csv"
    q.write_text(
        "external_author_id,author,content,region,language,publish_date,harvested_date,following,followers,updates,"
        "post_type,account_type,retweet,account_category,new_june_2018,alt_external_id,tweet_id,article_url,"
        "tco1_step1,tco2_step1,tco3_step1\n"
        "2882331822,JENN_ABRAMS,\"RT @someone: words\",United States,English,10/1/2017 19:58,10/1/2017 19:59,1,2,3,"
        "RETWEET,Right,1,RightTroll,0,2882331822,914580356430536707,"
        "http://twitter.com/2882331822/statuses/914580356430536707,https://example.org/x,,\n",
        encoding="utf-8",
    )
    (res,) = ws.ingest([q])
    got = ws.sql("SELECT post_id, account_id, account_handle, created_at, repost_of_handle, repost_of_post_id, urls "
                 "FROM posts WHERE dataset_id = ?", [res.dataset_id]).fetchone()
    assert got[:3] == ("914580356430536707", "2882331822", "JENN_ABRAMS")
    assert got[3].strftime("%Y-%m-%d %H:%M") == "2017-10-01 19:58"
    assert got[4] == "someone" and got[5] is None and got[6] == ["https://example.org/x"]
