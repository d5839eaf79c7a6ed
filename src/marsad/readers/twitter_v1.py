"""Twitter API v1.1 tweets ("original format"): REST/Premium/PowerTrack JSON, one tweet per line, one JSON array
of tweets, or streaming-API files mixed with notices (delete, limit, scrub_geo...).

The per-record kernel is :func:`parse_tweet` (a decoded tweet to a :class:`Parsed`), with
``TwitterV1Reader.parse_line`` around it (one JSONL line to its records: a Parsed, or a Rejected for malformed
JSON, notices and missing fields; derived by the base class); both are pure functions, safe to run in worker
processes. The parallel ingest's workers first hand their blocks of lines to :func:`parse_block`, a native (C++)
replay of this kernel for ordinary tweets (``native/v1.cpp``, about 3x faster); every line it is not sure of comes
back to ``parse_line``, so this module stays the definition of what a v1.1 tweet becomes.

Mapping (see ``POST_SCHEMA``):

* text is the full text: ``extended_tweet.full_text`` > ``full_text`` > ``text``, as the API gives it (HTML
  entities such as ``&amp;`` are kept). A retweet's text, mentions, hashtags, urls and media are those of the
  retweeted original (its full text, not the truncated "RT @user: ..."); ``repost_of_*`` name the original.
* ``retweeted_status`` and ``quoted_status`` (also one nested inside the retweeted original) become extra,
  embedded posts of the same record, each with its author's observation. An embedded tweet that cannot be read
  (e.g. it has no user) is left out and named in the primary post's ``extra.dropped_embedded``; the primary
  still records the link.
* every user object is an account observation dated by the outer tweet's ``created_at``: a streamed or
  collected payload carries the profile as it was when that tweet was delivered.
* coordinates: GeoJSON ``coordinates`` is [lon, lat]; the older ``geo`` is [lat, lon].
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

from ..records import PLATFORM_FLOOR, Parsed, RecordError, Rejected, check_coords
from .twitter_common import (
    PLATFORM, V1_NOTICES, RecordPosts, TwitterJsonReader, count, pick, raw_excerpt, strs, to_bool,
    to_id, to_int, to_str, to_time,
)

try:
    from . import _v1native
except ImportError:  # installed without a C++ compiler: the Python kernel reads every line
    _v1native = None

EXTRA_KEYS = (
    "retweet_count", "favorite_count", "quote_count", "reply_count", "possibly_sensitive", "withheld_in_countries",
    "withheld_copyright", "withheld_scope", "filter_level", "matching_rules", "scopes", "timestamp_ms",
)


def notice_kind(t: dict[str, Any]) -> str | None:
    """The kind of a streaming-API notice line ('delete', 'limit', ...), or None for a tweet."""
    if "user" in t or "id_str" in t:
        return None
    for k in V1_NOTICES:
        if k in t:
            return k
    return None


def full_text(t: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(text, entities, extended_entities) of a v1.1 status: the extended tweet's when it has one."""
    ext = t.get("extended_tweet")
    if ext:
        return ext.get("full_text") or t.get("full_text") or t.get("text"), ext.get("entities") or t.get(
            "entities"), ext.get("extended_entities") or t.get("extended_entities")
    text = t.get("full_text")
    return (text if text is not None else t.get("text")), t.get("entities"), t.get("extended_entities")


def _media(ents: Any, xents: Any) -> list[str]:
    media = (xents or {}).get("media") or (ents or {}).get("media")
    if not media:
        return []
    out = []
    for m in media:
        u = m.get("media_url_https") or m.get("media_url")
        if u.__class__ is str:
            out.append(u)
    return out


def _urls(ents: Any) -> list[str]:
    out = []
    for u in (ents or {}).get("urls") or ():
        v = u.get("expanded_url") or u.get("url")
        if v.__class__ is str:
            out.append(v)
    return out


