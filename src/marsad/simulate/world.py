"""The simulated population: people and their accounts, roles, countries, clients, followers, suspensions and
re-created accounts, renames, coordinated groups and the shout-outs that announce returning accounts.

Everything here is per account (numpy arrays, a few Python lists of strings); posts are generated day by day in
:mod:`marsad.simulate.days` so memory does not grow with the number of posts.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import numpy as np

from .params import CATEGORIES, COORD_BEHAVIOURS, DEVICE_FAMILIES, HANDLE_VARIANTS, LANGS, ROLES, SimParams
from .places import COUNTRY_INFO, location_string
from .text import (AVATAR_OTHER, AVATAR_SUPPORTER, BIO_HARD_NEGATIVE, BIO_ORDINARY, BIO_SUPPORTER, CITY_NAMES,
                   CLIENTS, FIRST_AR, FIRST_LAT, KUNYA_NAMES, LAST_AR, LAST_LAT, NISBA, OUTLETS, Renderer)

DAY_MS = 86_400_000
TW_EPOCH_MS = 1288834974657  # Twitter snowflake epoch
SNOWFLAKE_FROM_MS = 1383523200000  # 2013-11-04: user ids are snowflakes from about then
NEVER = np.iinfo(np.int64).max
SUPPORTER, HARD_NEGATIVE, ORDINARY = 0, 1, 2
CLIENT_LIST = [(fam, href, name) for fam in DEVICE_FAMILIES for href, name in CLIENTS[fam]]
CLIENT_BY_FAMILY = {fam: [i for i, c in enumerate(CLIENT_LIST) if c[0] == fam] for fam in DEVICE_FAMILIES}
WEB_CLIENT = CLIENT_BY_FAMILY["web"][0]
_TRANSLIT = {t: alts for _, alts in KUNYA_NAMES + NISBA for t in alts}


def _choice(rng: np.random.Generator, d: dict, keys: tuple, n: int) -> np.ndarray:
    p = np.array([d.get(k, 0.0) for k in keys], dtype=float)
    return rng.choice(len(keys), size=n, p=p / p.sum())


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


@dataclass
class Group:
    gid: int
    side: int  # SUPPORTER or ORDINARY
    behaviour: str  # repost | copypaste | hashtag
    members: list  # person indices
    automated: bool
    hashtag: str
    link: str
    events: int = 0


@dataclass
class World:
    params: SimParams
    start_ms: int
    end_ms: int
    countries: list
    # per person
    n_people: int = 0
    person_accounts: list = field(default_factory=list)  # person -> [account indices in order]
    # per account (numpy)
    a: dict = field(default_factory=dict)
    # per account (python lists)
    handle: list = field(default_factory=list)
    rename_handle: list = field(default_factory=list)
    name: list = field(default_factory=list)
    bio: list = field(default_factory=list)
    avatar: list = field(default_factory=list)
    location: list = field(default_factory=list)
    loc_kind: list = field(default_factory=list)
    loc_country: list = field(default_factory=list)
    tz_name: list = field(default_factory=list)
    variant: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    announcements: np.ndarray | None = None  # rows (time_ms, shoutout acc, promoted acc, old acc)

    @property
    def n_accounts(self) -> int:
        return len(self.handle)

    def id_str(self, i: int) -> str:
        return str(int(self.a["acc_id"][i]))

    def handle_at(self, i: int, t_ms: int) -> str:
        return self.rename_handle[i] if self.rename_handle[i] and t_ms >= self.a["rename_ms"][i] else self.handle[i]

    def followers_at(self, t_ms: np.ndarray | int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        a = self.a
        days = np.maximum(0, (t_ms - a["active_from"][idx]) / DAY_MS)
        return np.round(a["followers0"][idx] * (1 + a["growth"][idx] * days)).astype(np.int64)


# --- building -------------------------------------------------------------------------------------------------------

def _support_scale(p: SimParams, countries: list, w: np.ndarray) -> np.ndarray:
    """Per-country supporter probability: the relative shares rescaled so the population mean is supporter_share."""
    s = np.array([p.country_support.get(c, p.country_support_default) for c in countries], dtype=float)
    lo, hi = 0.0, 1e4
    for _ in range(100):
        k = (lo + hi) / 2
        if float((w * np.minimum(0.97, k * s)).sum()) < p.supporter_share:
            lo = k
        else:
            hi = k
    return np.minimum(0.97, hi * s)


def _kunya(rng: random.Random) -> tuple[str, str]:
    """(display name, handle base) of a supporter: a kunya such as "أبو عمر الشامي" / abu_omar_shami."""
    nm_ar, nm_tr = rng.choice(KUNYA_NAMES)
    ns_ar, ns_tr = rng.choice(NISBA)
    female = nm_tr[0] in ("hajar", "haajar")
    kun_ar, kun_tr = ("أم", "umm") if female else ("أبو", "abu")
    pat = rng.random()
    t1, t2 = rng.choice(nm_tr), rng.choice(ns_tr)
    if pat < 0.4:
        h = f"{kun_tr}_{t1}_{t2}"
    elif pat < 0.7:
        h = f"{kun_tr}{t1}{t2}"
    elif pat < 0.85:
        h = f"{t1}_{t2}"
    else:
        h = f"{kun_tr}_{t1}{rng.randint(1, 99)}"
    return f"{kun_ar} {nm_ar} {ns_ar}", h[:15]


def _ordinary_name(rng: random.Random, lang: str, hard_negative: bool) -> tuple[str, str]:
    if lang == "ar":
        (f_ar, f_tr), (l_ar, l_tr) = rng.choice(FIRST_AR), rng.choice(LAST_AR)
        name = f"{f_ar} {l_ar}"
        h = rng.choice([f"{f_tr}_{l_tr}", f"{f_tr[0]}{l_tr}", f"{f_tr}{rng.randint(1, 999)}"])
    else:
        f, l = rng.choice(FIRST_LAT), rng.choice(LAST_LAT)
        name = f"{f} {l}"
        h = rng.choice([f"{f}{l}", f"{f}_{l}", f"{f[0]}{l}{rng.randint(1, 99)}"])
    if hard_negative and rng.random() < 0.5:
        name = f"{name} | {rng.choice(OUTLETS)}"
        h = h[:11] + rng.choice(["_news", "news", "_tv", "_res"])
    return name, h[:15]


def _unique(h: str, taken: set, rng: random.Random) -> str:
    """``h`` or, when taken, ``h`` with a numeric suffix (wider as the space fills up: never loops for long)."""
    h = re.sub(r"[^A-Za-z0-9_]", "", h)[:15] or "user"
    stem = re.sub(r"\d+$", "", h) or "user"
    tries = 0
    while h.lower() in taken:
        width = min(9, 1 + tries // 8)  # 8 tries per suffix width, then one digit more
        suffix = str(rng.randint(10 ** (width - 1), 10 ** width - 1))
        h = stem[: 15 - len(suffix)] + suffix
        tries += 1
    taken.add(h.lower())
    return h


def handle_variant(rng: random.Random, h: str, kind: str, seq: int) -> str:
    """A returning user's new handle: numeric suffix, moved/doubled underscores, or a transliteration variant."""
    if kind == "translit":
        for tok in sorted(_TRANSLIT, key=len, reverse=True):
            if tok in h.lower():
                alts = [a for a in _TRANSLIT[tok] if a != tok]
                if alts:
                    return h.lower().replace(tok, rng.choice(alts), 1)[:15]
        kind = "suffix"
    if kind == "underscore":
        if "_" in h:
            r = rng.random()
            if r < 0.4:
                return h.replace("_", "__", 1)[:15]
            if r < 0.7:
                return (h.replace("_", "", 1) + "_")[:15]
            return ("_" + h)[:15]
        i = rng.randint(1, max(1, len(h) - 1))
        return (h[:i] + "_" + h[i:])[:15]
    base = re.sub(r"\d+$", "", h)
    suffix = str(seq + 1) if rng.random() < 0.6 else str(rng.randint(2, 99))
    return base[: 15 - len(suffix)] + suffix


