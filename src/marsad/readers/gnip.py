"""Gnip / PowerTrack "activity streams" tweets (``actor``, ``verb``, ``object``, ``generator``...).

The per-record kernel is :func:`parse_activity`, with ``GnipActivityReader.parse_line`` around it for JSONL
lines; both are pure functions.

Mapping, chosen so that the same tweet read from v1.1 JSON and from activity streams gives the same row:

* ids come from ``tag:search.twitter.com,2005:NNN`` (posts) and ``id:twitter.com:NNN`` (actors).
* verb ``share`` is a retweet: ``object`` is the original activity; the retweet's text, mentions, hashtags, urls
  and media are the original's (full text from ``long_object.body``), and the original becomes an embedded post.
  ``twitter_quoted_status`` is the quoted activity, embedded too.
* ``source`` is rebuilt from ``generator`` in the v1.1 form ``<a href="LINK" rel="nofollow">NAME</a>``, so that
  device mapping treats both formats alike.
* ``geo`` is [lat, lon]; ``location`` is the tagged place (``twitter_country_code``, ``displayName``).
* replies: the post id and handle come from ``inReplyTo.link``; the account id from the matching user mention.
* actor fields map to the account observation (utcOffset, twitterTimeZone, location.displayName, counts,
  postedTime = account creation, preferredUsername, displayName, summary, image, verified, languages[0]),
  dated by the activity's ``postedTime``.
"""
from __future__ import annotations

from typing import Any

from ..records import Parsed, RecordError, Rejected, check_coords
from .twitter_common import (
    GNIP_NOTICES, RecordPosts, TwitterJsonReader, a_href, count, raw_excerpt, strs, to_bool, to_id,
    to_int, to_str, to_time,
)


def _tail_id(value: Any, what: str) -> str | None:
    """'tag:search.twitter.com,2005:867834809732677634' or 'id:twitter.com:2382763597' -> the number."""
    if value is None:
        return None
    if value.__class__ is int:
        return to_id(value, what)
    if value.__class__ is not str:
        raise RecordError(f"{what} has type {type(value).__name__}")
    return to_id(value.rsplit(":", 1)[-1], what)


def _seconds(d: Any) -> Any:
    """Account creation to the second, as v1.1 gives it, so both formats' observations of an account agree."""
    return d.replace(microsecond=0) if d is not None else None


def actor_observation(a: Any, observed: Any, position: int) -> dict[str, Any]:
    if not isinstance(a, dict):
        raise RecordError("missing actor")
    aid = _tail_id(a.get("id"), "actor id")
    handle = to_str(a.get("preferredUsername"), "preferredUsername")
    if aid is None:
        if not handle:
            raise RecordError("actor has neither id nor preferredUsername")
        aid = "@" + handle.lower()
    loc = a.get("location")
    langs = a.get("languages")
    return {
        "platform": "twitter",
        "account_id": aid,
        "handle": handle,
        "display_name": to_str(a.get("displayName"), "actor displayName"),
        "description": to_str(a.get("summary"), "actor summary"),
        "location": to_str(loc.get("displayName"), "actor location") if loc else None,
        "utc_offset": to_int(a.get("utcOffset"), "utcOffset"),
        "time_zone": to_str(a.get("twitterTimeZone"), "twitterTimeZone"),
        "followers": count(a.get("followersCount"), "followersCount"),
        "following": count(a.get("friendsCount"), "friendsCount"),
        "statuses": count(a.get("statusesCount"), "statusesCount"),
        "created_at": _seconds(to_time(a.get("postedTime"), "actor postedTime")),
        "avatar_url": to_str(a.get("image"), "actor image"),
        "verified": to_bool(a.get("verified")),
        "lang": to_str(langs[0], "actor language") if langs else None,
        "observed_at": observed,
        "record_position": position,
    }


def _content(a: dict[str, Any]) -> tuple[Any, dict[str, Any], Any]:
    """(full text, entities, extended entities) of an activity: the long object's when it has one."""
    long = a.get("long_object")
    if long:
        return (long.get("body") or a.get("body"), long.get("twitter_entities") or a.get("twitter_entities") or {},
                long.get("twitter_extended_entities") or a.get("twitter_extended_entities"))
    return a.get("body"), a.get("twitter_entities") or {}, a.get("twitter_extended_entities")


def _entity_columns(ents: dict[str, Any], xents: Any) -> dict[str, list[str]]:
    urls = []
    for u in ents.get("urls") or ():
        v = u.get("expanded_url") or u.get("url")
        if v.__class__ is str:
            urls.append(v)
    media = (xents or {}).get("media") or ents.get("media") or ()
    return {
        "mentions": strs(ents.get("user_mentions"), "screen_name", lower=True),
        "hashtags": strs(ents.get("hashtags"), "text"),
        "urls": urls,
        "media_urls": [m for m in (x.get("media_url_https") or x.get("media_url") for x in media)
                       if m.__class__ is str],
    }


def _link_parts(link: Any) -> tuple[str | None, str | None]:
    """'http://twitter.com/notFromShrek/statuses/861645830863822848' -> ('notFromShrek', '861645830863822848')."""
    if link.__class__ is not str:
        return None, None
    parts = link.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-2] in ("statuses", "status") and parts[-1].isdigit():
        return parts[-3] or None, parts[-1]
    return None, None