def user_observation(u: Any, observed: Any, position: int) -> dict[str, Any]:
    """One v1.1 user object as an account observation."""
    if not isinstance(u, dict):
        raise RecordError("missing user")
    uid = to_id(u.get("id_str") or u.get("id"), "user id")
    handle = to_str(u.get("screen_name"), "screen_name")
    if uid is None:
        if not handle:
            raise RecordError("user has neither id nor screen_name")
        uid = "@" + handle.lower()
    return {
        "platform": "twitter",
        "account_id": uid,
        "handle": handle,
        "display_name": to_str(u.get("name"), "user name"),
        "description": to_str(u.get("description"), "user description"),
        "location": to_str(u.get("location"), "user location"),
        "utc_offset": to_int(u.get("utc_offset"), "utc_offset"),
        "time_zone": to_str(u.get("time_zone"), "time_zone"),
        "followers": count(u.get("followers_count"), "followers_count"),
        "following": count(u.get("friends_count"), "friends_count"),
        "statuses": count(u.get("statuses_count"), "statuses_count"),
        "created_at": to_time(u.get("created_at"), "user created_at"),
        "avatar_url": to_str(u.get("profile_image_url_https") or u.get("profile_image_url"), "profile image"),
        "verified": to_bool(u.get("verified")),
        "lang": to_str(u.get("lang"), "user lang"),
        "observed_at": observed,
        "record_position": position,
    }


