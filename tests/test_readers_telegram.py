"""Telegram Desktop JSON export (result.json). No real export is in shared/data, so the fixtures below follow
the format Telegram Desktop writes (a single channel export, and a full export with chats.list): service vs
message types, text as a string or an array of entity objects with text_entities beside it, from/from_id,
forwarded_from, reply_to_message_id, date + date_unixtime, edited, photo/file media, views."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from marsad.errors import MarsadError
from marsad.readers import detect, get_reader
from marsad.records import Parsed, Rejected

CHANNEL_ID = 1234567890


def ts(s: str) -> str:
    return str(int(datetime.fromisoformat(s).replace(tzinfo=timezone.utc).timestamp()))


def msg(mid: int, when: str, **kw) -> dict:
    # Telegram Desktop writes "date" in the exporting computer's local time (here UTC+3) and date_unixtime in UTC
    local = datetime.fromisoformat(when).replace(tzinfo=timezone.utc).astimezone().isoformat()
    base = {"id": mid, "type": "message", "date": local[:19], "date_unixtime": ts(when)}
    base.update(kw)
    return base


def channel_export() -> dict:
    name = "Nashir News"
    frm = {"from": name, "from_id": f"channel{CHANNEL_ID}"}
    entity_text = [
        {"type": "bold", "text": "عاجل"},
        " بيان جديد ",
        {"type": "hashtag", "text": "#الدولة_الإسلامية"},
        " via ",
        {"type": "mention", "text": "@Some_Channel"},
        " ",
        {"type": "link", "text": "https://example.org/a"},
        " and ",
        {"type": "text_link", "text": "here", "href": "https://example.org/hidden"},
    ]
    return {
        "name": name,
        "type": "public_channel",
        "id": CHANNEL_ID,
        "messages": [
            {"id": 1, "type": "service", "date": "2015-11-20T10:00:00", "date_unixtime": ts("2015-11-20T10:00:00"),
             "actor": name, "actor_id": f"channel{CHANNEL_ID}", "action": "create_channel", "title": name,
             "text": "", "text_entities": []},
            msg(2, "2015-11-20T10:05:00", **frm, text=entity_text,
                text_entities=[p if isinstance(p, dict) else {"type": "plain", "text": p} for p in entity_text],
                edited="2015-11-20T10:07:00", edited_unixtime=ts("2015-11-20T10:07:00"), views=1520),
            msg(3, "2015-11-20T11:00:00", **frm, forwarded_from="Amaq Agency", text="forwarded words #Raqqa",
                text_entities=[{"type": "plain", "text": "forwarded words "},
                               {"type": "hashtag", "text": "#Raqqa"}],
                photo="photos/photo_3@20-11-2015_14-00-00.jpg", width=800, height=600),
            msg(4, "2015-11-20T12:00:00", **frm, reply_to_message_id=2, text="reply to the statement",
                text_entities=[{"type": "plain", "text": "reply to the statement"}]),
            msg(5, "2015-11-20T13:00:00", **frm, forwarded_from="Other Channel",
                forwarded_from_id="channel42", file="(File not included. Change data exporting settings to download.)",
                media_type="video_file", mime_type="video/mp4", text="", text_entities=[]),
            {"id": 6, "type": "message", "date": "not a date", "from": name, "from_id": f"channel{CHANNEL_ID}",
             "text": "broken date"},
        ],
    }


def full_export() -> dict:
    chat = {"name": "Friend", "type": "personal_chat", "id": 777,
            "messages": [msg(10, "2016-01-01T09:00:00", **{"from": "Friend", "from_id": "user777"},
                             text="hello @Alice #tag", text_entities=[])]}
    older = {"name": "Old Group", "type": "private_group", "id": 888,
             "messages": [{"id": 1, "type": "message", "date": "2014-05-05T05:05:05", "from": "Bob",
                           "from_id": "user5", "text": ["plain then ", {"type": "bold", "text": "bold"}]}]}
    return {
        "about": "Here is the data you requested. Remember: Telegram is ad free...",
        "personal_information": {"user_id": 1, "first_name": "Me", "phone_number": "+0000"},
        "contacts": {"about": "contacts", "list": []},
        "chats": {"about": "chats", "list": [chat, {**channel_export(), "messages": channel_export()["messages"][:3]}]},
        "left_chats": {"about": "left", "list": [older]},
    }


@pytest.fixture
def channel_file(tmp_path):
    p = tmp_path / "result.json"
    p.write_text(json.dumps(channel_export(), ensure_ascii=False, indent=1), encoding="utf-8")
    return p


def test_channel_export(channel_file, ws):
    assert detect(channel_file).name == "telegram"
    (res,) = ws.ingest([channel_file])
    # 6 messages: 4 posts, the service message (an account observation, no post), 1 quarantined (bad date)
    assert (res.n_read, res.n_loaded, res.n_duplicate, res.n_quarantined) == (6, 5, 0, 1)
    assert ws.sql("SELECT count(*) FROM posts").fetchone()[0] == 4
    assert "unreadable date" in ws.sql("SELECT reason FROM quarantine").fetchone()[0]
    p = ws.sql("SELECT post_id, account_id, created_at, text, hashtags, mentions, urls, extra FROM posts "
               "WHERE post_id = ?", [f"{CHANNEL_ID}:2"]).fetchone()
    assert p[1] == f"channel{CHANNEL_ID}"
    assert p[2] == datetime(2015, 11, 20, 10, 5, tzinfo=timezone.utc)  # from date_unixtime, not local "date"
    assert p[3] == "عاجل بيان جديد #الدولة_الإسلامية via @Some_Channel https://example.org/a and here"
    assert p[4] == ["الدولة_الإسلامية"] and p[5] == ["some_channel"]
    assert p[6] == ["https://example.org/a", "https://example.org/hidden"]
    extra = json.loads(p[7])
    assert extra["views"] == 1520 and extra["edited"] == "2015-11-20T10:07:00"
    assert extra["chat_type"] == "public_channel" and "date_local" not in extra
    fwd = ws.sql("SELECT repost_of_account_id, text, media_urls, extra->>'forwarded_from' FROM posts "
                 "WHERE post_id = ?", [f"{CHANNEL_ID}:3"]).fetchone()
    assert fwd == ("name:Amaq Agency", "forwarded words #Raqqa", ["photos/photo_3@20-11-2015_14-00-00.jpg"],
                   "Amaq Agency")
    assert ws.sql("SELECT reply_to_post_id FROM posts WHERE post_id = ?", [f"{CHANNEL_ID}:4"]).fetchone()[0] \
        == f"{CHANNEL_ID}:2"
    v = ws.sql("SELECT repost_of_account_id, text, extra->>'media_type' FROM posts WHERE post_id = ?",
               [f"{CHANNEL_ID}:5"]).fetchone()
    assert v == ("channel42", "", "video_file")
    acc = ws.sql("SELECT display_name, n_observations FROM account_snapshots WHERE account_id = ?",
                 [f"channel{CHANNEL_ID}"]).fetchone()
    assert acc == ("Nashir News", 5)  # 4 posts + the service message's actor
    (again,) = ws.ingest([channel_file])
    assert again.already_present and ws.sql("SELECT count(*) FROM posts").fetchone()[0] == 4


def test_full_export_with_chat_list(tmp_path, ws):
    p = tmp_path / "result.json"
    p.write_text(json.dumps(full_export(), ensure_ascii=False), encoding="utf-8")
    assert detect(p).name == "telegram"
    (res,) = ws.ingest([p])
    assert (res.n_read, res.n_loaded, res.n_quarantined) == (5, 5, 0)
    rows = dict(ws.sql("SELECT post_id, account_id FROM posts").fetchall())
    assert rows == {"777:10": "user777", f"{CHANNEL_ID}:2": f"channel{CHANNEL_ID}",
                    f"{CHANNEL_ID}:3": f"channel{CHANNEL_ID}", "888:1": "user5"}
    hello = ws.sql("SELECT mentions, hashtags FROM posts WHERE post_id = '777:10'").fetchone()
    assert hello == (["alice"], ["tag"])  # plain-string text: entities parsed from the text
    old = ws.sql("SELECT text, created_at, extra->>'date_local', extra->>'chat_name' FROM posts "
                 "WHERE post_id = '888:1'").fetchone()
    assert old[0] == "plain then bold" and old[2] == "2014-05-05T05:05:05" and old[3] == "Old Group"
    assert old[1] == datetime(2014, 5, 5, 5, 5, 5, tzinfo=timezone.utc)  # only local time known: read as UTC


def test_streams_and_survives_a_cut_export(tmp_path):
    data = json.dumps(channel_export(), ensure_ascii=False, indent=1)
    cut = data[: data.index('"reply to the statement"')]  # the export stops inside message 4
    p = tmp_path / "cut.json"
    p.write_text(cut, encoding="utf-8")
    items = list(get_reader("telegram")(p).records())
    assert [type(i).__name__ for i in items] == ["Parsed", "Parsed", "Parsed", "Rejected"]
    assert "cut or malformed after message 3" in items[-1].reason
    assert isinstance(items[1], Parsed) and items[1].posts[0]["post_id"] == f"{CHANNEL_ID}:2"


def test_not_an_export(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"hello": [1, 2, 3]}', encoding="utf-8")
    with pytest.raises(MarsadError, match="no messages found"):
        list(get_reader("telegram")(p).records())
    p.write_text("not json at all", encoding="utf-8")
    with pytest.raises(MarsadError, match="not a readable Telegram export"):
        list(get_reader("telegram")(p).records())


def test_bad_messages_are_quarantined(tmp_path):
    exp = {"name": "c", "type": "private_channel", "id": 5, "messages": [
        {"id": "x", "type": "message", "date_unixtime": "1500000000", "text": "bad id"},
        {"id": 2, "type": "message", "date_unixtime": "99999999999999", "text": "bad time"},
        {"id": 3, "type": "message", "date_unixtime": "1500000000", "text": 5},
        {"id": 4, "type": "strange", "date_unixtime": "1500000000", "text": ""},
        {"id": 5, "type": "message", "date_unixtime": "1500000000", "text": "ok"},
    ]}
    p = tmp_path / "r.json"
    p.write_text(json.dumps(exp), encoding="utf-8")
    items = list(get_reader("telegram")(p).records())
    assert [type(i).__name__ for i in items] == ["Rejected"] * 4 + ["Parsed"]
    assert all(isinstance(i, Rejected) and i.reason for i in items[:4])
    ok = items[4].posts[0]
    assert ok["account_id"] == "channel5" and ok["post_id"] == "5:5"  # channel posts without from_id