def _account_id(rng: np.random.Generator, created_ms: np.ndarray) -> np.ndarray:
    old = created_ms < SNOWFLAKE_FROM_MS
    ids = np.where(
        old,
        10_000_000 + (created_ms - 1167609600000) // 1000 * 13 // 10,
        ((created_ms - TW_EPOCH_MS) << 22) | rng.integers(0, 1 << 22, size=len(created_ms)),
    ).astype(np.int64)
    while True:  # bump the rare duplicates
        _, first = np.unique(ids, return_index=True)
        dup = np.setdiff1d(np.arange(len(ids)), first)
        if not len(dup):
            return ids
        ids[dup] += 1 + rng.integers(0, 1000, size=len(dup))


def build_world(p: SimParams) -> World:
    p.validate()
    rng = np.random.default_rng([p.seed, 1])
    prng = random.Random(p.seed * 7919 + 11)
    start = int(p.start_dt.timestamp() * 1000)
    end = start + p.days * DAY_MS
    countries = sorted(p.country_weights)
    w = np.array([p.country_weights[c] for c in countries], dtype=float)
    w /= w.sum()
    P = p.accounts

    # people
    country = rng.choice(len(countries), size=P, p=w)
    p_supp = _support_scale(p, countries, w)[country]
    u = rng.random(P)
    category = np.where(u < p_supp, SUPPORTER,
                        np.where(rng.random(P) < p.hard_negative_share, HARD_NEGATIVE, ORDINARY)).astype(np.int8)
    supp = category == SUPPORTER
    role = np.full(P, ROLES.index("other"), dtype=np.int8)
    role[supp] = _choice(rng, p.supporter_roles, ROLES, int(supp.sum()))
    lang = np.empty(P, dtype=np.int8)
    for ci, c in enumerate(countries):
        m = country == ci
        lang[m] = _choice(rng, COUNTRY_INFO[c]["langs"], LANGS, int(m.sum()))
    device = np.where(supp, _choice(rng, p.devices_supporter, DEVICE_FAMILIES, P),
                      _choice(rng, p.devices_control, DEVICE_FAMILIES, P)).astype(np.int8)
    followers = np.where(
        supp,
        np.minimum(p.followers_cap_supporter, _lognormal(rng, p.followers_median_supporter, p.followers_sigma_supporter, P)),
        np.minimum(p.followers_cap_control, _lognormal(rng, p.followers_median_control, p.followers_sigma_control, P)),
    )
    role_mult = np.array([p.activity_by_role.get(r, 1.0) for r in ROLES])[role]
    rate = np.where(supp, p.posts_per_day_supporter, p.posts_per_day_control) * role_mult
    rate = rate * np.exp(p.posts_per_day_sigma * rng.standard_normal(P) - p.posts_per_day_sigma ** 2 / 2)
    hyper = supp & (rng.random(P) < p.hyperactive_share)
    rate = np.where(hyper, rate * p.hyperactive_multiplier, rate)
    geotag = rng.random(P) < p.geotag_account_share
    age_days = np.where(supp, 20 + rng.exponential(250, P), 30 + rng.uniform(0, 1800, P))
    created = (start - age_days * DAY_MS).astype(np.int64)
    created -= created % 1000  # the platforms give creation times to the second
    has_tz = rng.random(P) < p.timezone_share

    world = World(params=p, start_ms=start, end_ms=end, countries=countries, n_people=P)
    world.person_accounts = [[i] for i in range(P)]
    cols = dict(
        person=np.arange(P, dtype=np.int32), seq=np.zeros(P, np.int16), category=category, role=role,
        country=country.astype(np.int16), lang=lang, device=device, followers0=followers,
        growth=np.full(P, p.follower_growth_per_day), rate=rate, hyper=hyper, geotag=geotag, created=created,
        active_from=np.full(P, start, np.int64), suspended=np.full(P, NEVER, np.int64),
        rename_ms=np.full(P, NEVER, np.int64), coord_group=np.full(P, -1, np.int32),
        prev=np.full(P, -1, np.int32), avatar_same=np.zeros(P, bool), has_tz=has_tz,
        following=np.round(_lognormal(rng, 300, 1.0, P)).astype(np.int64),
        statuses0=np.round(rate * age_days * rng.uniform(0.3, 1.0, P)).astype(np.int64),
    )

    # names, handles, bios, avatars, locations (one Python loop over people)
    taken: set = set()
    bio_tmpl, bio_k = [], []
    for i in range(P):
        lg = LANGS[lang[i]]
        cat = category[i]
        if cat == SUPPORTER:
            name, h = _kunya(prng)
            bt = prng.choice(BIO_SUPPORTER[lg])
            av = prng.choice(AVATAR_SUPPORTER)
        else:
            name, h = _ordinary_name(prng, lg, cat == HARD_NEGATIVE)
            bank = BIO_HARD_NEGATIVE if cat == HARD_NEGATIVE else BIO_ORDINARY
            bt = prng.choice(bank[lg])
            av = prng.choice(AVATAR_OTHER)
        world.handle.append(_unique(h, taken, prng))
        world.name.append(name)
        bio_tmpl.append(bt)
        bio_k.append(prng.randint(1, 9))
        world.bio.append(bt.format(k=bio_k[-1], c=prng.choice(CITY_NAMES[lg])))
        world.avatar.append(av.format(d=prng.randint(1000, 9999)))
        loc, kind, lc = location_string(prng, countries[country[i]], lg, cat == SUPPORTER,
                                        empty=p.location_empty_share, joke=p.location_joke_share,
                                        ambiguous=p.location_ambiguous_share, wilayah=p.location_wilayah_share)
        world.location.append(loc)
        world.loc_kind.append(kind)
        world.loc_country.append(lc)
        world.tz_name.append(COUNTRY_INFO[countries[country[i]]]["tz"][0] if has_tz[i] else "")
        world.variant.append("")
        world.rename_handle.append("")

    # coordinated groups (people; re-created accounts inherit their person's group)
    gid = 0
    lo, hi = p.coord_group_size
    amp = ROLES.index("amplifier")
    supp_people = np.flatnonzero(supp)
    order = supp_people[np.lexsort((rng.random(len(supp_people)), role[supp_people] != amp))]
    n_in = int(round(p.coord_supporter_share * len(supp_people)))
    pos = 0
    behaviours = COORD_BEHAVIOURS  # fixed order: the output must not depend on the order of keys in a file
    while n_in - pos >= lo:
        size = min(int(rng.integers(lo, hi + 1)), n_in - pos)
        members = [int(x) for x in order[pos:pos + size]]
        pos += size
        world.groups.append(_group(rng, prng, gid, SUPPORTER, members, p, behaviours))
        gid += 1
    ordinary = np.flatnonzero(category == ORDINARY)
    rng.shuffle(ordinary)
    pos = 0
    for _ in range(p.coord_control_groups):
        size = int(rng.integers(lo, hi + 1))
        if pos + size > len(ordinary):
            break
        members = [int(x) for x in ordinary[pos:pos + size]]
        pos += size
        world.groups.append(_group(rng, prng, gid, ORDINARY, members, p, ("hashtag",)))
        gid += 1
    for g in world.groups:
        cols["coord_group"][g.members] = g.gid
        if g.automated:
            cols["device"][g.members] = DEVICE_FAMILIES.index("automation")
    world.a = cols

    _suspensions(world, rng, prng, bio_tmpl, bio_k, taken)
    _renames(world, rng, prng, taken)
    _announcements(world, rng)
    world.a["acc_id"] = _account_id(rng, world.a["created"])
    fam_clients = np.array([prng.choice(CLIENT_BY_FAMILY[DEVICE_FAMILIES[d]]) for d in world.a["device"]], np.int16)
    world.a["client"] = fam_clients
    return world