def activity_post(a: Any, position: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An activity on its own (no embedding): its post row and its actor's observation."""
    if not isinstance(a, dict):
        raise RecordError("activity is not a JSON object")
    pid = _tail_id(a.get("id"), "id")
    if pid is None:
        raise RecordError("missing id")
    created = a.get("postedTime")
    if created is None:
        raise RecordError("missing postedTime")
    created = to_time(created, "postedTime")
    account = actor_observation(a.get("actor"), created, position)
    text, ents, xents = _content(a)
    if text is None:
        raise RecordError("missing body")
    gen = a.get("generator") or {}
    loc = a.get("location") or {}
    lat = lon = None
    geo = a.get("geo")
    if geo:
        c = geo.get("coordinates")
        if c:
            lat, lon = check_coords(c[0], c[1])  # activity streams geo: [lat, lon]
    reply_handle, reply_id = _link_parts((a.get("inReplyTo") or {}).get("link"))
    reply_account = None
    if reply_handle:
        for m in ents.get("user_mentions") or ():
            if str(m.get("screen_name", "")).lower() == reply_handle.lower():
                reply_account = to_id(m.get("id_str") or m.get("id"), "mention id")
                break
    extra: dict[str, Any] = {}
    for src, dst in (("retweetCount", "retweet_count"), ("favoritesCount", "favorite_count"),
                     ("twitter_filter_level", "filter_level")):
        v = a.get(src)
        if v is not None:
            extra[dst] = v
    gnip = a.get("gnip") or {}
    for src, dst in (("matching_rules", "matching_rules"), ("profileLocations", "profile_locations")):
        if gnip.get(src):
            extra[dst] = gnip[src]
    if ents.get("symbols"):
        extra["symbols"] = strs(ents["symbols"], "text")
    for k in ("withheld_in_countries", "withheld_copyright", "withheld_scope"):
        v = a.get(k, a.get("twitter_" + k))
        if v is not None:
            extra[k] = v
    post = {
        "platform": "twitter",
        "post_id": pid,
        "account_id": account["account_id"],
        "account_handle": account["handle"],
        "created_at": created,
        "text": to_str(text, "body"),
        "lang": to_str(a.get("twitter_lang"), "twitter_lang"),
        "source": a_href(to_str(gen.get("link"), "generator link"), to_str(gen.get("displayName"), "generator")),
        "reply_to_post_id": reply_id,
        "reply_to_account_id": reply_account,
        "reply_to_handle": reply_handle,
        "lat": lat,
        "lon": lon,
        "place_country_code": to_str(loc.get("twitter_country_code"), "twitter_country_code") or None,
        "place_name": to_str(loc.get("displayName") or loc.get("name"), "location displayName"),
        "extra": extra,
        "record_position": position,
        **_entity_columns(ents, xents),
    }
    return post, account


def parse_activity(a: Any, position: int) -> Parsed:
    """One activity (verb post or share) to its primary post, embedded original/quote, and actor observations."""
    post, account = activity_post(a, position)
    rec = RecordPosts(post, account, position)

    original = None
    if a.get("verb") == "share":
        obj = a.get("object")
        if not isinstance(obj, dict):
            raise RecordError("share without its original object")
        text, ents, xents = _content(obj)
        post["text"] = to_str(text, "original body") if text is not None else post["text"]
        post.update(_entity_columns(ents, xents))
        post["repost_of_post_id"] = _tail_id(obj.get("id"), "original id")
        actor = obj.get("actor")
        if isinstance(actor, dict):
            post["repost_of_account_id"] = _tail_id(actor.get("id"), "original actor id")
            post["repost_of_handle"] = to_str(actor.get("preferredUsername"), "original preferredUsername")
        original = rec.embed(activity_post, obj, "retweeted", "id")
    qs = a.get("twitter_quoted_status")
    if original is not None:
        qs = (a.get("object") or {}).get("twitter_quoted_status") or qs
    if qs:
        owner = original if a.get("verb") == "share" else post
        if owner is not None and isinstance(qs, dict):
            owner["quote_of_post_id"] = _tail_id(qs.get("id"), "quoted id")
            if isinstance(qs.get("actor"), dict):
                owner["quote_of_account_id"] = _tail_id(qs["actor"].get("id"), "quoted actor id")
        rec.embed(activity_post, qs, "quoted", "id")
    return rec.parsed()


def value_records(obj: Any, position: int) -> list[Parsed | Rejected]:
    if not isinstance(obj, dict):
        return [Rejected(position, f"not an activity: a JSON {type(obj).__name__}", raw_excerpt(obj))]
    if "verb" not in obj or "actor" not in obj:
        for k in GNIP_NOTICES:
            if k in obj:
                return [Rejected(position, f"not a post: {k} notice", raw_excerpt(obj))]
        raise RecordError("not an activity (no verb/actor)")
    verb = obj.get("verb")
    if verb not in ("post", "share"):
        return [Rejected(position, f"not a post: {to_str(verb, 'verb')} activity", raw_excerpt(obj))]
    return [parse_activity(obj, position)]


class GnipActivityReader(TwitterJsonReader):
    name = "gnip"
    kind = "gnip"
    description = "Gnip / PowerTrack activity-streams tweets (actor, verb, object, generator)"

    value_records = staticmethod(value_records)
