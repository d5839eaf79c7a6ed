"""Twitter API v2 JSON as written by twarc2: one API response page per line (``data`` + ``includes`` + ``meta`` +
``errors`` + ``__twarc``), filtered-stream lines (``data`` is one tweet, plus ``matching_rules``), tweets
flattened by ``twarc2 flatten`` (``author``, referenced tweets and media inlined), user-lookup pages, and the
non-post lines twarc2 also writes (tweet counts, lists, compliance events) which are quarantined as such.

The per-record kernel is :func:`page_records` (one decoded line to its records: one :class:`Parsed` per tweet in
``data``, or per user on a user-lookup page), with ``TwitterV2Reader.parse_line`` around it for JSONL lines;
both are pure functions, safe to run in worker processes.

Mapping:

* text is ``note_tweet.text`` when present (long posts), else ``text``; a retweet's text and entities are the
  referenced original's (from ``includes.tweets``); if the original is missing (deleted, suspended: see the
  page's ``errors``) the retweet keeps its truncated "RT @user: ..." text and ``extra.repost_text_truncated``.
* ``referenced_tweets`` (retweeted / quoted / replied_to) fill the link columns; the referenced tweets found in
  ``includes.tweets`` become embedded posts. Errors about a tweet's references or author are noted in its
  ``extra.errors``; errors are not records themselves.
* urls are ``expanded_url`` (links to the tweet's own media excluded, as in v1.1); media via
  ``attachments.media_keys`` -> ``includes.media`` ``url`` or ``preview_image_url``; ``geo.coordinates`` is
  GeoJSON [lon, lat]; ``geo.place_id`` -> ``includes.places`` country code and full name.
* account observations (every user in ``includes.users``, once per page) are dated by ``__twarc.retrieved_at``,
  when the metrics were read, else by the tweet's ``created_at``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..records import Parsed, RecordError, Rejected, check_coords, retweet_prefix
from .twitter_common import (
    TwitterJsonReader, count, dumps_extra, pick, raw_excerpt, strs, to_bool, to_id, to_str, to_time,
)

EXTRA_KEYS = (
    "edit_history_tweet_ids", "edit_controls", "withheld", "context_annotations", "public_metrics",
    "possibly_sensitive", "reply_settings", "conversation_id", "non_public_metrics", "organic_metrics",
    "promoted_metrics", "matching_rules",
)
ENTITY_EXTRA = ("annotations", "cashtags")


def _by(items: Any, key: str) -> dict[Any, dict[str, Any]]:
    return {it[key]: it for it in items or () if isinstance(it, dict) and key in it}


class Page:
    """Lookups for one line: includes by id, errors by resource id, the retrieval time."""

    __slots__ = ("users", "tweets", "places", "media", "errors", "observed", "matching_rules")

    def __init__(self, obj: dict[str, Any]):
        inc = obj.get("includes") or {}
        self.users = _by(inc.get("users"), "id")
        self.tweets = _by(inc.get("tweets"), "id")
        self.places = _by(inc.get("places"), "id")
        self.media = _by(inc.get("media"), "media_key")
        self.errors: dict[str, list[dict[str, Any]]] = {}
        for e in obj.get("errors") or ():
            rid = e.get("resource_id") or e.get("value")
            if rid is not None:
                self.errors.setdefault(str(rid), []).append(
                    {k: e[k] for k in ("resource_id", "resource_type", "title", "detail", "parameter") if k in e})
        tw = obj.get("__twarc")
        retrieved = tw.get("retrieved_at") if isinstance(tw, dict) else None
        self.observed = to_time(retrieved, "__twarc.retrieved_at") if retrieved else None
        self.matching_rules = obj.get("matching_rules")

    def add_flattened(self, t: dict[str, Any]) -> None:
        """Take the objects ``twarc2 flatten`` inlined into a tweet as if they had come in ``includes``."""
        for key in ("author", "in_reply_to_user"):
            u = t.get(key)
            if isinstance(u, dict) and "id" in u:
                self.users.setdefault(u["id"], u)
        for m in (t.get("entities") or {}).get("mentions") or ():
            if "public_metrics" in m and "id" in m:
                self.users.setdefault(m["id"], {k: v for k, v in m.items() if k not in ("start", "end")})
        for r in t.get("referenced_tweets") or ():
            if "text" in r:
                self.tweets.setdefault(r["id"], r)
                self.add_flattened(r)
        for m in (t.get("attachments") or {}).get("media") or ():
            if "media_key" in m:
                self.media.setdefault(m["media_key"], m)
        place = (t.get("geo") or {}).get("place") if isinstance(t.get("geo"), dict) else None
        if isinstance(place, dict) and "id" in place:
            self.places.setdefault(place["id"], place)


def user_observation(u: Any, observed: datetime | None, position: int) -> dict[str, Any]:
    if not isinstance(u, dict):
        raise RecordError("user is not a JSON object")
    uid = to_id(u.get("id"), "user id")
    handle = to_str(u.get("username"), "username")
    if uid is None:
        if not handle:
            raise RecordError("user has neither id nor username")
        uid = "@" + handle.lower()
    pm = u.get("public_metrics") or {}
    return {
        "platform": "twitter",
        "account_id": uid,
        "handle": handle,
        "display_name": to_str(u.get("name"), "user name"),
        "description": to_str(u.get("description"), "user description"),
        "location": to_str(u.get("location"), "user location"),
        "followers": count(pm.get("followers_count"), "followers_count"),
        "following": count(pm.get("following_count"), "following_count"),
        "statuses": count(pm.get("tweet_count"), "tweet_count"),
        "created_at": to_time(u.get("created_at"), "user created_at"),
        "avatar_url": to_str(u.get("profile_image_url"), "profile_image_url"),
        "verified": to_bool(u.get("verified")),
        "observed_at": observed,
        "record_position": position,
    }


def _content(t: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(full text, entities): the note tweet's for long posts."""
    note = t.get("note_tweet")
    if note and note.get("text") is not None:
        return note["text"], note.get("entities") or t.get("entities") or {}
    return t.get("text"), t.get("entities") or {}


