"""The CSV that ``twarc2 csv`` (the twarc-csv plugin) writes from Twitter API v2 data.

Columns are the flattened v2 fields: id, conversation_id, referenced_tweets.{replied_to,retweeted,quoted}.id,
author_id, in_reply_to_user_id, in_reply_to_username, retweeted_user_id, retweeted_username, quoted_user_id,
created_at, text, lang, source, public_metrics.*, entities.{hashtags,mentions,urls,...} (JSON lists written as
"#tag", "@user", expanded urls), attachments.media, author.* (username, name, description, location,
public_metrics.followers_count, created_at, verified, profile_image_url ...), geo.* (coordinates, country_code,
full_name), __twarc.retrieved_at.

twarc-csv's defaults shape what is in the file: retweets are merged (a retweet's text and entities are the
original's, which is the canonical form here too; when the original was not in the data, the text stays the
truncated "RT @x: ..." and x is taken as ``repost_of_handle``), newlines inside fields are written as a literal
``\\n`` (undone here), and ``--json-encode-text`` / ``--json-encode-all`` write strings as JSON (undone too). The
originals of retweets and quotes are not rows of their own, so they are known only by id.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import orjson

from ..records import Parsed, RecordError, Rejected, check_coords, check_date, retweet_prefix, text_entities
from .base import Reader
from .csvrows import Row, count_cell, extra_json, header_score, iter_rows, parse_rows, sniff_header
from .generic import parse_datetime

PLATFORM = "twitter"
REQUIRED = {"id", "author_id", "created_at", "text", "referenced_tweets.retweeted.id", "author.username"}
TYPICAL = {"conversation_id", "referenced_tweets.replied_to.id", "referenced_tweets.quoted.id",
           "in_reply_to_user_id", "retweeted_user_id", "lang", "source", "entities.hashtags", "entities.mentions",
           "entities.urls", "author.public_metrics.followers_count", "__twarc.retrieved_at"}
METRICS = ("retweet_count", "reply_count", "like_count", "quote_count", "impression_count", "bookmark_count")


def _json(value: str | None) -> Any:
    """A cell twarc-csv JSON-encoded (lists always; strings with --json-encode-*); None when empty."""
    if value is None or value == "":
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


def _text(value: str | None) -> str | None:
    """Undo twarc-csv's text encoding: a JSON string (json-encode-text) or the literal \\n newline escape."""
    if value is None or value == "":
        return value
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        v = _json(value)
        if isinstance(v, str):
            return v
    return value.replace("\\n", "\n")


def _list(value: str | None, prefix: str = "") -> list[str]:
    v = _json(value)
    if v is None:
        return []
    if not isinstance(v, list):
        v = [v]
    return [str(x)[len(prefix):] if prefix and str(x).startswith(prefix) else str(x) for x in v if x not in (None, "")]


def _id(value: str | None, what: str) -> str | None:
    v = (_text(value) or "").strip()
    if not v:
        return None
    if v.endswith(".0"):
        v = v[:-2]
    if not v.isdigit():
        raise RecordError(f"{what} is not a numeric id: {v[:30]!r}")
    return v


def _bool(value: str | None) -> bool | None:
    v = (value or "").strip().lower()
    return True if v == "true" else False if v == "false" else None


