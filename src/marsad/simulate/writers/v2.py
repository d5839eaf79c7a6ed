"""Twitter API v2 as twarc2 wrote it: JSON lines, one API response page per line (``data``,
``includes.users/tweets/places``, ``meta``, ``__twarc``)."""
from __future__ import annotations

import numpy as np
import orjson

from ..days import ORIGINAL, QUOTE_K, REPLY_K, REPOST, Day
from ..params import LANGS
from ..places import CITIES, COUNTRY_INFO
from ..text import Text, tco
from .common import SOURCES_NAME, avatar_url, iso_time
from .v1 import V1Writer

F = orjson.Fragment


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
                "id": w.id_str(i), "username": w.handle_at(i, self.d0), "name": w.name[i], "description": w.bio[i],
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

    def _ref2(self, pid: int, places: dict) -> dict:
        """A referenced (retweeted, quoted, replied-to) original for ``includes.tweets``, its place to ``places``."""
        t, acc, txt, client, lang, _, geo = self.meta[pid]
        d = self._tweet2(pid, t, acc, txt, client, lang, -1 if geo is None else geo[0])
        if geo is not None:
            d["geo"]["coordinates"] = {"type": "Point", "coordinates": [geo[2], geo[1]]}
            places[d["geo"]["place_id"]] = self._place2(acc, geo[0])
        return d

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
                        tweets.append(self._ref2(tgt, places))
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
                    tweets.append(self._ref2(tgt, places))
                    users[self.meta[tgt][1]] = self._user2(self.meta[tgt][1], t)
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
                    geo = (city, float(day.lat[i]), float(day.lon[i])) if city >= 0 else None
                    self.meta[pid] = (t, acc, txt, client, lang, None, geo)
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