def _entity_columns(t: dict[str, Any], ents: dict[str, Any], page: Page) -> dict[str, Any]:
    urls = []
    for u in ents.get("urls") or ():
        if "media_key" in u:
            continue
        v = u.get("expanded_url") or u.get("url")
        if v.__class__ is str:
            urls.append(v)
    media = []
    for key in (t.get("attachments") or {}).get("media_keys") or ():
        m = page.media.get(key)
        if m:
            v = m.get("url") or m.get("preview_image_url")
            if v.__class__ is str:
                media.append(v)
    return {
        "mentions": strs(ents.get("mentions"), "username", lower=True),
        "hashtags": strs(ents.get("hashtags"), "tag"),
        "urls": urls,
        "media_urls": media,
    }


def tweet_post(t: Any, page: Page, position: int) -> dict[str, Any]:
    """One v2 tweet as a post row (links resolved through the page; no embedding)."""
    if not isinstance(t, dict):
        raise RecordError("tweet is not a JSON object")
    pid = to_id(t.get("id"), "id")
    if pid is None:
        raise RecordError("missing id")
    created = t.get("created_at")
    if created is None:
        raise RecordError("missing created_at")
    created = to_time(created)
    author_id = to_id(t.get("author_id"), "author_id")
    if author_id is None:
        raise RecordError("missing author_id")
    author = page.users.get(author_id)
    text, ents = _content(t)
    if text is None:
        raise RecordError("missing text")
    extra = pick(t, EXTRA_KEYS, {})
    if t.get("note_tweet"):
        extra["note_tweet"] = True
    pick(ents, ENTITY_EXTRA, extra)
    polls = (t.get("attachments") or {}).get("poll_ids")
    if polls:
        extra["poll_ids"] = polls
    post: dict[str, Any] = {
        "platform": "twitter",
        "post_id": pid,
        "account_id": author_id,
        "account_handle": to_str(author.get("username"), "username") if author else None,
        "created_at": created,
        "text": to_str(text, "text"),
        "lang": to_str(t.get("lang"), "lang"),
        "source": to_str(t.get("source"), "source"),
        "extra": extra,
        "record_position": position,
        **_entity_columns(t, ents, page),
    }
    geo = t.get("geo")
    if geo:
        c = (geo.get("coordinates") or {}).get("coordinates")
        if c:
            post["lat"], post["lon"] = check_coords(c[1], c[0])  # GeoJSON: [lon, lat]
        place_id = geo.get("place_id")
        if place_id:
            extra["place_id"] = place_id
            place = page.places.get(place_id)
            if place:
                post["place_country_code"] = to_str(place.get("country_code"), "place country_code") or None
                post["place_name"] = to_str(place.get("full_name") or place.get("name"), "place name")
                if place.get("place_type"):
                    extra["place_type"] = place["place_type"]
    errors = list(page.errors.get(author_id, ()))
    if page.errors:  # e.g. a mentioned user who was suspended (errors name users by username)
        for m in ents.get("mentions") or ():
            errors.extend(page.errors.get(m.get("username"), ()))
    for r in t.get("referenced_tweets") or ():
        kind, rid = r.get("type"), to_id(r.get("id"), "referenced tweet id")
        ref = page.tweets.get(rid)
        errors.extend(page.errors.get(rid, ()))
        ref_author = to_id(ref.get("author_id"), "referenced author_id") if ref else None
        if kind == "retweeted":
            post["repost_of_post_id"] = rid
            if ref:
                rtext, rents = _content(ref)
                post["text"] = to_str(rtext, "retweeted text") if rtext is not None else post["text"]
                post.update(_entity_columns(ref, rents, page))
                post["repost_of_account_id"] = ref_author
                ru = page.users.get(ref_author)
                post["repost_of_handle"] = to_str(ru.get("username"), "username") if ru else None
            else:
                extra["repost_text_truncated"] = True
                handle = retweet_prefix(post["text"])
                post["repost_of_handle"] = handle
                for m in ents.get("mentions") or ():
                    if handle and str(m.get("username", "")).lower() == handle.lower():
                        post["repost_of_account_id"] = to_id(m.get("id"), "mention id")
                        break
        elif kind == "quoted":
            post["quote_of_post_id"] = rid
            post["quote_of_account_id"] = ref_author
        elif kind == "replied_to":
            post["reply_to_post_id"] = rid
    reply_user = to_id(t.get("in_reply_to_user_id"), "in_reply_to_user_id")
    if reply_user is not None:
        post["reply_to_account_id"] = reply_user
        ru = page.users.get(reply_user)
        if ru:
            post["reply_to_handle"] = to_str(ru.get("username"), "username")
    if errors:
        extra["errors"] = errors
    return post


