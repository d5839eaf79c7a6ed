"""Posts of the simulated world, generated one day at a time (numpy for counts, times, kinds and targets).

Each day gives a :class:`Day`: column arrays sorted by time plus the post texts (shared, pre-rendered
:class:`~marsad.simulate.text.Text` objects or ones rendered for that post). Only a sliding window of recent
originals (what can still be reposted, replied to or quoted) is kept between days, so memory stays flat in the
number of posts.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from ..errors import MarsadError
from .params import LANGS, ROLES
from .places import CITIES, COUNTRY_INFO
from .text import (CHATTER, COMMERCIAL, HARD_NEGATIVE, QUOTE, REPLY, SHOUTOUT_LIST, SHOUTOUT_RETURN, SUPPORT, Renderer,
                   Text, build_bank)
from .world import DAY_MS, HARD_NEGATIVE as HN, NEVER, ORDINARY, SUPPORTER, TW_EPOCH_MS, WEB_CLIENT, World

ORIGINAL, REPOST, REPLY_K, QUOTE_K, SHOUTOUT, COORD_COPY, COORD_TAG, COORD_REPOST = 0, 1, 2, 3, 4, 5, 6, 7
KIND_NAMES = ("original", "repost", "reply", "quote", "shoutout", "coord-copy", "coord-hashtag")
MIX_KEYS = ("original", "repost", "reply", "quote", "shoutout")
# local-hour activity profile (evening peak)
DIURNAL = np.array([3, 2, 1.5, 1, .8, .8, 1.2, 2, 3, 3.5, 4, 4, 4.2, 4.2, 4, 4, 4.2, 4.5, 5, 5.5, 6, 6, 5.5, 4.5])
DIURNAL_CDF = np.cumsum(DIURNAL) / DIURNAL.sum()
BANK_VARIANTS = 300
_SUFFIXES = ["", " .", " ✔", " 🏴", " !!", " ..", " ✌"]


@dataclass
class Day:
    index: int
    start_ms: int
    pid: np.ndarray
    t: np.ndarray
    acc: np.ndarray
    kind: np.ndarray
    target: np.ndarray  # post id of the reposted / replied-to / quoted post, else -1
    target_acc: np.ndarray
    texts: list  # Text per post (None for reposts: the text is the target's)
    supportive: np.ndarray
    coord_group: np.ndarray
    coord_event: np.ndarray  # id of the coordinated event the post belongs to, else -1
    promoted: dict  # post index -> [account indices]
    city: np.ndarray  # index into CITIES[country] for geotagged posts, else -1
    lat: np.ndarray
    lon: np.ndarray
    client: np.ndarray
    lang: np.ndarray

    @property
    def n(self) -> int:
        return len(self.pid)


class _Pool:
    """Recent originals that can be reposted, replied to or quoted, sorted by time."""

    def __init__(self) -> None:
        self.pid = np.empty(0, np.int64)
        self.t = np.empty(0, np.int64)
        self.acc = np.empty(0, np.int32)
        self.sup = np.empty(0, bool)
        self.w = np.empty(0, float)
        self.cw = None  # cumulative weights (cached between changes)

    def trim(self, t_min: int, suspended: np.ndarray, now: int) -> None:
        keep = (self.t >= t_min) & (suspended[self.acc] > now)
        for k in ("pid", "t", "acc", "sup", "w"):
            setattr(self, k, getattr(self, k)[keep])
        self.cw = None

    def add(self, pid, t, acc, sup, w) -> None:
        order = np.argsort(np.concatenate([self.t, t]), kind="stable")
        self.pid = np.concatenate([self.pid, pid])[order]
        self.t = np.concatenate([self.t, t])[order]
        self.acc = np.concatenate([self.acc, acc])[order]
        self.sup = np.concatenate([self.sup, sup])[order]
        self.w = np.concatenate([self.w, w])[order]
        self.cw = None

    def pick(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """Index of a weighted random entry posted before each time, or -1 when none is."""
        if not len(self.t):
            return np.full(len(t), -1)
        k = np.searchsorted(self.t, t, side="left")
        if self.cw is None:
            self.cw = np.cumsum(self.w)
        cw = self.cw
        tot = np.where(k > 0, cw[np.maximum(k - 1, 0)], 0.0)
        idx = np.searchsorted(cw, rng.random(len(t)) * tot, side="right")
        return np.where((k > 0) & (tot > 0), np.minimum(idx, np.maximum(k - 1, 0)), -1)


class DayGenerator:
    def __init__(self, world: World):
        self.w = world
        p = world.params
        self.p = p
        self.rng = np.random.default_rng([p.seed, 2])
        self.prng = random.Random(p.seed * 104729 + 3)
        self.r = Renderer(p.seed * 13 + 5)
        r = self.r
        self.banks = {
            "support": build_bank(r, SUPPORT, "supporter", BANK_VARIANTS),
            "hard_negative": build_bank(r, HARD_NEGATIVE, "hard_negative", BANK_VARIANTS),
            "chatter": build_bank(r, CHATTER, "ordinary", BANK_VARIANTS),
            "reply_s": build_bank(r, REPLY["supporter"], "supporter", 60),
            "reply_h": build_bank(r, REPLY["hard_negative"], "hard_negative", 60),
            "reply_o": build_bank(r, REPLY["ordinary"], "ordinary", 60),
            "quote_s": build_bank(r, QUOTE["supporter"], "supporter", 60),
            "quote_h": build_bank(r, QUOTE["hard_negative"], "hard_negative", 60),
        }
        # the texts of originals by (bank, language, variant), flat: bank 0 support, 1 hard negative, 2 chatter
        self.orig_texts = np.empty(3 * len(LANGS) * BANK_VARIANTS, object)
        for b, name in enumerate(("support", "hard_negative", "chatter")):
            for li, lg in enumerate(LANGS):
                at = (b * len(LANGS) + li) * BANK_VARIANTS
                self.orig_texts[at:at + BANK_VARIANTS] = self.banks[name][lg]
        a = world.a
        cat, role = a["category"], a["role"]
        mix_idx = np.where(cat == HN, 4, np.where(cat == ORDINARY, 5, 0))
        for k, rname in enumerate(("node", "amplifier", "shoutout", "other")):
            mix_idx = np.where((cat == SUPPORTER) & (role == ROLES.index(rname)), k, mix_idx)
        self.mix_idx = mix_idx
        mixes = p.mixes()
        order = ("node", "amplifier", "shoutout", "supporter_other", "hard_negative", "ordinary")
        self.mix_cum = np.array([np.cumsum([mixes[m].get(k, 0.0) for k in MIX_KEYS]) for m in order])
        self.offset_s = np.array([COUNTRY_INFO[world.countries[c]]["tz"][1] for c in a["country"]], np.int64)
        self.statuses = a["statuses0"].copy()
        self.pools = (_Pool(), _Pool())  # supporter side, control side
        self.events = 0
        self._promo = None

    # ------------------------------------------------------------------------------------------------------------
    def day(self, d: int) -> Day:
        w, p, rng, a = self.w, self.p, self.rng, self.w.a
        d0 = w.start_ms + d * DAY_MS
        d1 = d0 + DAY_MS
        na = w.n_accounts
        if len(self.statuses) < na:
            self.statuses = np.concatenate([self.statuses, a["statuses0"][len(self.statuses):]])
        lo = np.maximum(d0, a["active_from"])
        hi = np.minimum(d1, np.minimum(a["suspended"], NEVER))
        frac = np.clip((hi - lo) / DAY_MS, 0, 1)
        mult = np.where(a["hyper"] & (rng.random(na) < p.burst_day_share), p.burst_multiplier, 1.0)
        counts = rng.poisson(a["rate"] * mult * frac)
        acc = np.repeat(np.arange(na, dtype=np.int32), counts)
        n = len(acc)
        # times: local-hour profile for accounts active all day, uniform otherwise
        local = (np.searchsorted(DIURNAL_CDF, rng.random(n)) * 3600 + rng.integers(0, 3600, n)).astype(np.int64)
        t_full = d0 + ((local - self.offset_s[acc]) % 86400) * 1000 + rng.integers(0, 1000, n)
        t_part = lo[acc] + (rng.random(n) * (hi[acc] - lo[acc])).astype(np.int64)
        t = np.where(frac[acc] >= 1.0, t_full, t_part)
        u = rng.random(n)
        # index in MIX_KEYS = the kind code (original, repost, reply, quote, shoutout)
        kind = (u[:, None] >= self.mix_cum[self.mix_idx[acc]][:, :-1]).sum(1).astype(np.int8)
        extra_t, extra_acc, extra_kind, extra_aux = [], [], [], []
        # scheduled shout-outs announcing returning accounts
        ann = w.announcements
        if ann is not None and len(ann):
            today = ann[(ann[:, 0] >= d0) & (ann[:, 0] < d1)]
            for when, who, new, old in today.tolist():
                extra_t.append(when)
                extra_acc.append(who)
                extra_kind.append(SHOUTOUT)
                extra_aux.append(("ann", new, old))
        # coordinated events
        events = self._coord_events(d0, extra_t, extra_acc, extra_kind, extra_aux)
        n0 = n
        t = np.concatenate([t, np.array(extra_t, np.int64)])
        acc = np.concatenate([acc, np.array(extra_acc, np.int32)])
        kind = np.concatenate([kind, np.array(extra_kind, np.int8)])
        order = np.lexsort((acc, t))
        t, acc, kind = t[order], acc[order], kind[order]
        n = len(t)
        aux: list = [None] * n  # what the scheduled posts (after the n0 drawn ones) are for, in time order
        where = np.empty(n, np.int64)
        where[order] = np.arange(n)
        for j, x in enumerate(extra_aux):
            aux[where[n0 + j]] = x
        if n >= (1 << 22):
            raise MarsadError(f"day {d} has {n:,} posts; at most 4,194,303 per day fit in snowflake ids")
        pid = ((t - TW_EPOCH_MS) << 22) | np.arange(n, dtype=np.int64)

        cat = a["category"][acc]
        lang = a["lang"][acc]
        texts = np.full(n, None, object)
        supportive = np.zeros(n, bool)
        target = np.full(n, -1, np.int64)
        target_acc = np.full(n, -1, np.int32)
        coord_group = np.full(n, -1, np.int32)
        coord_event = np.full(n, -1, np.int32)
        promoted: dict = {}

        # originals
        orig = np.flatnonzero(kind == ORIGINAL)
        chat_u = rng.random(len(orig))
        oc = cat[orig]
        chatter = ((oc == SUPPORTER) & (chat_u < p.supporter_chatter_share)) | (oc == ORDINARY) | (
            (oc == HN) & (chat_u < p.hard_negative_chatter_share))
        bank_id = np.where(chatter, 2, np.where(oc == SUPPORTER, 0, 1))
        var = rng.integers(0, BANK_VARIANTS, len(orig))
        texts[orig] = self.orig_texts[(bank_id * len(LANGS) + lang[orig]) * BANK_VARIANTS + var]
        supportive[orig] = (oc == SUPPORTER) & ~chatter

        # the pools: drop what is too old or whose author is gone, add today's originals
        for pool in self.pools:
            pool.trim(d0 - p.repost_window_days * DAY_MS, a["suspended"], d0)
        node = a["role"][acc[orig]] == ROLES.index("node")
        sup_side = oc == SUPPORTER
        wts = np.where(sup_side, np.where(chatter, 0.2, np.where(node, p.node_repost_weight, 1.0)),
                       np.where(oc == HN, 2.0, 1.0))
        for side, m in ((0, sup_side), (1, ~sup_side)):
            self.pools[side].add(pid[orig[m]], t[orig[m]], acc[orig[m]], supportive[orig[m]], wts[m])

        # reposts, replies, quotes (targets picked among originals posted before)
        for k in (REPOST, REPLY_K, QUOTE_K):
            idx = np.flatnonzero(kind == k)
            if not len(idx):
                continue
            side = np.where(cat[idx] == SUPPORTER, 0, 1)
            if k != REPOST:  # hard negatives reply to and quote supporters
                side = np.where(cat[idx] == HN, 0, side)
            for s in (0, 1):
                sel = idx[side == s]
                pool = self.pools[s]
                j = pool.pick(rng, t[sel])
                ok = j >= 0
                ok[ok] &= pool.acc[j[ok]] != acc[sel[ok]]
                target[sel[ok]] = pool.pid[j[ok]]
                target_acc[sel[ok]] = pool.acc[j[ok]]
                if k == REPOST:
                    supportive[sel[ok]] = pool.sup[j[ok]]
        rq = np.flatnonzero(((kind == REPLY_K) | (kind == QUOTE_K)) & (target >= 0))
        for i, k, c, lg, ta, ti in zip(rq.tolist(), kind[rq].tolist(), cat[rq].tolist(), lang[rq].tolist(),
                                        target_acc[rq].tolist(), t[rq].tolist()):
            key = ("reply_" if k == REPLY_K else "quote_") + ("s" if c == SUPPORTER else "h" if c == HN else "o")
            if key == "quote_o":
                key = "quote_h"
            body = self.banks[key][LANGS[lg]][self.prng.randrange(60)]
            if k == REPLY_K:
                texts[i] = _prefixed(body, (w.handle_at(ta, ti), w.id_str(ta), w.name[ta]))
            else:
                texts[i] = body
        supportive[rq] = cat[rq] == SUPPORTER
        # shout-outs and coordinated posts
        sp = np.flatnonzero(kind >= SHOUTOUT)
        for i, ai, ti, lg in zip(sp.tolist(), acc[sp].tolist(), t[sp].tolist(), lang[sp].tolist()):
            self._special(i, aux[i], ai, ti, LANGS[lg], texts, supportive, target,
                          target_acc, coord_group, promoted, events)
            if aux[i] is not None and aux[i][0] == "coord":
                coord_event[i] = aux[i][1]
        kind[kind == COORD_REPOST] = REPOST
        # a post that found nothing to repost / reply to / quote is dropped
        keep = ~(((kind == REPOST) | (kind == REPLY_K) | (kind == QUOTE_K)) & (target < 0))
        # geotags and clients
        geo = (a["geotag"][acc] & (kind != REPOST) & (rng.random(n) < p.geotag_post_share)) & keep
        city = np.full(n, -1, np.int16)
        lat = np.full(n, np.nan)
        lon = np.full(n, np.nan)
        for i in np.flatnonzero(geo).tolist():
            cl = CITIES[w.countries[a["country"][acc[i]]]]
            ci = self.prng.randrange(len(cl))
            city[i] = ci
            lat[i] = round(cl[ci][2] + self.prng.uniform(-0.05, 0.05), 6)
            lon[i] = round(cl[ci][3] + self.prng.uniform(-0.05, 0.05), 6)
        client = np.where((rng.random(n) < p.secondary_client_share) & (coord_group < 0), WEB_CLIENT,
                          a["client"][acc]).astype(np.int16)
        ki = np.flatnonzero(keep)
        remap = np.cumsum(keep) - 1
        day = Day(d, d0, pid[ki], t[ki], acc[ki], kind[ki], target[ki], target_acc[ki], texts[ki].tolist(),
                  supportive[ki], coord_group[ki], coord_event[ki], {int(remap[i]): v for i, v in promoted.items() if keep[i]},
                  city[ki], lat[ki], lon[ki], client[ki], lang[ki])
        np.add.at(self.statuses, day.acc, 1)
        return day

    # ------------------------------------------------------------------------------------------------------------
    def _coord_events(self, d0: int, ts: list, accs: list, kinds: list, aux: list) -> dict:
        w, p, rng = self.w, self.p, self.rng
        a = w.a
        events: dict = {}
        for g in w.groups:
            for _ in range(int(rng.poisson(p.coord_events_per_day))):
                t0 = d0 + int(rng.uniform(0.02, 0.9) * DAY_MS)
                eid = self.events
                self.events += 1
                g.events += 1
                events[eid] = {"group": g, "t0": t0}
                first = True
                for person in g.members:
                    acc = next((i for i in w.person_accounts[person]
                                if a["active_from"][i] <= t0 < a["suspended"][i]), None)
                    if acc is None or rng.random() > p.coord_participation:
                        continue
                    scale = 4.0 if g.behaviour == "hashtag" else 1.0
                    delay = 0 if first else int(min(900.0, rng.exponential(p.coord_delay_seconds * scale)) * 1000)
                    first = False
                    ts.append(t0 + delay)
                    accs.append(acc)
                    kinds.append({"repost": COORD_REPOST, "copypaste": COORD_COPY, "hashtag": COORD_TAG}[g.behaviour])
                    aux.append(("coord", eid))
        return events

    def _special(self, i, aux, acc, t, lang, texts, supportive, target, target_acc, coord_group, promoted, events):
        w, r, prng = self.w, self.r, self.prng
        a = w.a
        if aux is None:  # a shout-out list from the account's own mix
            cand = self._promotable(t, acc)
            if not len(cand):
                texts[i] = self.banks["support"][lang][prng.randrange(BANK_VARIANTS)]
                supportive[i] = True
                return
            k = min(len(cand), prng.choice([2, 3]))
            chosen = [int(x) for x in self.rng.choice(cand, size=k, replace=False)]
            ments = [(w.handle_at(c, t), w.id_str(c), w.name[c]) for c in chosen]
            texts[i] = r.render(prng.choice(SHOUTOUT_LIST[lang]), lang, "supporter", mentions=ments)
            promoted[i] = chosen
            supportive[i] = True
            return
        if aux[0] == "ann":
            new, old = aux[1], aux[2]
            handles = {"new": (w.handle_at(new, t), w.id_str(new), w.name[new]),
                       "old": (w.handle_at(old, t), w.id_str(old), w.name[old]), "name": w.name[new]}
            texts[i] = r.render(prng.choice(SHOUTOUT_RETURN[lang]), lang, "supporter", handles=handles)
            promoted[i] = [new]
            supportive[i] = True
            return
        ev = events[aux[1]]
        g = ev["group"]
        coord_group[i] = g.gid
        if g.behaviour == "repost":
            if "target" not in ev:
                j = self.pools[0].pick(self.rng, np.array([ev["t0"]]))[0]
                ev["target"] = (int(self.pools[0].pid[j]), int(self.pools[0].acc[j]), bool(self.pools[0].sup[j])) \
                    if j >= 0 else None
            if ev["target"] and ev["target"][1] != acc:
                target[i], target_acc[i], supportive[i] = ev["target"]
            return
        side = "supporter" if g.side == SUPPORTER else "commercial"
        bank = SUPPORT if g.side == SUPPORTER else COMMERCIAL
        if g.behaviour == "copypaste":
            if "texts" not in ev:
                base = r.render(prng.choice(bank[lang]), lang, side, hashtags=[g.hashtag] * 3, link=g.link)
                ev["texts"] = [base] + [Text(base.text + s, base.lang, base.hashtags, base.urls, base.mentions)
                                        for s in _SUFFIXES[1:]]
            texts[i] = prng.choice(ev["texts"])
        else:
            texts[i] = r.render(prng.choice(bank[lang]), lang, side, hashtags=[g.hashtag] * 3, link=g.link)
        supportive[i] = g.side == SUPPORTER

    def _promotable(self, t: int, acc: int) -> np.ndarray:
        """Supporter accounts a shout-out can promote (active this day; recently created ones preferred)."""
        a = self.w.a
        d0 = t - (t - self.w.start_ms) % DAY_MS
        if self._promo is None or self._promo[0] != d0:
            cand = np.flatnonzero((a["category"] == SUPPORTER) & (a["active_from"] <= d0) & (a["suspended"] > d0 + DAY_MS))
            self._promo = (d0, cand, cand[a["active_from"][cand] > d0 - 7 * DAY_MS])
        _, cand, recent = self._promo
        pick = recent if len(recent) >= 3 and self.prng.random() < 0.7 else cand
        return pick[pick != acc]


def _prefixed(body: Text, mention: tuple) -> Text:
    prefix = "@" + mention[0] + " "
    h, u, m = body.shifted(len(prefix), 10 ** 9)
    return Text(prefix + body.text, body.lang, h, u, [(mention[0], mention[1], mention[2], 0, len(prefix) - 1)] + m)
