"""TAGS (Martin Hawksey's Twitter Archiving Google Sheet) exported as CSV.

Columns: id_str, from_user, text, created_at, time, geo_coordinates, user_lang, in_reply_to_user_id_str,
in_reply_to_screen_name, from_user_id_str, in_reply_to_status_id_str, source, profile_image_url,
user_followers_count, user_friends_count, user_location, status_url, entities_str.

``entities_str`` is the v1.1 ``entities`` object as JSON: hashtags, mentions (with user ids), expanded urls and media
come from it (from the text when it is empty or unreadable). Retweets are "RT @x: ..." texts; when the entities
name x, ``repost_of_account_id`` is x's platform id. ``source`` is kept raw (HTML). Each row is also an account
observation (followers, friends, location, avatar) at the tweet's time.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import orjson

from ..records import (
    ContentIds, Parsed, RecordError, Rejected, check_coords, check_date, handle_account_id,
)
from .base import Reader
from .csvrows import Row, count_cell, extra_json, header_score, iter_rows, parse_rows, sniff_header, text_fields
from .generic import parse_datetime

PLATFORM = "twitter"
REQUIRED = {"id_str", "from_user", "text", "created_at", "from_user_id_str", "entities_str"}
TYPICAL = {"time", "geo_coordinates", "user_lang", "in_reply_to_user_id_str", "in_reply_to_screen_name",
           "in_reply_to_status_id_str", "source", "profile_image_url", "user_followers_count",
           "user_friends_count", "user_location", "status_url"}
_FLOAT = re.compile(r"-?\d+(?:\.\d+)?")


def _id(value: str | None, what: str) -> str | None:
    if not value:
        return None
    v = value.strip()
    if not v.isdigit():
        raise RecordError(f"{what} is not a number: {v[:30]!r}")
    return v


def _entities(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        ents = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return ents if isinstance(ents, dict) else None


class TagsReader(Reader):
    name = "tags"
    platform = PLATFORM
    description = "TAGS Google-Sheet archive CSV (id_str, from_user, text, ..., source, entities_str)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        return header_score(sniff_header(head, path), REQUIRED, TYPICAL)

    def records(self) -> Iterator[Parsed | Rejected]:
        ids = ContentIds()
        return parse_rows(iter_rows(self.path), lambda row: self._row(row, ids))

    def _row(self, row: Row, ids: ContentIds) -> Parsed:
        handle = row.get("from_user")
        if not handle:
            raise RecordError("missing from_user")
        account_id = _id(row.get("from_user_id_str"), "from_user_id_str") or handle_account_id(handle)
        text = row.values.get("text") or ""
        created = check_date(parse_datetime(row.get("created_at")), PLATFORM)
        if created is None:
            raise RecordError("missing created_at")
        post = text_fields(text)
        extra: dict[str, Any] = {"status_url": row.get("status_url"), "time_local": row.get("time")}
        ents = _entities(row.get("entities_str"))
        if ents is not None:
            mentions = [m for m in ents.get("user_mentions") or [] if isinstance(m, dict)]
            post["mentions"] = [str(m.get("screen_name", "")).lower() for m in mentions if m.get("screen_name")]
            post["hashtags"] = [str(h.get("text")) for h in ents.get("hashtags") or []
                                if isinstance(h, dict) and h.get("text")]
            urls = [u.get("expanded_url") or u.get("url") for u in ents.get("urls") or [] if isinstance(u, dict)]
            post["urls"] = [u for u in urls if u]
            post["media_urls"] = [m.get("media_url_https") or m.get("media_url")
                                  for m in ents.get("media") or [] if isinstance(m, dict)
                                  and (m.get("media_url_https") or m.get("media_url"))]
            rt = post.get("repost_of_handle")
            if rt:
                for m in mentions:
                    if str(m.get("screen_name", "")).lower() == rt.lower() and m.get("id_str"):
                        post["repost_of_account_id"] = str(m["id_str"])
                        break
        elif row.get("entities_str"):
            extra["entities_unreadable"] = True
        lat = lon = None
        geo = _FLOAT.findall(row.get("geo_coordinates") or "")
        if len(geo) == 2:  # TAGS writes "loc: lat,lon"
            lat, lon = check_coords(geo[0], geo[1])
        reply_sn = row.get("in_reply_to_screen_name")
        post.update(
            platform=PLATFORM,
            post_id=_id(row.get("id_str"), "id_str") or ids(PLATFORM, account_id, created.isoformat(), text),
            account_id=account_id, account_handle=handle, created_at=created, source=row.get("source"),
            reply_to_post_id=_id(row.get("in_reply_to_status_id_str"), "in_reply_to_status_id_str"),
            reply_to_account_id=_id(row.get("in_reply_to_user_id_str"), "in_reply_to_user_id_str")
            or (handle_account_id(reply_sn) if reply_sn else None),
            reply_to_handle=reply_sn, lat=lat, lon=lon, extra=extra_json(extra),
        )
        acc = {
            "platform": PLATFORM, "account_id": account_id, "handle": handle,
            "followers": count_cell(row.get("user_followers_count"), "user_followers_count"),
            "following": count_cell(row.get("user_friends_count"), "user_friends_count"),
            "location": row.get("user_location"), "avatar_url": row.get("profile_image_url"),
            "lang": row.get("user_lang"), "observed_at": created,
        }
        return Parsed(row.position, [post], [acc])
