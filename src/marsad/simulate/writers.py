"""Writers for the simulated posts in real export formats.

- ``v1``: Twitter API v1.1 JSON lines as the streaming/REST API wrote them: ``id``/``id_str``, ``created_at``
  like "Wed Oct 01 20:19:24 +0000 2014", ``user`` objects as of that day, ``source`` HTML, ``entities`` with code
  point offsets, ``retweeted_status`` with its own user, ``quoted_status``, ``in_reply_to_*``, ``extended_tweet``
  for texts longer than 140 characters, ``place``/``coordinates``/``geo`` for geotagged posts.
- ``v2``: twarc2 JSON lines, one API response page per line (``data``, ``includes.users/tweets/places``,
  ``meta``, ``__twarc``).
- ``telegram``: a Telegram Desktop export (``result.json`` of a public supergroup; reposts are forwards).

One file per collection round; pieces that repeat (user objects of the day, entities of pre-rendered texts,
places) are serialised once and embedded with ``orjson.Fragment``.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import orjson

from .days import ORIGINAL, QUOTE_K, REPLY_K, REPOST, Day
from .params import LANGS
from .places import CITIES, COUNTRY_INFO
from .text import Text, source_html, tco
from .world import CLIENT_LIST, World

_WD = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SOURCES_HTML = [source_html(h, nm) for _, h, nm in CLIENT_LIST]
SOURCES_NAME = [nm for _, _, nm in CLIENT_LIST]
F = orjson.Fragment


def v1_time(ms: int) -> str:
    d = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return f"{_WD[d.weekday()]} {_MON[d.month - 1]} {d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d} +0000 {d.year}"


def iso_time(ms: int) -> str:
    d = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


_TWO = [b"%02d" % i for i in range(60)]


class _Clock:
    """v1 created_at strings for one day, without a datetime per post."""

    def __init__(self, d0: int):
        self.d0 = d0
        s = v1_time(d0).encode()
        self.prefix, self.suffix = s[:11], s[19:]
        self.other: dict = {}  # times outside the day (embedded originals of earlier days)

    def __call__(self, ms: int) -> bytes:
        s = (ms - self.d0) // 1000
        if 0 <= s < 86400:
            return self.prefix + _TWO[s // 3600] + b":" + _TWO[s // 60 % 60] + b":" + _TWO[s % 60] + self.suffix
        b = self.other.get(ms // 1000)
        if b is None:
            b = self.other[ms // 1000] = v1_time(ms).encode()
        return b


def avatar_url(world: World, i: int) -> str:
    img = (int(world.a["acc_id"][i]) * 2654435761) % 10 ** 18
    return f"http://pbs.twimg.com/profile_images/{img}/{world.avatar[i]}_normal.jpg"


class _Base:
    files: list

    def __init__(self, world: World, out: Path):
        self.w, self.out = world, out
        self.round_of = lambda d: d * world.params.rounds // world.params.days
        self.fh = None
        self.cur_round = -1
        self.files = []
        self.discard = False  # benchmarks: serialise everything but write the data files to /dev/null

    def _file(self, d: int, pattern: str):
        r = self.round_of(d)
        if r != self.cur_round:
            if self.fh:
                self.fh.close()
            path = self.out / pattern.format(r=r + 1)
            self.files.append(path)
            self.fh = open(os.devnull if self.discard else path, "wb", buffering=1 << 20)
            self.cur_round = r
        return self.fh

    def close(self) -> None:
        if self.fh:
            self.fh.close()
            self.fh = None


# --- Twitter API v1.1 ----------------------------------------------------------------------------------------------

def _v1_entities(h: list, u: list, m: list) -> dict:
    return {
        "hashtags": [{"text": tag, "indices": [s, e]} for tag, s, e in h],
        "symbols": [],
        "user_mentions": [{"screen_name": hd, "name": nm, "id": int(aid), "id_str": aid, "indices": [s, e]}
                          for hd, aid, nm, s, e in m],
        "urls": [{"url": sh, "expanded_url": ex, "display_url": dp, "indices": [s, e]} for sh, ex, dp, s, e in u],
    }


class V1Writer(_Base):
    name = "v1"

    def __init__(self, world: World, out: Path):
        super().__init__(world, out)
        self.users: dict = {}
        self.static: dict = {}  # (account, handle) -> serialised profile without counts
        self.clock = _Clock(0)
        self.meta: dict = {}  # pid -> (t, acc, Text, client, lang, city, lat, lon) of recent originals
        self.ser: dict = {}  # pid -> serialised original (for retweeted_status / quoted_status)
        self.rt: dict = {}  # pid -> (RT text, entities fragment)
        self.places: dict = {}
        self.followers = None
        self.statuses = None

    # user objects as of the day: the profile part is serialised once per (account, handle), the counts daily
    def _user(self, i: int, t: int) -> bytes:
        u = self.users.get(i)
        if u is None:
            w, a = self.w, self.w.a
            h = w.handle_at(i, self.clock.d0)  # the profile as of the day written (also for embedded originals)
            pre = self.static.get((i, h))
            if pre is None:
                tz = w.tz_name[i] or None
                pre = orjson.dumps({
                    "id": int(a["acc_id"][i]), "id_str": w.id_str(i), "name": w.name[i], "screen_name": h,
                    "location": w.location[i], "url": None, "description": w.bio[i], "protected": False,
                    "verified": False, "created_at": v1_time(int(a["created"][i])),
                    "utc_offset": COUNTRY_INFO[w.countries[a["country"][i]]]["tz"][1] if tz else None,
                    "time_zone": tz, "geo_enabled": bool(a["geotag"][i]), "lang": LANGS[a["lang"][i]],
                    "contributors_enabled": False, "is_translator": False, "profile_background_color": "C0DEED",
                    "profile_image_url": avatar_url(w, i),
                    "profile_image_url_https": avatar_url(w, i).replace("http:", "https:"),
                    "default_profile": True, "default_profile_image": False, "following": None,
                    "follow_request_sent": None, "notifications": None,
                })[:-1]
                self.static[(i, h)] = pre
            f = int(self.followers[i])
            u = pre + (b',"followers_count":%d,"friends_count":%d,"listed_count":%d,"favourites_count":%d,'
                       b'"statuses_count":%d}' % (f, a["following"][i], f // 40, a["statuses0"][i] // 3,
                                                  self.statuses[i]))
            self.users[i] = u
        return u

    def _place(self, country: str, ci: int) -> F:
        key = (country, ci)
        pl = self.places.get(key)
        if pl is None:
            en, _, la, lo = CITIES[country][ci]
            city = en.split(",")[0]
            pid = tco(f"{country}/{ci}")[-10:].lower().encode().hex()[:16]
            pl = F(orjson.dumps({
                "id": pid, "url": f"https://api.twitter.com/1.1/geo/id/{pid}.json", "place_type": "city",
                "name": city, "full_name": f"{city}, {COUNTRY_INFO[country]['en']}", "country_code": country,
                "country": COUNTRY_INFO[country]["en"], "contained_within": [],
                "bounding_box": {"type": "Polygon", "coordinates": [[[lo - .1, la - .1], [lo - .1, la + .1],
                                                                     [lo + .1, la + .1], [lo + .1, la - .1]]]},
                "attributes": {},
            }))
            self.places[key] = pl
        return pl

    def _text(self, txt: Text, pid: int) -> tuple[str, bool, F, dict | None]:
        c = txt.cache.get("v1")
        if c is None:
            full_ent = F(orjson.dumps(_v1_entities(txt.hashtags, txt.urls, txt.mentions)))
            if len(txt.text) <= 140:
                c = (txt.text, full_ent, None)
            else:
                head = txt.text[:115].rstrip()
                h, u, m = txt.shifted(0, len(head))
                c = (head + "… ", full_ent, (h, u, m))
            txt.cache["v1"] = c
        text, full_ent, head_ent = c
        if head_ent is None:
            return text, False, full_ent, None
        status = f"https://twitter.com/i/web/status/{pid}"
        short = tco(status)
        h, u, m = head_ent
        s = len(text)
        ent = _v1_entities(h, u + [(short, status, "twitter.com/i/web/status/1…", s, s + len(short))], m)
        ext = {"full_text": txt.text, "display_text_range": [0, len(txt.text)], "entities": full_ent}
        return text + short, True, F(orjson.dumps(ent)), ext

    def _tweet(self, pid: int, t: int, acc: int, txt: Text, client: int, lang: int, city: int, lat: float,
               lon: float, extra: dict | None = None) -> dict:
        text, truncated, ent, ext = self._text(txt, pid)
        d = {"created_at": self.clock(t).decode(), "id": pid, "id_str": str(pid), "text": text,
             "source": SOURCES_HTML[client], "truncated": truncated,
             "in_reply_to_status_id": None, "in_reply_to_status_id_str": None, "in_reply_to_user_id": None,
             "in_reply_to_user_id_str": None, "in_reply_to_screen_name": None,
             "user": F(self._user(acc, t)), "geo": None, "coordinates": None, "place": None, "contributors": None,
             "is_quote_status": False, "retweet_count": 0, "favorite_count": 0, "entities": ent,
             "favorited": False, "retweeted": False, "filter_level": "low", "lang": LANGS[lang],
             "timestamp_ms": str(t)}
        if ext:
            d["extended_tweet"] = ext
        if city >= 0:
            country = self.w.countries[self.w.a["country"][acc]]
            d["geo"] = {"type": "Point", "coordinates": [lat, lon]}
            d["coordinates"] = {"type": "Point", "coordinates": [lon, lat]}
            d["place"] = self._place(country, city)
        if extra:
            d.update(extra)
        return d

    def _retweet_text(self, pid: int) -> tuple[bytes, bytes, str]:
        """The "RT @handle: ..." text (JSON), its entities (JSON) and the plain text, cached per original for the
        day (the handle is the author's handle on the day of the repost)."""
        r = self.rt.get(pid)
        if r is None:
            t, acc, txt, *_ = self.meta[pid]
            h = self.w.handle_at(acc, self.clock.d0)
            prefix = f"RT @{h}: "
            full = prefix + txt.text
            text = full if len(full) <= 140 else full[:139] + "…"
            limit = len(text) - (0 if len(full) <= 140 else 1)
            hs, us, ms = txt.shifted(len(prefix), limit)
            ms = [(h, self.w.id_str(acc), self.w.name[acc], 3, 4 + len(h))] + ms
            r = (orjson.dumps(text), orjson.dumps(_v1_entities(hs, us, ms)), text)
            self.rt[pid] = r
        return r

    def _new_day(self, day: Day, statuses: np.ndarray) -> None:
        self.users.clear()
        self.ser.clear()  # embedded originals carry their author's profile as of the day they are embedded
        self.rt.clear()
        self.clock = _Clock(day.start_ms)
        self.followers = self.w.followers_at(day.start_ms)
        self.statuses = statuses
        cut = (day.start_ms - self.w.params.repost_window_days * 86_400_000 - 1288834974657) << 22
        for k in [k for k in self.meta if k < cut]:
            del self.meta[k]

    def skip_day(self, day: Day, statuses: np.ndarray) -> None:
        """Keep the state another process's day leaves behind (recent originals) without writing it."""
        self._new_day(day, statuses)
        texts = day.texts
        for i in np.flatnonzero(day.kind == ORIGINAL).tolist():
            self.meta[int(day.pid[i])] = (int(day.t[i]), int(day.acc[i]), texts[i], int(day.client[i]),
                                          int(day.lang[i]))

    def _plain(self, txt: Text) -> tuple[bytes, bytes] | None:
        """(text JSON, entities JSON) of a text that needs no truncation, cached on the text."""
        c = txt.cache.get("v1b")
        if c is None:
            c = (orjson.dumps(txt.text), orjson.dumps(_v1_entities(txt.hashtags, txt.urls, txt.mentions))) \
                if len(txt.text) <= 140 else False
            txt.cache["v1b"] = c
        return c or None

    def _original(self, pid: int) -> bytes:
        s = self.ser.get(pid)
        if s is None:
            t, acc, txt, client, lang, *_ = self.meta[pid]
            plain = self._plain(txt)
            if plain:
                s = _ORIG % (self.clock(t), pid, pid, plain[0], SOURCES_JSON[client], self._user(acc, t),
                             plain[1], LANG_JSON[lang], t)
            else:
                s = orjson.dumps(self._tweet(pid, t, acc, txt, client, lang, -1, 0.0, 0.0))
            self.ser[pid] = s
        return s

    def write_day(self, day: Day, statuses: np.ndarray) -> None:
        self._new_day(day, statuses)
        fh = self._file(day.index, "tweets-r{r}.jsonl")
        w = self.w
        dumps = orjson.dumps
        clock, user, texts = self.clock, self._user, day.texts
        users_get, ser_get, rt_get = self.users.get, self.ser.get, self.rt.get
        lines = []
        for i, (pid, t, acc, kind, tgt, tacc, client, lang, city) in enumerate(zip(
                day.pid.tolist(), day.t.tolist(), day.acc.tolist(), day.kind.tolist(), day.target.tolist(),
                day.target_acc.tolist(), day.client.tolist(), day.lang.tolist(), day.city.tolist())):
            if len(lines) >= 4096:  # bounded memory: hand lines to the buffered writer in chunks
                fh.writelines(lines)
                lines.clear()
            u = users_get(acc) or user(acc, t)
            if kind == REPOST:
                text, ent, _ = rt_get(tgt) or self._retweet_text(tgt)
                lines.append(_RT_LINE % (clock(t), pid, pid, text, SOURCES_JSON[client], u,
                                         ser_get(tgt) or self._original(tgt), ent, LANG_JSON[lang], t))
                continue
            txt = texts[i]
            if kind != REPLY_K and kind != QUOTE_K and city < 0:
                plain = self._plain(txt)
                if plain:
                    lines.append(_ORIG_LINE % (clock(t), pid, pid, plain[0], SOURCES_JSON[client], u,
                                               plain[1], LANG_JSON[lang], t))
                    if kind == ORIGINAL:
                        self.meta[pid] = (t, acc, txt, client, lang)
                    continue
            extra = None
            if kind == REPLY_K:
                extra = {"in_reply_to_status_id": tgt, "in_reply_to_status_id_str": str(tgt),
                         "in_reply_to_user_id": int(w.a["acc_id"][tacc]), "in_reply_to_user_id_str": w.id_str(tacc),
                         "in_reply_to_screen_name": w.handle_at(tacc, t)}
            elif kind == QUOTE_K:
                extra = {"is_quote_status": True, "quoted_status_id": tgt, "quoted_status_id_str": str(tgt),
                         "quoted_status": F(self._original(tgt))}
            d = self._tweet(pid, t, acc, txt, client, lang, city,
                            float(day.lat[i]) if city >= 0 else 0.0, float(day.lon[i]) if city >= 0 else 0.0, extra)
            if kind == ORIGINAL:
                self.meta[pid] = (t, acc, txt, client, lang)
            lines.append(dumps(d, option=orjson.OPT_APPEND_NEWLINE))
        fh.writelines(lines)  # no joined copy of the day: the buffered writer copies each line once


_NULLS = (b'"in_reply_to_status_id":null,"in_reply_to_status_id_str":null,"in_reply_to_user_id":null,'
          b'"in_reply_to_user_id_str":null,"in_reply_to_screen_name":null,')
_ORIG = (b'{"created_at":"%s","id":%d,"id_str":"%d","text":%s,"source":%s,"truncated":false,' + _NULLS
         + b'"user":%s,"geo":null,"coordinates":null,"place":null,"contributors":null,"is_quote_status":false,'
           b'"retweet_count":0,"favorite_count":0,"entities":%s,"favorited":false,"retweeted":false,'
           b'"filter_level":"low","lang":%s,"timestamp_ms":"%d"}')
_RT = (b'{"created_at":"%s","id":%d,"id_str":"%d","text":%s,"source":%s,"truncated":false,' + _NULLS
       + b'"user":%s,"geo":null,"coordinates":null,"place":null,"contributors":null,"retweeted_status":%s,'
         b'"is_quote_status":false,"retweet_count":0,"favorite_count":0,"entities":%s,"favorited":false,'
         b'"retweeted":false,"filter_level":"low","lang":%s,"timestamp_ms":"%d"}')
_ORIG_LINE, _RT_LINE = _ORIG + b"\n", _RT + b"\n"
SOURCES_JSON = [orjson.dumps(x) for x in SOURCES_HTML]
LANG_JSON = [orjson.dumps(x) for x in LANGS]


# --- Twitter API v2 (twarc2 pages) -----------------------------------------------------------------------------

def _v2_entities(h: list, u: list, m: list) -> dict:
    out = {}
    if h:
        out["hashtags"] = [{"start": s, "end": e, "tag": tag} for tag, s, e in h]
    if m:
        out["mentions"] = [{"start": s, "end": e, "username": hd, "id": aid} for hd, aid, _, s, e in m]
    if u:
        out["urls"] = [{"start": s, "end": e, "url": sh, "expanded_url": ex, "display_url": dp}
                       for sh, ex, dp, s, e in u]
    return out


class V2Writer(V1Writer):
    """twarc2 pages of up to 100 tweets, with the referenced tweets, users and places in ``includes``."""

    name = "v2"
    PAGE = 100

    def _user2(self, i: int, t: int) -> F:
        key = ("v2", i)
        u = self.users.get(key)
        if u is None:
            w, a = self.w, self.w.a
            u = F(orjson.dumps({
                "id": w.id_str(i), "username": w.handle_at(i, self.clock.d0), "name": w.name[i], "description": w.bio[i],
                "location": w.location[i], "created_at": iso_time(int(a["created"][i])), "protected": False,
                "verified": False, "profile_image_url": avatar_url(w, i).replace("http:", "https:"), "url": "",
                "public_metrics": {"followers_count": int(self.followers[i]), "following_count": int(a["following"][i]),
                                   "tweet_count": int(self.statuses[i]), "listed_count": int(self.followers[i]) // 40},
            }))
            self.users[key] = u
        return u

    def _tweet2(self, pid: int, t: int, acc: int, txt: Text | None, client: int, lang: int, city: int,
                refs: list | None = None, text: str | None = None, ents: tuple | None = None) -> dict:
        d = {"id": str(pid), "text": text if text is not None else txt.text, "author_id": self.w.id_str(acc),
             "created_at": iso_time(t), "lang": LANGS[lang], "source": SOURCES_NAME[client],
             "conversation_id": str(pid), "possibly_sensitive": False, "reply_settings": "everyone",
             "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}}
        e = _v2_entities(*(ents or (txt.hashtags, txt.urls, txt.mentions)))
        if e:
            d["entities"] = e
        if refs:
            d["referenced_tweets"] = refs
        if city >= 0:
            d["geo"] = {"place_id": self._place_id(acc, city)}
        return d

    def _retrieved(self, d: int) -> str:
        """Collection time of a round: the day after its last day (every page of a round shares it)."""
        p = self.w.params
        r = self.round_of(d)
        last = max(x for x in range(p.days) if self.round_of(x) == r)
        return iso_time(self.w.start_ms + (last + 1) * 86_400_000 + 3_600_000).replace(".000Z", "+00:00")

    def _place_id(self, acc: int, city: int) -> str:
        country = self.w.countries[self.w.a["country"][acc]]
        return tco(f"{country}/{city}")[-10:].lower().encode().hex()[:16]

    def _place2(self, acc: int, city: int) -> dict:
        country = self.w.countries[self.w.a["country"][acc]]
        en, _, la, lo = CITIES[country][city]
        name = en.split(",")[0]
        return {"id": self._place_id(acc, city), "full_name": f"{name}, {COUNTRY_INFO[country]['en']}",
                "name": name, "country": COUNTRY_INFO[country]["en"], "country_code": country, "place_type": "city",
                "geo": {"type": "Feature", "bbox": [lo - .1, la - .1, lo + .1, la + .1], "properties": {}}}

    def write_day(self, day: Day, statuses: np.ndarray) -> None:
        self._new_day(day, statuses)
        fh = self._file(day.index, "tweets-r{r}.jsonl")
        w = self.w
        n = day.n
        for p0 in range(0, n, self.PAGE):
            data, users, tweets, places, seen = [], {}, [], {}, set()
            for i in range(p0, min(n, p0 + self.PAGE)):
                pid, t, acc, kind = int(day.pid[i]), int(day.t[i]), int(day.acc[i]), int(day.kind[i])
                tgt, tacc = int(day.target[i]), int(day.target_acc[i])
                client, lang, city = int(day.client[i]), int(day.lang[i]), int(day.city[i])
                users[acc] = self._user2(acc, t)
                if kind == REPOST:
                    ot, oacc, otxt, oclient, olang, *_ = self.meta[tgt]
                    rt_text = self._retweet_text(tgt)[2]
                    h = w.handle_at(oacc, day.start_ms)
                    pre = len(f"RT @{h}: ")
                    limit = len(rt_text) - (1 if rt_text.endswith("…") else 0)
                    hs, us, ms = otxt.shifted(pre, limit)
                    ms = [(h, w.id_str(oacc), w.name[oacc], 3, 4 + len(h))] + ms
                    data.append(self._tweet2(pid, t, acc, None, client, lang, -1,
                                             [{"type": "retweeted", "id": str(tgt)}], rt_text, (hs, us, ms)))
                    if tgt not in seen:
                        tweets.append(self._tweet2(tgt, ot, oacc, otxt, oclient, olang, -1))
                        seen.add(tgt)
                    users[oacc] = self._user2(oacc, t)
                    continue
                txt = day.texts[i]
                refs = None
                if kind == REPLY_K:
                    refs = [{"type": "replied_to", "id": str(tgt)}]
                elif kind == QUOTE_K:
                    refs = [{"type": "quoted", "id": str(tgt)}]
                if refs and tgt in self.meta and tgt not in seen:
                    ot, oacc, otxt, oclient, olang, *_ = self.meta[tgt]
                    tweets.append(self._tweet2(tgt, ot, oacc, otxt, oclient, olang, -1))
                    users[oacc] = self._user2(oacc, t)
                    seen.add(tgt)
                d = self._tweet2(pid, t, acc, txt, client, lang, city, refs)
                if kind == REPLY_K:
                    d["in_reply_to_user_id"] = w.id_str(tacc)
                    d["conversation_id"] = str(tgt)
                if city >= 0:
                    la, lo = float(day.lat[i]), float(day.lon[i])
                    d["geo"]["coordinates"] = {"type": "Point", "coordinates": [lo, la]}
                    places[d["geo"]["place_id"]] = self._place2(acc, city)
                if kind == ORIGINAL:
                    self.meta[pid] = (t, acc, txt, client, lang)
                data.append(d)
            inc = {"users": list(users.values())}
            if tweets:
                inc["tweets"] = tweets
            if places:
                inc["places"] = list(places.values())
            ids = [x["id"] for x in data]
            page = {"data": data, "includes": inc,
                    "meta": {"newest_id": max(ids, key=int), "oldest_id": min(ids, key=int), "result_count": len(data)},
                    "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.14.0",
                                "retrieved_at": self._retrieved(day.index)}}
            fh.write(orjson.dumps(page, option=orjson.OPT_APPEND_NEWLINE))


# --- Telegram Desktop export ----------------------------------------------------------------------------------

class TelegramWriter(_Base):
    """One Telegram Desktop ``result.json`` (a public supergroup where the simulated accounts post).

    Account ids are ``user<id>`` as Telegram writes them in ``from_id``; reposts are forwards (``forwarded_from``
    the original author's name, ``forwarded_from_id`` their id); replies carry ``reply_to_message_id``. Post ids
    as marsad reads them are ``<chat id>:<message id>``. Written as a stream (one message per line
    inside the ``messages`` array), so memory stays flat."""

    name = "telegram"

    def __init__(self, world: World, out: Path):
        super().__init__(world, out)
        self.msg_id: dict = {}  # pid -> message id (recent originals)
        self.texts_cache: dict = {}  # pid -> Text (recent originals, for forwards)
        self.next_id = 1
        self.first = True
        (out / "ChatExport").mkdir(parents=True, exist_ok=True)
        path = out / "ChatExport" / "result.json"
        self.fh = open(path, "wb", buffering=1 << 20)
        self.files.append(path)
        self.chat_id = 1000000000 + world.params.seed
        self.fh.write(orjson.dumps({"name": "مرصد sim group", "type": "public_supergroup", "id": self.chat_id})[:-1]
                      + b', "messages": [\n')

    @staticmethod
    def _entities(txt: Text) -> list:
        spans = sorted([(s, e, "hashtag") for _, s, e in txt.hashtags] + [(s, e, "link") for *_, s, e in txt.urls]
                       + [(s, e, "mention") for *_, s, e in txt.mentions])
        out, pos = [], 0
        for s, e, typ in spans:
            if s > pos:
                out.append({"type": "plain", "text": txt.text[pos:s]})
            out.append({"type": typ, "text": txt.text[s:e]})
            pos = e
        if pos < len(txt.text):
            out.append({"type": "plain", "text": txt.text[pos:]})
        return out

    def write_day(self, day: Day, statuses: np.ndarray) -> None:
        w = self.w
        cut = (day.start_ms - w.params.repost_window_days * 86_400_000 - 1288834974657) << 22
        for k in [k for k in self.msg_id if k < cut]:
            del self.msg_id[k]
            self.texts_cache.pop(k, None)
        for i in range(day.n):
            pid, t, acc, kind = int(day.pid[i]), int(day.t[i]), int(day.acc[i]), int(day.kind[i])
            tgt, tacc = int(day.target[i]), int(day.target_acc[i])
            mid = self.next_id
            self.next_id += 1
            ts = int(t // 1000)
            m = {"id": mid, "type": "message", "date": datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                 "date_unixtime": str(ts), "from": w.name[acc], "from_id": f"user{w.id_str(acc)}"}
            if kind == REPOST:
                m["forwarded_from"] = w.name[tacc]
                m["forwarded_from_id"] = f"user{w.id_str(tacc)}"
                txt = self.texts_cache[tgt]
            else:
                txt = day.texts[i]
                if kind == REPLY_K and tgt in self.msg_id:
                    m["reply_to_message_id"] = self.msg_id[tgt]
            ents = self._entities(txt)
            # "text" mixes plain strings and entity objects, "text_entities" has objects only (as Telegram writes)
            m["text"] = [e["text"] if e["type"] == "plain" else e for e in ents] \
                if any(e["type"] != "plain" for e in ents) else txt.text
            m["text_entities"] = ents
            if kind == ORIGINAL:
                self.msg_id[pid] = mid
                self.texts_cache[pid] = txt
            if not self.first:
                self.fh.write(b",")
            self.fh.write(orjson.dumps(m, option=orjson.OPT_APPEND_NEWLINE))
            self.first = False

    def close(self) -> None:
        if self.fh:
            self.fh.write(b"]}\n")
            self.fh.close()
            self.fh = None


WRITERS = {"v1": V1Writer, "v2": V2Writer, "telegram": TelegramWriter}
