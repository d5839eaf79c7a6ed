"""Country resolution: one :class:`GeoResult` per location string, post or account, abstaining rather than guessing.

Evidence, strongest first (the account-level combination is in :meth:`Resolver.account`):

1. ``geotag``       post coordinates, reverse geocoded offline (nearest GeoNames place within 250 km)
2. ``place``        the platform's place country code
3. ``coords-text``  coordinates written in the location field ("ÜT: 33.32,-117.43")
4. free text        names found in the profile location, each a *mention*:
                    ``flag`` (emoji), ``country-name`` (names and aliases in ~50 languages), ``demonym``,
                    ``wilayat`` (IS province names, also after "Wilayat"/"ولاية"), ``region`` (states, provinces,
                    US state codes after a comma: "Austin, TX"), ``city`` (GeoNames cities of 15,000+ people)
5. ``timezone`` / ``utc-offset``: a weak prior (confidence 0.3 / 0.15) used only when nothing above answered.

Rules for free text (docs/geo.md has the same in plain words):

* Commas join the levels of one place ("Austin, TX"); slashes, pipes, bullets, "&", "+", planes, newlines and the
  Arabic "و" separate places ("Gaza/Geneva"); each flag emoji is a place of its own. Every *part* is resolved on
  its own and the parts must agree, else abstain: method ``multi-place``, ambiguous (also when a continent is
  named in another part: "USA | Europe").
* Within a part every mention gives a set of candidate countries and the answer must fit them all
  (intersection): "Paris, TX" -> US, "Alexandria, Virginia" -> US, "Punjab, India" -> IN. When they do not fit,
  the mentions that cannot stand alone are dropped first: ordinary words, then names ambiguous on their own
  ("North West, England" -> GB), then towns contradicting a country name ("Launceston, England" -> GB).
* Mentions that are ordinary words ("Nice", "Reading", "Northern") or Latin-script towns lighter than
  :data:`MINOR_WEIGHT` are *weak*: they confirm or refine, never answer alone.
* Disputed areas (Kashmir, Jerusalem, Crimea...) and names of several countries with no context (Punjab,
  Tripoli, Khorasan, Sham) -> abstain, method ``disputed`` / ``ambiguous``, with the candidates.
* A city name shared by cities in several countries resolves to the best-known one only if its weight
  (population x (1 + alternate names); a match on an alternate name counts 1%) is at least :data:`DOMINANCE`
  times the next country's (Alexandria -> EG, Paris -> FR, Santiago -> CL); otherwise abstain (Salem: India or
  Oregon; Hyderabad: India or Pakistan; Birmingham: England or Alabama; Barcelona: Spain or Venezuela).
* Country-level names (countries, flags, demonyms, wilayat) outrank cities of the same name (Georgia -> GE unless
  a US city or state code is also there: "Atlanta, Georgia" -> US).
* An answer from town/region names covering under :data:`LOW_COVERAGE` of the words is a bio -> ``low-coverage``.
* Known non-places ("Earth", "dar al-kufr", "بلاد الكفر", continents) with no place -> abstain, ``non-place``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .coords import parse_coords, reverse_geocoder
from .gazetteer import ALT_SHARE, KIND_RANK, Gazetteer, gazetteer
from .text import MAX_CHARS, segments, unspaced

# confidence of an answer by the kind of its strongest supporting mention
CONFIDENCE = {"geotag": 0.97, "place": 0.95, "coords-text": 0.9, "flag": 0.85, "country": 0.9, "abbrev": 0.85,
              "disputed": 0.9, "demonym": 0.75, "wilayat": 0.8, "region": 0.85, "city": 0.85,
              "timezone": 0.3, "utc-offset": 0.15}
METHOD_OF_KIND = {"country": "country-name", "abbrev": "country-name", "flag": "flag", "demonym": "demonym",
                  "wilayat": "wilayat", "region": "region", "city": "city", "disputed": "disputed"}
#: minimum ratio of weights for a shared city/region name to go to the best-known one
DOMINANCE = 10.0
COUNTRY_LEVEL = 1e18
#: a city/region lighter than this (population x (1 + alternate names)) is a village or obscure: it never
#: answers alone
MINOR_WEIGHT = 3e5
#: an answer from town/region names alone must cover at least this share of the words (else it is a bio)
LOW_COVERAGE = 0.2

_URLISH = re.compile(r"\S+@\S+\.\S+|https?://\S+|www\.\S+|\S+\.(?:com|net|org)\b\S*", re.IGNORECASE)
_LATIN_KEY = re.compile(r"[\x00-\u036f ]+")
_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_FLAG = re.compile(r"[\U0001F1E6-\U0001F1FF]{2}")
_TAG_FLAG = re.compile("\U0001F3F4([\U000E0061-\U000E007A]{2,6})\U000E007F")
_WILAYAT = ("wilayat", "wilayah", "wilaya", "vilayat", "velayat", "ولايه", "ولايت", "ولايات")
#: utc offsets (seconds) used by one country only: the weakest prior
UNIQUE_OFFSETS = {16200: "AF", 12600: "IR", 20700: "NP", 23400: "MM", -12600: "CA", 31500: "AU", 34200: "AU"}
#: flag pairs that are not countries
_NOT_COUNTRY_FLAGS = {"EU", "UN"}


@dataclass(frozen=True, slots=True)
class GeoResult:
    country: str | None
    method: str
    confidence: float = 0.0
    ambiguous: bool = False
    matched: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()

    def details(self) -> dict[str, Any]:
        d: dict[str, Any] = {"method": self.method, "ambiguous": self.ambiguous, "matched": list(self.matched)}
        if self.candidates:
            d["candidates"] = list(self.candidates)
        return d


EMPTY = GeoResult(None, "empty")
NO_MATCH = GeoResult(None, "no-match")


@dataclass(slots=True)
class _Mention:
    text: str
    scores: dict[str, float]  # country -> score (COUNTRY_LEVEL for country-level names, else weight)
    kinds: dict[str, str]  # country -> strongest kind
    weak: bool = False
    disputed: bool = False
    part: int = 0


@dataclass
class Resolver:
    """Resolve location strings, coordinates and account profiles to countries. Results for strings are cached
    (the same profile location recurs across a census: "Syria", "Earth", "dar al-kufr")."""

    gaz: Gazetteer | None = None
    cache_size: int = 1_000_000
    _cache: dict[str, GeoResult] = field(default_factory=dict, repr=False)
    _looked: dict[str, tuple] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.gaz is None:
            self.gaz = gazetteer()

    # --- free text ---------------------------------------------------------------------------------------------
    def location(self, text: Any) -> GeoResult:
        if not isinstance(text, str):
            return EMPTY
        hit = self._cache.get(text)
        if hit is None:
            hit = self._resolve_text(text)
            if len(self._cache) < self.cache_size:
                self._cache[text] = hit
        return hit

    def locations(self, texts: Iterable[Any]) -> list[GeoResult]:
        return [self.location(t) for t in texts]

    def _resolve_text(self, raw: str) -> GeoResult:
        text = raw[:MAX_CHARS]
        if "." in text or "@" in text:
            text = _URLISH.sub(" ", text)
        if "<" in text:
            text = _HTML_TAG.sub(" ", text)
        if not text.strip():
            return EMPTY
        pt = parse_coords(text)
        if pt is not None:
            ((cc, dist),) = reverse_geocoder().countries([pt])
            tag = (f"{pt[0]:.4f},{pt[1]:.4f}",)
            return GeoResult(cc, "coords-text", CONFIDENCE["coords-text"] if cc else 0.0, False, tag)
        mentions, nonplace, supra_parts, n_words = self._mentions(text)
        if not mentions:
            return GeoResult(None, "non-place", 0.0, False, tuple(nonplace)) if nonplace else NO_MATCH
        return self._decide(mentions, supra_parts, n_words)

    def _mentions(self, text: str) -> tuple[list[_Mention], list[str], set[int], int]:
        g = self.gaz
        mentions: list[_Mention] = []
        nonplace: list[str] = []
        supra_parts: set[int] = set()
        segs = segments(text)
        # flags are parts of their own (often decoration next to a name: "Italia 🇮🇹"): they must agree with the
        # text, and two different flags are two countries
        for k, m in enumerate(_FLAG.findall(text)):
            cc = "".join(chr(ord(c) - 0x1F1E6 + 65) for c in m)
            if cc in g.country_names and cc not in _NOT_COUNTRY_FLAGS:
                mentions.append(_Mention(m, {cc: COUNTRY_LEVEL}, {cc: "flag"}, part=-1 - k))
        for tag in _TAG_FLAG.findall(text):
            if "".join(chr(ord(c) - 0xE0000) for c in tag[:2]) == "gb":
                mentions.append(_Mention("flag-gb", {"GB": COUNTRY_LEVEL}, {"GB": "flag"}, part=-100))
        names_nonplace, supranational, exact = g.nonplace, g.supranational, g.exact
        span, look = g.span, self._lookup
        prev_part = -1
        for part, toks in segs:
            first_in_part = part != prev_part
            prev_part = part
            n = len(toks)
            i = 0
            wilayat = False
            while i < n:
                orig, tok = toks[i]
                if tok.isdigit():
                    i += 1
                    continue
                # a US state / Canadian province code after a comma: "Austin, TX", "in Hurst, Tx", "Danbury, CT USA"
                if (i == 0 and not first_in_part and len(orig) == 2 and orig[0].isupper() and orig.isalpha()
                        and (orig.upper() in g.us_states or orig.upper() in g.ca_provinces)):
                    cc = "US" if orig.upper() in g.us_states else "CA"
                    mentions.append(_Mention(orig, {cc: 1e12}, {cc: "region"}, part=part))
                    i += 1
                    continue
                if tok in _WILAYAT or (len(tok) > 9 and tok.startswith(("wilayat", "wilayah"))):
                    wilayat = True
                    if tok in _WILAYAT:
                        i += 1
                        continue
                    rest = tok[7:]
                    toks = toks[:i] + [(rest, rest)] + toks[i + 1:]
                    continue
                step = 0
                if orig in exact and len(orig) >= 2 and orig.isupper():
                    mentions.append(self._mention(orig, exact[orig], wilayat, tok, part))
                    step = 1
                else:
                    top = span.get(tok, 1)
                    if top == 1 and tok[0] >= "\u0600":
                        top = g.max_span(tok)
                    for L in range(min(top, n - i), 0, -1):
                        key = tok if L == 1 else " ".join(t[1] for t in toks[i:i + L])
                        if key in names_nonplace:
                            nonplace.append(key)
                            if key in supranational:
                                supra_parts.add(part)
                            step = L
                            break
                        entries = look(key)
                        if not entries and wilayat and L == 1 and len(key) > 4 and key.startswith("al"):
                            entries = look(key[2:])
                        if entries:
                            label = orig if L == 1 else " ".join(t[0] for t in toks[i:i + L])
                            mentions.append(self._mention(label, entries, wilayat, key, part))
                            step = L
                            break
                    if not step and not tok.isascii() and unspaced(tok):
                        mentions.extend(self._unspaced(tok, part))
                if step:
                    i += step
                    wilayat = False
                else:
                    i += 1
        n_words = sum(1 for _, toks in segs for _, t in toks if not t.isdigit())
        return mentions, nonplace, supra_parts, n_words

    def _lookup(self, key: str):
        hit = self._looked.get(key)
        if hit is None:
            hit = self.gaz.lookup(key)
            if len(self._looked) < 2 * self.cache_size:
                self._looked[key] = hit
        return hit

    def _unspaced(self, tok: str, part: int) -> list[_Mention]:
        """Names inside a token of a script written without spaces ("ประเทศไทย", "日本京都"): longest first."""
        out: list[_Mention] = []
        i, n = 0, min(len(tok), 40)
        while i < n:
            for L in range(n - i, 1, -1):
                entries = self.gaz.lookup(tok[i:i + L])
                if entries:
                    out.append(self._mention(tok[i:i + L], entries, False, tok[i:i + L], part))
                    i += L
                    break
            else:
                i += 1
        return out

    def _mention(self, text: str, entries, wilayat: bool, key: str, part: int = 0) -> _Mention:
        if wilayat:
            w = [e for e in entries if e[1] == "wilayat"]
            entries = w or entries
        scores: dict[str, float] = {}
        kinds: dict[str, str] = {}
        disputed = False
        fame = 0.0
        for countries, kind, weight, _name in entries:
            level = KIND_RANK.get(kind, 9)
            s = COUNTRY_LEVEL if level <= 1 else weight * (ALT_SHARE if kind == "city-alt" else 1.0)
            fame = max(fame, COUNTRY_LEVEL if level <= 1 else weight)
            kind = "city" if kind == "city-alt" else kind
            if kind == "disputed":
                disputed = True
            for c in countries:
                if s > scores.get(c, -1.0):
                    scores[c] = s
                    kinds[c] = kind
        # ordinary words, and towns too small or too obscure to answer alone (a village whose name or alternate
        # name is "Rona", "North", "University") only confirm or refine other mentions
        # (the size rule is for Latin script, where English words collide with village names; names in other
        # scripts are specific: الجهراء, الوكرة)
        weak = fame < COUNTRY_LEVEL and (key in self.gaz.common_words
                                         or (fame < MINOR_WEIGHT and _LATIN_KEY.fullmatch(key) is not None))
        return _Mention(text, scores, kinds, weak, disputed, part)

    def _decide(self, mentions: list[_Mention], supra_parts: set[int], n_words: int = 0) -> GeoResult:
        """Resolve each part (slash-separated) on its own, then require the parts to agree."""
        if all(m.weak for m in mentions):
            return GeoResult(None, "common-word", 0.0, False, tuple(m.text for m in mentions))
        if len(mentions) == 1 and not supra_parts:  # the common case: one name ("Syria", "London", "🇮🇶")
            r = self._decide_part(mentions)
            if r.method in ("city", "region") and n_words > 1 and len(r.matched[0].split()) < LOW_COVERAGE * n_words:
                return GeoResult(None, "low-coverage", 0.0, False, r.matched)
            return r
        parts: dict[int, list[_Mention]] = {}
        for m in mentions:
            parts.setdefault(m.part, []).append(m)
        results = [self._decide_part(ms) for _, ms in sorted(parts.items())]
        answered = [r for r in results if r.country]
        matched = tuple(t for r in results for t in r.matched)
        if not answered:
            # one part: its own verdict; several parts that all abstain: the most telling verdict
            if len(results) == 1:
                return results[0]
            cands = tuple(sorted({c for r in results for c in r.candidates}))
            return GeoResult(None, "multi-place", 0.0, True, matched, cands)
        countries = {r.country for r in answered}
        # a part that abstained on an ambiguous name must allow the answer ("Oporto / Barcelona": no)
        conflict = len(countries) > 1 or any(
            r.method == "multi-place" or (r.ambiguous and r.candidates and not (countries & set(r.candidates)))
            for r in results if not r.country)
        # a continent in another part: "USA|EUROPE|ASIA", "Edinburgh & Europe" name more than one country
        if not conflict and supra_parts - {m.part for m in mentions if m.scores.get(next(iter(countries)))}:
            conflict = True
        if conflict:
            cands = tuple(sorted(countries | {c for r in results for c in r.candidates}))
            return GeoResult(None, "multi-place", 0.0, True, matched, cands)
        best = max(answered, key=lambda r: r.confidence)
        if best.method in ("city", "region") and n_words and len(" ".join(matched).split()) < LOW_COVERAGE * n_words:
            # one town name in a long bio ("... percy jackson ... camp halfblood ...") is not a location
            return GeoResult(None, "low-coverage", 0.0, False, matched)
        conf = best.confidence if len(answered) == 1 else min(0.95, best.confidence + 0.05)
        return GeoResult(best.country, best.method, conf, False, matched)

    def _decide_part(self, mentions: list[_Mention]) -> GeoResult:
        if all(m.weak for m in mentions):
            return GeoResult(None, "common-word", 0.0, False, tuple(m.text for m in mentions))
        if len(mentions) == 1 and len(mentions[0].scores) == 1:
            m = mentions[0]
            (top, kind), = m.kinds.items()
            if m.disputed:
                return GeoResult(None, "disputed", 0.0, True, (m.text,), (top,))
            return GeoResult(top, METHOD_OF_KIND.get(kind, kind), CONFIDENCE.get(kind, 0.8), False, (m.text,))
        used = mentions
        cand = _intersect(used)
        if not cand:
            # drop what cannot stand alone: ordinary words and tiny towns, then names that are ambiguous on their
            # own ("North West"), then namesakes that contradict a country-level name ("Launceston, England")
            for keep in (lambda m: not m.weak,
                         lambda m: not m.weak and not _self_ambiguous(m),
                         lambda m: max(m.scores.values()) >= COUNTRY_LEVEL):
                used = [m for m in mentions if keep(m)]
                cand = _intersect(used)
                if cand:
                    break
        if not cand:
            strong = [m for m in mentions if not m.weak] or mentions
            tops = sorted({max(m.scores, key=m.scores.get) for m in strong})
            return GeoResult(None, "multi-place", 0.0, True, tuple(m.text for m in strong), tuple(tops))
        matched = tuple(m.text for m in used)
        if any(m.disputed for m in used):
            return GeoResult(None, "disputed", 0.0, True, matched, tuple(sorted(cand)))
        ranked = sorted(cand, key=lambda c: -sum(math.log10(max(m.scores[c], 1.0)) for m in used))
        top = ranked[0]
        resolved_by_weight = False
        if len(ranked) > 1:
            s1 = sum(math.log10(max(m.scores[top], 1.0)) for m in used)
            s2 = sum(math.log10(max(m.scores[ranked[1]], 1.0)) for m in used)
            if s1 - s2 < math.log10(DOMINANCE):
                return GeoResult(None, "ambiguous", 0.0, True, matched, tuple(sorted(ranked[:6])))
            resolved_by_weight = True
        if all(m.weak for m in used):
            return GeoResult(None, "common-word", 0.0, False, matched)
        kinds = [m.kinds[top] for m in used if not m.weak]
        best = min(kinds, key=lambda k: KIND_RANK.get(k, 9))
        conf = CONFIDENCE.get(best, 0.8)
        if len(used) > 1:
            conf = min(0.95, conf + 0.05)
        if resolved_by_weight and KIND_RANK.get(best, 9) > 1:
            conf = round(conf * 0.85, 3)
        return GeoResult(top, METHOD_OF_KIND.get(best, best), conf, False, matched)

    # --- coordinates, places, time zones -----------------------------------------------------------------------
    def coordinates(self, points: Iterable[tuple[float, float]]) -> list[GeoResult]:
        """Geotags (lat, lon) -> country by offline reverse geocoding (batched)."""
        pts = list(points)
        out = []
        for (cc, dist), (lat, lon) in zip(reverse_geocoder().countries(pts), pts):
            tag = f"{lat:.4f},{lon:.4f}"
            out.append(GeoResult(cc, "geotag", CONFIDENCE["geotag"] if cc else 0.0, False, (tag,)))
        return out

    def place(self, country_code: Any, name: Any = None) -> GeoResult:
        cc = country_code.strip().upper() if isinstance(country_code, str) else ""
        if len(cc) == 2 and cc in self.gaz.country_names:
            return GeoResult(cc, "place", CONFIDENCE["place"], False, tuple(x for x in [name] if x))
        return EMPTY

    def time_zone(self, tz: Any = None, utc_offset: Any = None) -> GeoResult:
        """Weak prior from the profile time zone (IANA or Twitter's Rails names) or a country-unique UTC offset."""
        if isinstance(tz, str) and tz.strip():
            z = tz.strip()
            if z in self.gaz.timezones:
                return GeoResult(self.gaz.timezones[z], "timezone", CONFIDENCE["timezone"], False, (z,))
            if "(US & Canada)" in z or z in ("Hawaii", "Alaska", "Arizona", "Indiana (East)"):
                return GeoResult("US", "timezone", 0.25, False, (z,))
            r = self.location(z)
            if r.country and r.method in ("city", "country-name", "region"):
                return GeoResult(r.country, "timezone", CONFIDENCE["timezone"], False, (z,))
        try:
            off = int(utc_offset)  # None, NaN and pandas.NA all raise
        except (TypeError, ValueError, OverflowError):
            off = None
        if off in UNIQUE_OFFSETS:
            return GeoResult(UNIQUE_OFFSETS[off], "utc-offset", CONFIDENCE["utc-offset"], False, (str(off),))
        return EMPTY

    def account(self, location: Any = None, time_zone: Any = None, utc_offset: Any = None) -> GeoResult:
        """A profile: the location text first; the time zone only as a weak prior when the text named no place
        (empty, non-place, no match). When the text named several places the time zone may only choose among
        them (confidence 0.5, still marked ambiguous)."""
        r = self.location(location)
        if r.country:
            return r
        tz = self.time_zone(time_zone, utc_offset)
        if tz.country is None:
            return r
        if r.ambiguous:  # the text named places: the time zone may only choose among them
            if r.candidates and tz.country in r.candidates:
                return GeoResult(tz.country, "text+timezone", 0.5, True, r.matched + tz.matched, r.candidates)
            return r
        return GeoResult(tz.country, tz.method, tz.confidence, False, r.matched + tz.matched)


def _self_ambiguous(m: _Mention) -> bool:
    """A mention that could not answer alone: its best country does not outweigh the next by DOMINANCE."""
    if len(m.scores) < 2:
        return False
    a, b = sorted(m.scores.values(), reverse=True)[:2]
    return a < DOMINANCE * b


def _intersect(mentions: list[_Mention]) -> set[str]:
    if not mentions:
        return set()
    cand = set(mentions[0].scores)
    for m in mentions[1:]:
        cand &= set(m.scores)
    return cand


_default: Resolver | None = None


def default_resolver() -> Resolver:
    global _default
    if _default is None:
        _default = Resolver()
    return _default


def resolve_location(text: Any) -> GeoResult:
    """Country of one free-text location (cached, process-wide resolver)."""
    return default_resolver().location(text)