def status_post(t: Any, position: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A v1.1 status on its own (no embedding): its post row and its author's observation (dated by the status)."""
    if not isinstance(t, dict):
        raise RecordError("status is not a JSON object")
    pid = to_id(t.get("id_str") or t.get("id"), "id")
    if pid is None:
        raise RecordError("missing id")
    created = t.get("created_at")
    if created is None:
        raise RecordError("missing created_at")
    created = to_time(created)
    user = t.get("user")
    if not isinstance(user, dict):
        raise RecordError("missing user")
    account = user_observation(user, created, position)
    text, ents, xents = full_text(t)
    if text is None:
        raise RecordError("missing text")
    if ents is None:
        ents = {}
    place = t.get("place") or {}
    lat = lon = None
    coords = t.get("coordinates")
    if coords:
        c = coords.get("coordinates")
        if c:
            lat, lon = check_coords(c[1], c[0])  # GeoJSON: [lon, lat]
    elif t.get("geo"):
        c = t["geo"].get("coordinates")
        if c:
            lat, lon = check_coords(c[0], c[1])  # legacy geo: [lat, lon]
    extra = pick(t, EXTRA_KEYS, {})
    symbols = ents.get("symbols")
    if symbols:
        extra["symbols"] = strs(symbols, "text")
    if place:
        pick(place, ("id", "place_type", "country"), extra.setdefault("place", {}))
    derived = user.get("derived")
    if derived and derived.get("locations"):  # Gnip profile-geo enrichment
        extra["user_derived_locations"] = derived["locations"]
    if "withheld_in_countries" in user:
        extra["user_withheld_in_countries"] = user["withheld_in_countries"]
    qid = t.get("quoted_status_id_str") or t.get("quoted_status_id")
    post = {
        "platform": "twitter",
        "post_id": pid,
        "account_id": account["account_id"],
        "account_handle": account["handle"],
        "created_at": created,
        "text": to_str(text, "text"),
        "lang": to_str(t.get("lang"), "lang"),
        "source": to_str(t.get("source"), "source"),
        "reply_to_post_id": to_id(t.get("in_reply_to_status_id_str") or t.get("in_reply_to_status_id"),
                                  "in_reply_to_status_id"),
        "reply_to_account_id": to_id(t.get("in_reply_to_user_id_str") or t.get("in_reply_to_user_id"),
                                     "in_reply_to_user_id"),
        "reply_to_handle": to_str(t.get("in_reply_to_screen_name"), "in_reply_to_screen_name"),
        "quote_of_post_id": to_id(qid, "quoted_status_id") if qid is not None else None,
        "mentions": strs(ents.get("user_mentions"), "screen_name", lower=True),
        "hashtags": strs(ents.get("hashtags"), "text"),
        "urls": _urls(ents),
        "media_urls": _media(ents, xents),
        "lat": lat,
        "lon": lon,
        "place_country_code": to_str(place.get("country_code"), "place country_code") or None,
        "place_name": to_str(place.get("full_name") or place.get("name"), "place name"),
        "extra": extra,
        "record_position": position,
    }
    return post, account


def parse_tweet(t: Any, position: int) -> Parsed:
    """One decoded v1.1 tweet to its primary post, embedded originals/quotes, and account observations."""
    post, account = status_post(t, position)
    rec = RecordPosts(post, account, position)
    rt = t.get("retweeted_status")
    quoted_owner = t
    if rt:
        if not isinstance(rt, dict):
            raise RecordError("retweeted_status is not a JSON object")
        text, ents, xents = full_text(rt)
        ents = ents or {}
        post["text"] = to_str(text, "retweeted text")
        post["mentions"] = strs(ents.get("user_mentions"), "screen_name", lower=True)
        post["hashtags"] = strs(ents.get("hashtags"), "text")
        post["urls"] = _urls(ents)
        post["media_urls"] = _media(ents, xents)
        post["quote_of_post_id"] = None  # a quote inside a retweet belongs to the original
        post["repost_of_post_id"] = to_id(rt.get("id_str") or rt.get("id"), "retweeted id")
        ru = rt.get("user")
        if isinstance(ru, dict):
            post["repost_of_account_id"] = to_id(ru.get("id_str") or ru.get("id"), "retweeted user id")
            post["repost_of_handle"] = to_str(ru.get("screen_name"), "retweeted screen_name")
        rec.embed(status_post, rt, "retweeted", "id_str")
        quoted_owner = rt
    qs = quoted_owner.get("quoted_status")
    if qs:
        if not isinstance(qs, dict):
            raise RecordError("quoted_status is not a JSON object")
        qu = qs.get("user")
        owner = post if quoted_owner is t else (rec.posts[1] if len(rec.posts) > 1 else None)
        if owner is not None:
            if owner["quote_of_post_id"] is None:
                owner["quote_of_post_id"] = to_id(qs.get("id_str") or qs.get("id"), "quoted id")
            if isinstance(qu, dict):
                owner["quote_of_account_id"] = to_id(qu.get("id_str") or qu.get("id"), "quoted user id")
        rec.embed(status_post, qs, "quoted", "id_str")
    return rec.parsed()


def value_records(obj: Any, position: int) -> list[Parsed | Rejected]:
    if not isinstance(obj, dict):
        return [Rejected(position, f"not a tweet: a JSON {type(obj).__name__}", raw_excerpt(obj))]
    kind = notice_kind(obj)
    if kind is not None:
        return [Rejected(position, f"not a post: {kind} notice", raw_excerpt(obj))]
    return [parse_tweet(obj, position)]


def parse_block(buf: bytes, first_line: int, options: dict[str, Any] | None = None) -> tuple:
    """Many JSONL lines at once through the native fast path (``native/v1.cpp``), which replays this module's
    kernel for ordinary tweets and hands back every line it is not sure of as ``(line number, start, end)`` for
    :meth:`TwitterV1Reader.parse_line`. Returns ``(posts, keys, n_posts, accounts, n_accounts, n_lines_read,
    handed_back)`` with the rows as staged JSON lines (``keys``: the posts' key columns, ``staging.KEY_SCHEMA``).
    The date limits are this module's: ``check_date``'s, to the second."""
    floor = math.ceil(PLATFORM_FLOOR[PLATFORM].timestamp())
    future = math.floor((datetime.now(timezone.utc) + timedelta(days=2)).timestamp())
    return _v1native.parse_block(buf, first_line, floor, future)


class TwitterV1Reader(TwitterJsonReader):
    name = "twitter-v1"
    kind = "v1"
    description = "Twitter API v1.1 JSON: JSONL, a JSON array, or streaming-API output (retweets, quotes, notices)"

    value_records = staticmethod(value_records)
    if _v1native is not None:
        parse_block = staticmethod(parse_block)