def _group(rng, prng, gid: int, side: int, members: list, p: SimParams, behaviours: tuple) -> Group:
    if side == SUPPORTER:
        bw = np.array([p.coord_behaviours.get(b, 0.0) for b in behaviours], dtype=float)
        behaviour = behaviours[int(rng.choice(len(behaviours), p=bw / bw.sum()))]
        tag = prng.choice(["غزوة_", "حملة_", "Storm_", "Raid_"]) + f"{gid}{prng.choice(['أ', 'ب', 'x', 'z'])}"
        link = Renderer(p.seed * 31 + gid).link("supporter")
    else:
        behaviour = "hashtag"
        tag = prng.choice(["عروض_", "deal_", "promo_"]) + str(gid)
        link = Renderer(p.seed * 31 + gid).link("commercial")
    automated = bool(rng.random() < p.coord_automation_share) if side == SUPPORTER else True
    return Group(gid, side, behaviour, members, automated, re.sub(r"\W", "_", tag), link)


def _append_accounts(world: World, rows: list[tuple[int, dict]]) -> None:
    """Append accounts copied from a source account with some columns overridden (one concatenation)."""
    if not rows:
        return
    a = world.a
    src = np.array([r[0] for r in rows])
    for k, v in a.items():
        col = v[src].copy()
        for j, (_, over) in enumerate(rows):
            if k in over:
                col[j] = over[k]
        a[k] = np.concatenate([v, col])