class TwarcCsvReader(Reader):
    name = "twarc-csv"
    platform = PLATFORM
    description = "CSV written by `twarc2 csv` from Twitter API v2 data (id, referenced_tweets.*.id, author.* ...)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        return header_score(sniff_header(head, path), REQUIRED, TYPICAL)

    def records(self) -> Iterator[Parsed | Rejected]:
        return parse_rows(iter_rows(self.path), self._row)

    def _row(self, row: Row) -> Parsed | None:
        g = row.get
        if g("id") == "id" and g("author_id") == "author_id":
            return None  # a header repeated by concatenating CSVs
        post_id = _id(g("id"), "id")
        if post_id is None:
            raise RecordError("missing id")
        account_id = _id(g("author_id"), "author_id") or _id(g("author.id"), "author.id")
        if account_id is None:
            raise RecordError("missing author_id")
        created = check_date(parse_datetime(g("created_at")), PLATFORM)
        if created is None:
            raise RecordError("missing created_at")
        observed = check_date(parse_datetime(g("__twarc.retrieved_at")), PLATFORM, "__twarc.retrieved_at")
        text = _text(row.values.get("text")) or ""
        # entity columns present but empty mean the API gave none (e.g. a withheld tweet's notice naming @x);
        # the text is parsed only when the file has no entity columns at all
        ents = {k: [] for k in ("mentions", "hashtags", "urls")} if "entities.mentions" in row.values \
            else text_entities(text)
        handle = _text(g("author.username"))
        geo = _json(g("geo.coordinates.coordinates"))
        lat = lon = None
        if isinstance(geo, list) and len(geo) == 2:  # GeoJSON order: [lon, lat]
            lat, lon = check_coords(geo[1], geo[0])
        media = _json(g("attachments.media"))
        media_urls = [m.get("url") or m.get("preview_image_url") for m in media or [] if isinstance(m, dict)]
        cc = _text(g("geo.country_code"))
        post = {
            "platform": PLATFORM, "post_id": post_id, "account_id": account_id, "account_handle": handle,
            "created_at": created, "text": text, "lang": _text(g("lang")), "source": _text(g("source")),
            "repost_of_post_id": _id(g("referenced_tweets.retweeted.id"), "referenced_tweets.retweeted.id"),
            "repost_of_account_id": _id(g("retweeted_user_id"), "retweeted_user_id"),
            "repost_of_handle": _text(g("retweeted_username"))
            or (retweet_prefix(text) if g("referenced_tweets.retweeted.id") else None),
            "reply_to_post_id": _id(g("referenced_tweets.replied_to.id"), "referenced_tweets.replied_to.id"),
            "reply_to_account_id": _id(g("in_reply_to_user_id"), "in_reply_to_user_id"),
            "reply_to_handle": _text(g("in_reply_to_username")),
            "quote_of_post_id": _id(g("referenced_tweets.quoted.id"), "referenced_tweets.quoted.id"),
            "quote_of_account_id": _id(g("quoted_user_id"), "quoted_user_id"),
            "mentions": [m.lower() for m in _list(g("entities.mentions"), "@")] or ents["mentions"],
            "hashtags": _list(g("entities.hashtags"), "#") or ents["hashtags"],
            "urls": _list(g("entities.urls")) or ents["urls"],
            "media_urls": [u for u in media_urls if u],
            "lat": lat, "lon": lon,
            "place_country_code": cc.upper() if cc and len(cc) == 2 else None,
            "place_name": _text(g("geo.full_name")),
            "extra": extra_json({
                "conversation_id": _text(g("conversation_id")),
                "public_metrics": {m: count_cell(g(f"public_metrics.{m}"), m) for m in METRICS
                                   if g(f"public_metrics.{m}")},
                "possibly_sensitive": _bool(g("possibly_sensitive")),
                "withheld_country_codes": _list(g("withheld.country_codes")),
                "edit_history_tweet_ids": _list(g("edit_history_tweet_ids")),
                "media_keys": _list(g("attachments.media_keys")),
                "place_id": _text(g("geo.place_id")),
            }),
        }
        acc = {
            "platform": PLATFORM, "account_id": account_id, "handle": handle,
            "display_name": _text(g("author.name")), "description": _text(g("author.description")),
            "location": _text(g("author.location")),
            "followers": count_cell(g("author.public_metrics.followers_count"), "followers_count"),
            "following": count_cell(g("author.public_metrics.following_count"), "following_count"),
            "statuses": count_cell(g("author.public_metrics.tweet_count"), "tweet_count"),
            "created_at": check_date(parse_datetime(g("author.created_at")), PLATFORM, "author.created_at"),
            "avatar_url": _text(g("author.profile_image_url")), "verified": _bool(g("author.verified")),
            "observed_at": observed or created,
        }
        return Parsed(row.position, [post], [acc])
