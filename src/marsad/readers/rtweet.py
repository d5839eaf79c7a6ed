"""CSV written from R: the ``twitteR`` / early ``rtweet`` layout and modern ``rtweet::write_as_csv``.

* twitteR (``twListToDF``): "" (row number), text, favorited, favoriteCount, replyToSN, created, truncated,
  replyToSID, id, replyToUID, statusSource, screenName, retweetCount, isRetweet, retweeted, longitude, latitude.
  Missing values are the string ``NA``; ``created`` is UTC. A retweet's text is "RT @x: ..." (truncated by
  Twitter), so the original is known only by its author's handle.
* rtweet (``write_as_csv``): status_id, user_id, created_at, screen_name, text, source, is_retweet,
  retweet_status_id, retweet_user_id, retweet_screen_name, retweet_text, reply_to_*, quoted_*, hashtags,
  mentions_screen_name, urls_expanded_url, media_url, lang, country_code, place_full_name, geo_coords, and the
  account columns (followers_count, friends_count, statuses_count, location, description, ...). Ids may carry
  rtweet's ``x`` prefix (its guard against spreadsheets); list cells are space-separated.

``statusSource``/``source`` is kept raw (HTML for twitteR).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from ..records import (
    ContentIds, Parsed, RecordError, Rejected, check_coords, check_date, handle_account_id, text_entities,
)
from .base import Reader
from .csvrows import Row, count_cell, extra_json, header_score, iter_rows, parse_rows, sniff_header, text_fields
from .generic import parse_datetime

PLATFORM = "twitter"
TWITTER_R_REQUIRED = {"text", "created", "id", "statusSource", "screenName", "isRetweet"}
TWITTER_R_TYPICAL = {"favorited", "favoriteCount", "replyToSN", "truncated", "replyToSID", "replyToUID",
                     "retweetCount", "retweeted", "longitude", "latitude"}
RTWEET_REQUIRED = {"status_id", "user_id", "created_at", "screen_name", "text", "is_retweet"}
RTWEET_TYPICAL = {"source", "reply_to_status_id", "retweet_status_id", "retweet_screen_name", "hashtags",
                  "mentions_screen_name", "followers_count", "friends_count", "statuses_count", "lang"}
_NA = ("NA", "NaN", "")


def cell(row: Row, column: str) -> str | None:
    """A cell with R's missing markers (NA) as None."""
    v = row.values.get(column)
    return None if v is None or v.strip() in _NA else v


def r_id(value: str | None) -> str | None:
    """An id cell with rtweet's 'x' prefix removed; None when missing or unusable (a spreadsheet's 1.12064E+18)."""
    if value is None:
        return None
    v = value.strip().lstrip("x")
    return v if v.isdigit() else None


def r_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().upper()
    if v in ("TRUE", "T", "1"):
        return True
    if v in ("FALSE", "F", "0"):
        return False
    raise RecordError(f"not a boolean: {value[:20]!r}")


def r_list(value: str | None) -> list[str]:
    """rtweet's space-separated list cells (NA for empty); tolerate R's c("a", "b") too."""
    if value is None:
        return []
    v = value.strip()
    if v.startswith("c(") and v.endswith(")"):
        return re.findall(r'"([^"]*)"', v)
    return [p for p in v.split() if p not in _NA]


