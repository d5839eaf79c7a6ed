"""CrowdTangle readers on the real export sample: the dashboard search CSV (BOM, locale numbers, BRT times,
multi-line descriptions), the API JSON post, and the post-history CSV that is refused with a clear message."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from marsad.errors import MarsadError
from marsad.readers import detect, get_reader
from marsad.readers.crowdtangle import locale_number, parse_local_time
from marsad.records import RecordError

CT = "crowdtangle-search-export-br-sample"
SEARCH = "2021-07-05-22-49-20-BRT-search-csv-export.csv"


def raw(shared_data):
    data = (shared_data / CT / SEARCH).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM the export starts with
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows


def test_search_csv_posts_and_numbers(shared_data, ws):
    rows = raw(shared_data)
    assert len(rows) == 10
    (res,) = ws.ingest([shared_data / CT / SEARCH])
    assert res.format == "crowdtangle-csv" and res.platform == "facebook"
    assert (res.n_read, res.n_loaded, res.n_duplicate, res.n_quarantined) == (10, 10, 0, 0)
    got = {r[0]: r for r in ws.sql(
        "SELECT post_id, account_id, account_handle, created_at, text, extra FROM posts").fetchall()}
    assert len(got) == 10
    for row in rows:
        page, post = row["URL"].rstrip("/").split("/posts/")
        page_id = page.rsplit("/", 1)[1]
        pid = f"{page_id}_{post}"
        _, account_id, handle, created, text, extra = got[pid]
        extra = json.loads(extra)
        assert account_id == row["Facebook Id"] == page_id and handle == row["User Name"]
        assert text == row["Message"]
        # "407.137" (a locale thousands separator) is 407,137; plain "270729" stays
        assert extra["total_interactions"] == int(row["Total Interactions"].replace(".", ""))
        assert extra["likes"] == int(row["Likes"])
        assert extra["overperforming_score"] == float(row["Overperforming Score"].replace(",", "."))
        # BRT is UTC-3
        local = datetime.strptime(row["Post Created"].removesuffix(" BRT"), "%Y-%m-%d %H:%M:%S")
        assert created == (local + timedelta(hours=3)).replace(tzinfo=timezone.utc)
        assert extra["page_admin_top_country"] == row["Page Admin Top Country"] == "BR"
    neymar = got["100050295107499_345428873810280"]
    assert json.loads(neymar[5])["total_interactions"] == 407_137
    assert neymar[3] == datetime(2021, 7, 5, 21, 2, 45, tzinfo=timezone.utc)
    # account observations: multi-line page descriptions intact, followers at posting, page creation in UTC
    acc = ws.sql("SELECT display_name, description, followers, created_at FROM account_snapshots "
                 "WHERE account_id = '211857482296579'").fetchone()
    bolso = next(r for r in rows if r["Facebook Id"] == "211857482296579")
    assert acc[0] == "Jair Messias Bolsonaro" and acc[1] == bolso["Page Description"] and "\n" in acc[1]
    assert acc[2] == int(bolso["Followers at Posting"])
    assert acc[3] == datetime(2013, 6, 14, 20, 0, 56, tzinfo=timezone.utc)  # 17:00:56 BRT
    (again,) = ws.ingest([shared_data / CT / SEARCH])
    assert again.already_present and ws.sql("SELECT count(*) FROM posts").fetchone()[0] == 10


def test_api_json_post(shared_data, ws):
    path = shared_data / CT / "links-api-response-example.json"
    obj = json.loads(path.read_text(encoding="utf-8"))
    assert detect(path).name == "crowdtangle-json"
    (res,) = ws.ingest([path])
    assert (res.n_read, res.n_loaded, res.n_quarantined) == (1, 1, 0)
    p = ws.sql("SELECT post_id, account_id, created_at, urls, media_urls, lang, extra FROM posts").fetchone()
    assert p[0] == obj["platformId"] and p[1] == obj["account"]["platformId"]
    assert p[2] == datetime(2020, 1, 21, 16, 58, 43, tzinfo=timezone.utc)
    assert p[3] == [obj["expandedLinks"][0]["expanded"]] and p[4] == [obj["media"][0]["full"]]
    assert p[5] is None  # "und"
    extra = json.loads(p[6])
    assert extra["statistics"] == obj["statistics"]["actual"] and extra["title"] == obj["title"]
    acc = ws.sql("SELECT display_name, followers, verified FROM accounts").fetchone()
    assert acc == (obj["account"]["name"], obj["account"]["subscriberCount"], False)


def test_api_json_shapes(tmp_path, ws):
    post = {"platformId": "1_2", "platform": "Facebook", "date": "2021-01-01 10:00:00", "message": "نص #وسم",
            "expandedLinks": [], "statistics": {"actual": {"likeCount": 3}},
            "account": {"platformId": "1", "name": "P", "handle": "p", "subscriberCount": 5, "accountType": "page"}}
    bad = dict(post, platformId="1_3", date="1990-01-01 00:00:00")
    resp = {"status": 200, "result": {"posts": [post, bad]}}
    p = tmp_path / "resp.json"
    p.write_text(json.dumps(resp, ensure_ascii=False), encoding="utf-8")
    assert detect(p).name == "crowdtangle-json"
    (res,) = ws.ingest([p])
    assert (res.n_read, res.n_loaded, res.n_quarantined) == (2, 1, 1)
    assert "before facebook existed" in ws.sql("SELECT reason FROM quarantine").fetchone()[0]
    assert ws.sql("SELECT hashtags FROM posts").fetchone()[0] == ["وسم"]
    lines = tmp_path / "posts.jsonl"
    lines.write_text(json.dumps(dict(post, platformId="1_4")) + "\n{broken\n" + json.dumps([post]) + "\n",
                     encoding="utf-8")
    items = list(get_reader("crowdtangle-json")(lines).records())
    assert [type(i).__name__ for i in items] == ["Parsed", "Rejected", "Parsed"]
    with open(lines, "ab") as f:
        f.write(b'{"platformId": "1_9", "message": "caf\xe9"\n')  # a cut line with a stray byte
    (res,) = ws.ingest([lines])
    assert (res.n_read, res.n_loaded, res.n_duplicate, res.n_quarantined) == (4, 1, 1, 2)


def test_history_csv_is_refused_clearly(shared_data, ws):
    path = shared_data / CT / "history_post_3758007754304128.csv"
    assert detect(path).name == "crowdtangle-csv"
    with pytest.raises(MarsadError, match="post-history export"):
        ws.ingest([path])
    assert ws.sql("SELECT count(*) FROM datasets").fetchone()[0] == 0


def test_time_and_number_parsing():
    assert parse_local_time("2021-07-05 18:02:45 BRT")[0] == datetime(2021, 7, 5, 21, 2, 45, tzinfo=timezone.utc)
    assert parse_local_time("2021-07-05 18:02:45 EDT")[0] == datetime(2021, 7, 5, 22, 2, 45, tzinfo=timezone.utc)
    assert parse_local_time("2021-07-05 18:02:45")[0] == datetime(2021, 7, 5, 18, 2, 45, tzinfo=timezone.utc)
    with pytest.raises(RecordError, match="unknown time zone"):
        parse_local_time("2021-07-05 18:02:45 XYZ")
    assert locale_number("1,4", "s") == 1.4 and locale_number("2.3x", "s") == 2.3
    assert locale_number("1.234,5", "s") == 1234.5 and locale_number("1,234.5", "s") == 1234.5
    with pytest.raises(RecordError):
        locale_number("abc", "s")