def tweet_record(t: Any, page: Page, position: int, seen_users: set[str]) -> Parsed:
    """One tweet of ``data``: its post, the referenced tweets found on the page as embedded posts, and the
    observations of the users involved that this page has not yet given."""
    post = tweet_post(t, page, position)
    posts = [post]
    extra = post["extra"]
    involved = [post["account_id"], post.get("reply_to_account_id")]
    seen_posts = {post["post_id"]}
    for r in t.get("referenced_tweets") or ():
        ref = page.tweets.get(r.get("id"))
        if ref is None or ref.get("id") in seen_posts:
            continue
        try:
            e = tweet_post(ref, page, position)
        except RecordError as err:
            extra.setdefault("dropped_embedded", []).append({"kind": r.get("type"), "id": r.get("id"),
                                                             "reason": str(err)})
            continue
        e["extra"] = dumps_extra(e["extra"])
        seen_posts.add(e["post_id"])
        posts.append(e)
        involved.append(e["account_id"])
    if page.matching_rules and "matching_rules" not in extra:
        extra["matching_rules"] = page.matching_rules
    post["extra"] = dumps_extra(extra)
    observed = page.observed or post["created_at"]
    accounts = []
    for uid in involved + [m.get("id") for m in (t.get("entities") or {}).get("mentions") or ()]:
        if uid is None or uid in seen_users:
            continue
        u = page.users.get(uid)
        if u is not None:
            seen_users.add(uid)
            accounts.append(user_observation(u, observed, position))
    return Parsed(position, posts, accounts)