class RtweetReader(Reader):
    name = "rtweet"
    platform = PLATFORM
    description = "R twitteR/rtweet CSV (statusSource, isRetweet, replyToSID ... or rtweet's write_as_csv columns)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        header = sniff_header(head, path)
        return max(header_score(header, TWITTER_R_REQUIRED, TWITTER_R_TYPICAL),
                   header_score(header, RTWEET_REQUIRED, RTWEET_TYPICAL))

    def records(self) -> Iterator[Parsed | Rejected]:
        ids = ContentIds()

        def kernel(row: Row) -> Parsed:
            return self._modern(row, ids) if "status_id" in row.values else self._twitter_r(row, ids)

        return parse_rows(iter_rows(self.path), kernel)

    # --- twitteR ------------------------------------------------------------------------------------------------
    def _twitter_r(self, row: Row, ids: ContentIds) -> Parsed:
        handle = cell(row, "screenName")
        if not handle:
            raise RecordError("missing screenName")
        text = row.values.get("text") or ""
        created = check_date(parse_datetime(cell(row, "created")), PLATFORM)
        if created is None:
            raise RecordError("missing created")
        is_rt = r_bool(cell(row, "isRetweet"))
        post = text_fields(text, strip_rt=is_rt is not False)
        lat, lon = check_coords(cell(row, "latitude"), cell(row, "longitude"))
        account_id = handle_account_id(handle)
        reply_sn = cell(row, "replyToSN")
        raw_id = cell(row, "id")
        extra = {"row": cell(row, ""), "id_unusable": raw_id if raw_id and not r_id(raw_id) else None,
                 "favorite_count": count_cell(cell(row, "favoriteCount"), "favoriteCount"),
                 "retweet_count": count_cell(cell(row, "retweetCount"), "retweetCount"),
                 "truncated": r_bool(cell(row, "truncated")), "is_retweet": is_rt,
                 "retweet_handle_unknown": bool(is_rt and not post.get("repost_of_handle")) or None}
        post.update(
            platform=PLATFORM,
            post_id=r_id(cell(row, "id")) or ids(PLATFORM, account_id, created.isoformat(), text),
            account_id=account_id, account_handle=handle, created_at=created, source=cell(row, "statusSource"),
            reply_to_post_id=r_id(cell(row, "replyToSID")), reply_to_account_id=r_id(cell(row, "replyToUID"))
            or (handle_account_id(reply_sn) if reply_sn else None), reply_to_handle=reply_sn,
            lat=lat, lon=lon, extra=extra_json(extra),
        )
        acc = {"platform": PLATFORM, "account_id": account_id, "handle": handle, "observed_at": created}
        return Parsed(row.position, [post], [acc])

    # --- rtweet write_as_csv ------------------------------------------------------------------------------------
    def _modern(self, row: Row, ids: ContentIds) -> Parsed:
        handle = cell(row, "screen_name")
        account_id = r_id(cell(row, "user_id")) or (handle_account_id(handle) if handle else None)
        if not account_id:
            raise RecordError("missing user_id and screen_name")
        created = check_date(parse_datetime(cell(row, "created_at")), PLATFORM)
        if created is None:
            raise RecordError("missing created_at")
        text = row.values.get("text") or ""
        is_rt = r_bool(cell(row, "is_retweet"))
        rt_text = cell(row, "retweet_text")
        post: dict[str, Any] = {}
        if is_rt:
            rt_handle = cell(row, "retweet_screen_name")
            post.update(repost_of_post_id=r_id(cell(row, "retweet_status_id")),
                        repost_of_account_id=r_id(cell(row, "retweet_user_id"))
                        or (handle_account_id(rt_handle) if rt_handle else None),
                        repost_of_handle=rt_handle)
            if not rt_handle:  # no retweet columns: fall back on the "RT @x:" prefix
                post.update({k: v for k, v in text_fields(text).items() if k.startswith("repost_of")})
            full = rt_text or text_fields(text)["text"]
        else:
            full = text
        ents = text_entities(text)
        hashtags = r_list(cell(row, "hashtags")) or ents["hashtags"]
        mentions = [m.lower() for m in r_list(cell(row, "mentions_screen_name"))] or ents["mentions"]
        urls = r_list(cell(row, "urls_expanded_url")) or ents["urls"]
        lat = lon = None
        coords = r_list(cell(row, "geo_coords")) or r_list(cell(row, "coords_coords"))
        if len(coords) == 2:  # rtweet writes geo_coords as "lat lng"
            lat, lon = check_coords(coords[0], coords[1])
        cc = cell(row, "country_code")
        reply_sn = cell(row, "reply_to_screen_name")
        post.update(
            platform=PLATFORM,
            post_id=r_id(cell(row, "status_id")) or ids(PLATFORM, account_id, created.isoformat(), text),
            account_id=account_id, account_handle=handle, created_at=created, text=full,
            lang=cell(row, "lang"), source=cell(row, "source"),
            reply_to_post_id=r_id(cell(row, "reply_to_status_id")),
            reply_to_account_id=r_id(cell(row, "reply_to_user_id"))
            or (handle_account_id(reply_sn) if reply_sn else None), reply_to_handle=reply_sn,
            quote_of_post_id=r_id(cell(row, "quoted_status_id")) if r_bool(cell(row, "is_quote")) else None,
            quote_of_account_id=r_id(cell(row, "quoted_user_id")) if r_bool(cell(row, "is_quote")) else None,
            hashtags=hashtags, mentions=mentions, urls=urls, media_urls=r_list(cell(row, "media_url")),
            lat=lat, lon=lon, place_country_code=cc.upper() if cc and len(cc) == 2 else None,
            place_name=cell(row, "place_full_name"),
            extra=extra_json({"favorite_count": count_cell(cell(row, "favorite_count"), "favorite_count"),
                              "retweet_count": count_cell(cell(row, "retweet_count"), "retweet_count"),
                              "is_retweet": is_rt}),
        )
        acc = {
            "platform": PLATFORM, "account_id": account_id, "handle": handle, "display_name": cell(row, "name"),
            "description": cell(row, "description"), "location": cell(row, "location"),
            "followers": count_cell(cell(row, "followers_count"), "followers_count"),
            "following": count_cell(cell(row, "friends_count"), "friends_count"),
            "statuses": count_cell(cell(row, "statuses_count"), "statuses_count"),
            "created_at": check_date(parse_datetime(cell(row, "account_created_at")), PLATFORM,
                                     "account_created_at"),
            "avatar_url": cell(row, "profile_image_url"), "lang": cell(row, "account_lang"),
            "verified": r_bool(cell(row, "verified")), "observed_at": created,
        }
        return Parsed(row.position, [post], [acc])