def _suspensions(world: World, rng, prng, bio_tmpl: list, bio_k: list, taken: set) -> None:
    p, a = world.params, world.a
    sus_mult = np.array([p.suspension_by_role.get(r, 1.0) for r in ROLES])
    variants = HANDLE_VARIANTS
    vw = np.array([p.handle_variants.get(v, 0.0) for v in variants], dtype=float)
    cur = np.arange(world.n_people)  # each person's latest account
    t = world.start_ms + p.suspension_wave_every_days * DAY_MS
    while t < world.end_ms:
        wave_t = t + int(rng.integers(0, 12 * 3_600_000))
        acc = cur[a["category"][cur] == SUPPORTER]
        alive = acc[(a["active_from"][acc] <= wave_t) & (a["suspended"][acc] == NEVER)]
        prob = np.minimum(1.0, p.suspension_wave_share * sus_mult[a["role"][alive]])
        hit = alive[rng.random(len(alive)) < prob]
        a["suspended"][hit] = wave_t + rng.integers(0, 6 * 3_600_000, size=len(hit))
        back = hit[rng.random(len(hit)) < p.recreate_share]
        delays = rng.uniform(*p.recreate_delay_days, size=len(back)) * DAY_MS
        pending: list = []
        for old, delay in zip(back.tolist(), delays.tolist()):
            born = int(a["suspended"][old] + delay)
            born -= born % 1000
            if born >= world.end_ms:
                continue
            person = int(a["person"][old])
            seq = int(a["seq"][old]) + 1
            kind = variants[int(rng.choice(len(variants), p=vw / vw.sum()))]
            f_at = float(world.followers_at(int(a["suspended"][old]), np.array([old]))[0])
            same_avatar = bool(rng.random() < p.avatar_same_share)
            new = len(world.handle)
            pending.append((old, dict(
                seq=seq, created=born, active_from=born, suspended=NEVER, prev=old,
                followers0=max(0.0, f_at * rng.uniform(*p.follower_regain)),
                growth=p.follower_growth_per_day * 5, avatar_same=same_avatar, rename_ms=NEVER, statuses0=0,
            )))
            for lst in ("handle", "rename_handle", "name", "bio", "avatar", "location", "loc_kind", "loc_country",
                        "tz_name", "variant"):
                getattr(world, lst).append(getattr(world, lst)[old])
            world.handle[new] = _unique(handle_variant(prng, world.handle_at(old, born), kind, seq), taken, prng)
            world.rename_handle[new] = ""
            world.variant[new] = kind
            if prng.random() < 0.4:
                world.name[new] = world.name[old] + prng.choice([f" {seq + 1}", " 🏴", f" ({seq + 1})", " الجديد"])
            world.bio[new] = bio_tmpl[person].format(k=bio_k[person] + seq, c="")
            av = world.avatar[old]
            world.avatar[new] = av if same_avatar else av + prng.choice(["_", "1", "2", "_new"])
            world.person_accounts[person].append(new)
            cur[person] = new
        _append_accounts(world, pending)
        t += p.suspension_wave_every_days * DAY_MS
    # a few control accounts suspended (spam etc.), never re-created
    ctrl = np.flatnonzero(a["category"][: world.n_people] != SUPPORTER)
    k = int(round(p.control_suspension_share * len(ctrl)))
    if k:
        pick = rng.choice(ctrl, size=k, replace=False)
        a["suspended"][pick] = world.start_ms + rng.integers(DAY_MS // 2, p.days * DAY_MS, size=k)


def _renames(world: World, rng, prng, taken: set) -> None:
    p, a = world.params, world.a
    n = world.n_accounts
    pick = np.flatnonzero(rng.random(n) < p.rename_share)
    replaced = set(a["prev"][a["prev"] >= 0].tolist())  # their successors' handles derive from the old handle
    for i in pick.tolist():
        if i in replaced:
            continue
        t = int(max(a["active_from"][i], world.start_ms) + DAY_MS * (1 + rng.integers(0, max(1, world.params.days - 1))))
        if t >= min(int(a["suspended"][i]), world.end_ms):
            continue
        a["rename_ms"][i] = t - t % DAY_MS  # takes effect at the start of a day
        world.rename_handle[i] = _unique(handle_variant(prng, world.handle[i], "underscore", 0), taken, prng)


def _announcements(world: World, rng) -> None:
    """Shout-out accounts announce each returning account within hours of its return."""
    p, a = world.params, world.a
    sh = np.flatnonzero((a["category"] == SUPPORTER) & (a["role"] == ROLES.index("shoutout")))
    rows = []
    for new in np.flatnonzero(a["seq"] > 0).tolist():
        k = int(rng.integers(p.shoutouts_per_return[0], p.shoutouts_per_return[1] + 1))
        times = a["active_from"][new] + (rng.uniform(0.2, max(0.3, p.shoutout_delay_hours), size=k) * 3_600_000)
        for t in times.astype(np.int64).tolist():
            ok = sh[(a["active_from"][sh] <= t) & (a["suspended"][sh] > t) & (a["person"][sh] != a["person"][new])]
            if len(ok) and t < world.end_ms:
                rows.append((t, int(rng.choice(ok)), new, int(a["prev"][new])))
    world.announcements = np.array(sorted(rows), dtype=np.int64).reshape(-1, 4)


CATEGORY_NAMES = CATEGORIES