def _rest_of_users(page: Page, seen: set[str], position: int) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """Observations of the page's users that no tweet took (e.g. mentioned users); bad ones as Rejected."""
    out, bad = [], []
    for uid, u in page.users.items():
        if uid not in seen:
            seen.add(uid)
            try:
                out.append(user_observation(u, page.observed, position))
            except RecordError as e:
                bad.append(Rejected(position, f"user {str(uid)[:40]}: {e}", raw_excerpt(u)))
    return out, bad


def _safe(fn: Any, position: int, raw: Any) -> Parsed | Rejected:
    try:
        return fn()
    except RecordError as e:
        return Rejected(position, str(e), raw_excerpt(raw))
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, OverflowError) as e:
        return Rejected(position, f"unexpected structure ({type(e).__name__}: {str(e)[:120]})", raw_excerpt(raw))


def page_records(obj: Any, position: int) -> list[Parsed | Rejected]:
    """Every record in one decoded twarc2 line."""
    if not isinstance(obj, dict):
        return [Rejected(position, f"not a v2 object: a JSON {type(obj).__name__}", raw_excerpt(obj))]
    data = obj.get("data")
    if data is None:
        if "id" in obj and ("text" in obj or "author_id" in obj):  # a flattened tweet
            page = Page(obj)
            page.add_flattened(obj)
            return [_safe(lambda: tweet_record(obj, page, position, set()), position, obj)]
        if "id" in obj and "username" in obj:  # a flattened user
            page = Page(obj)
            return [_safe(lambda: Parsed(position, [], [user_observation(obj, page.observed, position)]),
                          position, obj)]
        if "action" in obj and "id" in obj:
            return [Rejected(position, f"not a post: compliance event ({to_str(obj.get('action'), 'action')}, "
                                       f"{to_str(obj.get('reason'), 'reason')})", raw_excerpt(obj))]
        if obj.get("errors"):
            first = obj["errors"][0] if isinstance(obj["errors"], list) and obj["errors"] else {}
            title = first.get("title") or first.get("detail") if isinstance(first, dict) else None
            return [Rejected(position, f"not a post: API error response ({title})", raw_excerpt(obj))]
        return [Rejected(position, "not a post: unrecognised v2 line", raw_excerpt(obj))]
    page = Page(obj)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return [Rejected(position, f"not a v2 page: data is a JSON {type(data).__name__}", raw_excerpt(obj))]
    if not data:
        users, bad = _rest_of_users(page, set(), position)
        return ([Parsed(position, [], users)] if users else []) + bad
    first = data[0]
    if isinstance(first, dict):
        if "tweet_count" in first:
            return [Rejected(position, f"not a post: tweet counts ({len(data)} buckets)", raw_excerpt(obj))]
        if "member_count" in first or "follower_count" in first or "owner_id" in first:
            return [Rejected(position, f"not a post: list metadata ({len(data)} lists)", raw_excerpt(obj))]
        if "username" in first and "text" not in first:
            return [_safe(lambda u=u: Parsed(position, [], [user_observation(u, page.observed, position)]),
                          position, u) for u in data]
    seen_users: set[str] = set()
    out = [_safe(lambda t=t: tweet_record(t, page, position, seen_users), position, t) for t in data]
    rest, bad = _rest_of_users(page, seen_users, position)
    if rest:
        for item in reversed(out):  # users only in includes (e.g. mentioned ones) join the last good record
            if isinstance(item, Parsed):
                item.accounts.extend(rest)
                break
        else:
            out.append(Parsed(position, [], rest))
    return out + bad


class TwitterV2Reader(TwitterJsonReader):
    name = "twitter-v2"
    kind = "v2"
    description = "Twitter API v2 JSON as written by twarc2 (pages with includes, stream lines, flattened tweets)"

    value_records = staticmethod(page_records)
