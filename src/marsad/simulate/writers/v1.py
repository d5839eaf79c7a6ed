"""Twitter API v1.1 JSON lines as the streaming/REST API wrote them: ``id``/``id_str``, ``created_at`` like
"Wed Oct 01 20:19:24 +0000 2014", ``user`` objects as of that day, ``source`` HTML, ``entities`` with code point
offsets, ``retweeted_status`` with its own user, ``quoted_status``, ``in_reply_to_*``, ``extended_tweet`` for texts
longer than 140 characters, ``place``/``coordinates``/``geo`` for geotagged posts.

Speed (the simulator's hot path): a line is the concatenation of pieces, most of them serialised once and reused:
the profile part of each user object (once per account and handle) and its counts (once per account and day), the
text and entities of the shared pre-rendered texts, each retweeted original with the "RT @..." text and entities
(once while it can be retweeted), ``created_at`` strings (vectorised per day). Each chunk of lines is one row per
line of a numpy object matrix of pieces, joined with a single ``bytes.join``: no per-post dict, no per-post JSON
encoding. Quotes, geotagged posts, long texts and long replies go through ``orjson`` (with those pieces as
fragments). ``tests/test_simulate.py`` checks that every line is exactly what a JSON serialiser writes for it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from ..days import ORIGINAL, QUOTE_K, REPLY_K, REPOST, Day
from ..params import LANGS
from ..places import CITIES, COUNTRY_INFO
from ..text import Text, tco
from ..world import World
from .common import LANG_JSON, SOURCES_HTML, SOURCES_JSON, Base, avatar_url, snowflake_cut, v1_time, v1_times

F = orjson.Fragment
CHUNK = 512  # lines joined and written at a time (memory stays bounded; small joins are faster)

_NULLS = (b'"in_reply_to_status_id":null,"in_reply_to_status_id_str":null,"in_reply_to_user_id":null,'
          b'"in_reply_to_user_id_str":null,"in_reply_to_screen_name":null,')
_REPLY = (b'"in_reply_to_status_id":%d,"in_reply_to_status_id_str":"%d","in_reply_to_user_id":%d,'
          b'"in_reply_to_user_id_str":"%d","in_reply_to_screen_name":%s,')
# A line is the concatenation of 20 pieces, one row of a matrix (a tweet's keys in the order the API wrote them):
#   0 C0  1 created_at  2 C1  3 id and id_str  4 C3  5 text  6 C4  7 source  8 X1 (truncated, in_reply_to_*)
#   9 10 user (profile part, the day's counts)  11 Y1 (C7 + C8, or C7 + retweeted_status up to its "user":)
#   12 13 the retweeted original's user  14 Y3 (the rest of the original + C8)  15 entities  16 C9  17 lang  18 C10
#   19 timestamp_ms and the end of the line. A "slow" line (orjson) is column 0 of its row, the rest empty.
_C0, _C1, _C3, _C4 = b'{"created_at":"', b'","id":', b'","text":', b',"source":'
_X1 = b',"truncated":false,' + _NULLS + b'"user":'
_X1_REPLY = b',"truncated":false,' + _REPLY + b'"user":'
_C7 = b',"geo":null,"coordinates":null,"place":null,"contributors":null,'
_C8 = b'"is_quote_status":false,"retweet_count":0,"favorite_count":0,"entities":'
_C9 = b',"favorited":false,"retweeted":false,"filter_level":"low","lang":'
_C10 = b',"timestamp_ms":"'
_CONST_AT = [0, 2, 4, 6, 16, 18]
_CONSTS = np.array([_C0, _C1, _C3, _C4, _C9, _C10], dtype=object)
_PIECES = 20
# an original embedded in a retweet or a quote: head + its author's user object of the day + tail
_EMB_HEAD = b'{"created_at":"%s","id":%d,"id_str":"%d","text":%s,"source":%s,"truncated":false,' + _NULLS + b'"user":'
_EMB_TAIL = _C7 + _C8 + b"%s" + _C9 + b"%s" + _C10 + b'%d"}'
_COUNTS = (b',"followers_count":%d,"friends_count":%d,"listed_count":%d,"favourites_count":%d,'
           b'"statuses_count":%d}')
_RT_MENTION = b'{"screen_name":%s,"name":%s,"id":%d,"id_str":"%d","indices":[3,%d]}'  # a retweet's author
_RTS = b'"retweeted_status":'
_Y1 = _C7 + _RTS + _EMB_HEAD  # a retweet: from geo to its original's user object (see _C0 ...)
_Y3 = _EMB_TAIL + b"," + _C8  # ... and from after it to the retweet's entities
_USER_SLOT = F(b"\x00")  # stands for the user object in a serialised original (orjson escapes a real NUL)
_SRC = np.array(SOURCES_JSON, dtype=object)
_LANG = np.array(LANG_JSON, dtype=object)


def v1_entities(h: list, u: list, m: list) -> dict:
    return {
        "hashtags": [{"text": tag, "indices": [s, e]} for tag, s, e in h],
        "symbols": [],
        "user_mentions": [{"screen_name": hd, "name": nm, "id": int(aid), "id_str": aid, "indices": [s, e]}
                          for hd, aid, nm, s, e in m],
        "urls": [{"url": sh, "expanded_url": ex, "display_url": dp, "indices": [s, e]} for sh, ex, dp, s, e in u],
    }


def _where(mask: np.ndarray, *cols: np.ndarray) -> tuple:
    """The indices where ``mask`` holds and the values of ``cols`` there."""
    idx = np.flatnonzero(mask)
    return (idx,) + tuple(c[idx] for c in cols)


def _objects(items: list) -> np.ndarray:
    arr = np.empty(len(items), object)
    arr[:] = items
    return arr


class V1Writer(Base):
    name = "v1"

    def __init__(self, world: World, out: Path):
        super().__init__(world, out)
        self.S = np.empty(world.n_accounts, object)  # account -> profile part of its user object (bytes)
        self.C = np.empty(world.n_accounts, object)  # account -> the day's counts part of its user object
        self.users: dict = {}  # other formats' user objects of the day
        self.names: dict = {}  # account -> display name as JSON
        self.d0 = 0
        self.ids = world.a["acc_id"].tolist()
        self.handles = list(world.handle)  # handles as of the day written
        self.meta: dict = {}  # pid -> (t, acc, Text, client, lang, created_at, (city, lat, lon) or None)
        self.ser: dict = {}  # pid -> serialised original of the day (for retweeted_status / quoted_status)
        self.rt: dict = {}  # pid -> (RT text JSON, entities JSON, RT text) of the day
        self.rtc: dict = {}  # pid -> pieces of a retweet of it (see _rt_pieces), across days
        self.rta: dict = {}  # account -> (handle, '"RT @handle: ', its mention in a retweet's entities)
        self.places: dict = {}
        self.followers = None
        self.statuses = None

    # --- user objects as of the day ---------------------------------------------------------------------------
    def _static(self, i: int) -> bytes:
        """The profile part of a user object as of the day (everything but the counts), without the closing
        brace."""
        w, a = self.w, self.w.a
        tz = w.tz_name[i] or None
        return orjson.dumps({
            "id": int(a["acc_id"][i]), "id_str": w.id_str(i), "name": w.name[i], "screen_name": self.handles[i],
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

    def _users(self, accs: np.ndarray) -> None:
        """User objects of the day for these accounts: the profile part (kept until the handle changes) and the
        day's counts."""
        a = self.w.a
        missing = accs[np.equal(self.S[accs], None)]
        if len(missing):
            self.S[missing] = _objects([self._static(i) for i in missing.tolist()])
        f = self.followers[accs]
        self.C[accs] = _objects([_COUNTS % c for c in zip(
            f.tolist(), a["following"][accs].tolist(), (f // 40).tolist(), (a["statuses0"][accs] // 3).tolist(),
            self.statuses[accs].tolist())])

    def _user(self, i: int) -> bytes:
        """The whole user object of the day."""
        if self.C[i] is None:
            self._users(np.array([i]))
        return self.S[i] + self.C[i]

    def _name(self, i: int) -> bytes:
        nm = self.names.get(i)
        if nm is None:
            nm = self.names[i] = orjson.dumps(self.w.name[i])
        return nm

    # --- pieces ---------------------------------------------------------------------------------------------------
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

    def _plain(self, txt: Text) -> tuple[bytes, bytes] | None:
        """(text JSON, entities JSON) of a text that needs no truncation, cached on the text."""
        c = txt.cache.get("v1b")
        if c is None:
            c = (orjson.dumps(txt.text), orjson.dumps(v1_entities(txt.hashtags, txt.urls, txt.mentions))) \
                if len(txt.text) <= 140 else False
            txt.cache["v1b"] = c
        return c or None

    def _text(self, txt: Text, pid: int) -> tuple[str, bool, F, dict | None]:
        """text, truncated, entities and extended_tweet of a post (texts over 140 characters are cut)."""
        c = txt.cache.get("v1")
        if c is None:
            full_ent = F(orjson.dumps(v1_entities(txt.hashtags, txt.urls, txt.mentions)))
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
        ent = v1_entities(h, u + [(short, status, "twitter.com/i/web/status/1…", s, s + len(short))], m)
        ext = {"full_text": txt.text, "display_text_range": [0, len(txt.text)], "entities": full_ent}
        return text + short, True, F(orjson.dumps(ent)), ext

    def _tweet(self, pid: int, t: int, acc: int, txt: Text, client: int, lang: int, city: int, lat: float,
               lon: float, created: bytes, extra: dict | None = None) -> dict:
        text, truncated, ent, ext = self._text(txt, pid)
        d = {"created_at": created.decode(), "id": pid, "id_str": str(pid), "text": text,
             "source": SOURCES_HTML[client], "truncated": truncated,
             "in_reply_to_status_id": None, "in_reply_to_status_id_str": None, "in_reply_to_user_id": None,
             "in_reply_to_user_id_str": None, "in_reply_to_screen_name": None,
             "user": F(self._user(acc)), "geo": None, "coordinates": None, "place": None, "contributors": None,
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

    @staticmethod
    def _rt_body(txt: Text, n: int) -> tuple:
        """What a retweet of ``txt`` by an author with an ``n``-character handle says after "RT @handle: " (as text,
        and as JSON without the opening quote) and its entities before and after the author's mention (JSON); cached
        on the (shared) text."""
        c = txt.cache.get(n)  # (an int key in a text's cache is a handle length)
        if c is None:
            lp = n + 6  # len("RT @" + handle + ": ")
            full = txt.text
            tail = full if lp + len(full) <= 140 else full[:139 - lp] + "…"
            limit = lp + len(tail) - (0 if lp + len(full) <= 140 else 1)
            e = v1_entities(*txt.shifted(lp, limit))
            more = orjson.dumps(e["user_mentions"])[1:-1]
            c = txt.cache[n] = (tail, orjson.dumps(tail)[1:],
                                b'{"hashtags":' + orjson.dumps(e["hashtags"]) + b',"symbols":[],"user_mentions":[',
                                (b"," + more if more else b"") + b'],"urls":' + orjson.dumps(e["urls"]) + b"}")
        return c

    def _rt_author(self, acc: int) -> tuple:
        """(handle, '"RT @handle: ', the author's mention in a retweet's entities) as of the day."""
        h = self.handles[acc]
        r = self.rta.get(acc)
        if r is None or r[0] != h:
            hj = orjson.dumps(h)
            aid = self.ids[acc]
            r = self.rta[acc] = (h, b'"RT @' + hj[1:-1] + b": ",
                                 _RT_MENTION % (hj, self._name(acc), aid, aid, len(h) + 4))
        return r

    def _rt_text(self, pid: int) -> tuple[bytes, bytes, str]:
        """The "RT @handle: ..." text of a retweet of ``pid`` (JSON), its entities (JSON) and the plain text (the
        handle is the author's handle on the day of the repost)."""
        acc, txt = self.meta[pid][1:3]
        h, prefix, mention = self._rt_author(acc)
        tail, tail_json, ent_pre, ent_post = self._rt_body(txt, len(h))
        return prefix + tail_json, ent_pre + mention + ent_post, f"RT @{h}: {tail}"

    def _retweet_text(self, pid: int) -> tuple[bytes, bytes, str]:
        """:meth:`_rt_text`, cached for the day."""
        r = self.rt.get(pid)
        if r is None:
            r = self.rt[pid] = self._rt_text(pid)
        return r

    def _embed_parts(self, pid: int) -> tuple[bytes, bytes]:
        """An original as embedded in a retweet or quote: the JSON before and after its author's user object
        (which changes from day to day)."""
        t, acc, txt, client, lang, created, geo = self.meta[pid]
        plain = self._plain(txt) if geo is None else None
        if plain:
            return (_EMB_HEAD % (created, pid, pid, plain[0], SOURCES_JSON[client]),
                    _EMB_TAIL % (plain[1], LANG_JSON[lang], t))
        d = self._tweet(pid, t, acc, txt, client, lang, *(geo or (-1, 0.0, 0.0)), created)
        d["user"] = _USER_SLOT
        head, tail = orjson.dumps(d).split(b"\x00")
        return head, tail

    def _embedded(self, pid: int) -> tuple[bytes, bytes]:
        """:meth:`_embed_parts`, cached for the day."""
        s = self.ser.get(pid)
        if s is None:
            s = self.ser[pid] = self._embed_parts(pid)
        return s

    def _rt_pieces(self, pid: int) -> tuple:
        """(handle, text JSON, entities JSON, the line up to and after the embedded author's user object) of a
        retweet of ``pid``, kept while the original can be retweeted (an original is often retweeted on several
        days), recomputed if its author changed handle."""
        m = self.meta[pid]
        h, prefix, mention = self._rt_author(m[1])
        r = self.rtc.get(pid)
        if r is None or r[0] != h:
            t, acc, txt, client, lang, created, geo = m
            _, tail_json, ent_pre, ent_post = self._rt_body(txt, len(h))
            plain = self._plain(txt) if geo is None else None
            if plain:
                y1 = _Y1 % (created, pid, pid, plain[0], SOURCES_JSON[client])
                y3 = _Y3 % (plain[1], LANG_JSON[lang], t)
            else:
                head, tail = self._embed_parts(pid)
                y1, y3 = _C7 + _RTS + head, tail + b"," + _C8
            r = self.rtc[pid] = (h, prefix + tail_json, ent_pre + mention + ent_post, y1, y3)
        return r

    def _original(self, pid: int) -> bytes:
        head, tail = self._embedded(pid)
        return head + self._user(self.meta[pid][1]) + tail

    # --- days -----------------------------------------------------------------------------------------------------
    def _new_day(self, day: Day, statuses: np.ndarray) -> None:
        self.users.clear()
        self.C = np.empty(self.w.n_accounts, object)
        self.ser.clear()  # embedded originals carry their author's profile as of the day they are embedded
        self.rt.clear()
        self.d0 = day.start_ms
        w = self.w
        for i in np.flatnonzero(w.a["rename_ms"] <= day.start_ms).tolist():
            h = w.rename_handle[i] or w.handle[i]
            if self.handles[i] != h:  # renamed: the profile part of its user object changes
                self.handles[i] = h
                self.S[i] = None
        self.followers = self.w.followers_at(day.start_ms)
        self.statuses = statuses
        cut = snowflake_cut(day.start_ms, self.w.params.repost_window_days)
        for k in [k for k in self.meta if k < cut]:
            del self.meta[k]
        for k in [k for k in self.rtc if k < cut]:
            del self.rtc[k]

    def _remember(self, day: Day, created: list | None) -> None:
        """Keep the day's originals (what later posts can retweet, quote or reply to)."""
        orig = np.flatnonzero(day.kind == ORIGINAL)
        if created is None:
            created = v1_times(day.t[orig], day.start_ms)
        else:
            created = [created[i] for i in orig.tolist()]
        texts = day.texts
        geo = [None] * len(orig)
        for j in np.flatnonzero(day.city[orig] >= 0).tolist():
            i = orig[j]
            geo[j] = (int(day.city[i]), float(day.lat[i]), float(day.lon[i]))
        self.meta.update(zip(day.pid[orig].tolist(), zip(
            day.t[orig].tolist(), day.acc[orig].tolist(), [texts[i] for i in orig.tolist()],
            day.client[orig].tolist(), day.lang[orig].tolist(), created, geo)))

    def skip_day(self, day: Day, statuses: np.ndarray) -> None:
        """Keep the state another process's day leaves behind (recent originals) without writing it."""
        self._new_day(day, statuses)
        self._remember(day, None)

    def write_day(self, day: Day, statuses: np.ndarray) -> None:
        self._new_day(day, statuses)
        fh = self._file(day.index, "tweets-r{r}.jsonl")
        n, kind = day.n, day.kind
        created = v1_times(day.t, day.start_ms)
        self._remember(day, created)
        embeds = (kind == REPOST) | (kind == QUOTE_K)
        need = np.unique(np.concatenate([day.acc, day.target_acc[embeds]]))
        self._users(need[need >= 0])
        # the variable pieces of every line (see _C0 ...), as object arrays
        empty = np.full(n, b"", object)
        text, ent, x1, y1, y2, y2c, y3 = (empty.copy() for _ in range(7))
        x1[:] = _X1
        y1[:] = _C7 + _C8
        # retweets: text, entities and the embedded original once per retweeted original
        rt = np.flatnonzero(kind == REPOST)
        if len(rt):
            targets, inv = np.unique(day.target[rt], return_inverse=True)
            pieces = [self._rt_pieces(p) for p in targets.tolist()]
            for col, j in ((text, 1), (ent, 2), (y1, 3), (y3, 4)):
                col[rt] = _objects([x[j] for x in pieces])[inv]
            y2[rt] = self.S[day.target_acc[rt]]
            y2c[rt] = self.C[day.target_acc[rt]]
        # short texts without a geotag: originals (cached on their shared texts) and replies; the rest is "slow"
        texts, ts = day.texts, day.t.tolist()
        no_geo = day.city < 0
        own = np.flatnonzero(no_geo & (kind != REPOST) & (kind != REPLY_K) & (kind != QUOTE_K))
        plain = [self._plain(texts[i]) for i in own.tolist()]
        ok = np.array([x is not None for x in plain], bool)
        text[own[ok]] = _objects([x[0] for x in plain if x])
        ent[own[ok]] = _objects([x[1] for x in plain if x])
        slow = own[~ok].tolist()
        ids, handle_at, dumps = self.ids, self.w.handle_at, orjson.dumps
        for i, tgt, tacc in zip(*(x.tolist() for x in _where(no_geo & (kind == REPLY_K), day.target, day.target_acc))):
            txt = texts[i]
            if len(txt.text) > 140:
                slow.append(i)
                continue
            text[i] = dumps(txt.text)
            ent[i] = dumps(v1_entities(txt.hashtags, txt.urls, txt.mentions))
            x1[i] = _X1_REPLY % (tgt, tgt, ids[tacc], ids[tacc], dumps(handle_at(tacc, ts[i])))
        slow = sorted(slow + np.flatnonzero((kind == QUOTE_K) | ((kind != REPOST) & ~no_geo)).tolist())
        pids = day.pid.tolist()
        cols = {1: _objects(created), 3: _objects([b'%d,"id_str":"%d' % (p, p) for p in pids]), 5: text,
                7: _SRC[day.client], 8: x1, 9: self.S[day.acc], 10: self.C[day.acc], 11: y1, 12: y2, 13: y2c,
                14: y3, 15: ent, 17: _LANG[day.lang], 19: _objects([b'%d"}\n' % t for t in ts])}
        k = 0
        for c0 in range(0, n, CHUNK):
            c1 = min(n, c0 + CHUNK)
            m = np.empty((c1 - c0, _PIECES), object)
            m[:, _CONST_AT] = _CONSTS
            for j, col in cols.items():
                m[:, j] = col[c0:c1]
            while k < len(slow) and slow[k] < c1:
                i = slow[k]
                m[i - c0] = b""
                m[i - c0, 0] = self._slow_line(day, i, pids[i], created[i])
                k += 1
            fh.write(b"".join(m.ravel().tolist()))

    def _slow_line(self, day: Day, i: int, pid: int, created: bytes) -> bytes:
        """Replies, quotes, geotagged posts and long texts (through orjson, with cached fragments)."""
        w = self.w
        kind, tgt, tacc, city, t = int(day.kind[i]), int(day.target[i]), int(day.target_acc[i]), int(day.city[i]), \
            int(day.t[i])
        extra = None
        if kind == REPLY_K:
            extra = {"in_reply_to_status_id": tgt, "in_reply_to_status_id_str": str(tgt),
                     "in_reply_to_user_id": int(w.a["acc_id"][tacc]), "in_reply_to_user_id_str": w.id_str(tacc),
                     "in_reply_to_screen_name": w.handle_at(tacc, t)}
        elif kind == QUOTE_K:
            extra = {"is_quote_status": True, "quoted_status_id": tgt, "quoted_status_id_str": str(tgt),
                     "quoted_status": F(self._original(tgt))}
        d = self._tweet(pid, t, int(day.acc[i]), day.texts[i], int(day.client[i]), int(day.lang[i]), city,
                        float(day.lat[i]) if city >= 0 else 0.0, float(day.lon[i]) if city >= 0 else 0.0, created,
                        extra)
        return orjson.dumps(d, option=orjson.OPT_APPEND_NEWLINE)
