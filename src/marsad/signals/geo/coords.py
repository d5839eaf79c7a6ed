"""Coordinates: parsing them out of free text, and offline reverse geocoding to a country.

Reverse geocoding uses reverse_geocoder 1.5.1 (GeoNames places of 1,000+ people, nearest-neighbour in a k-d tree).
Its data are loaded on the first call only, single-process (``mode=1``), with the library's progress messages
kept off stdout, so commands whose output is data (``marsad geo locate --out -``) stay clean and runs without any
coordinates never pay the load.
"""
from __future__ import annotations

import contextlib
import io
import math
import re
import threading
from typing import Iterable

#: nearest GeoNames place farther than this (km) -> no country (open sea, Antarctica, bogus points)
MAX_DISTANCE_KM = 250.0

_DEC = r"[-+]?\d{1,3}\.\d{2,}"
_DECIMAL_PAIR = re.compile(rf"(?<![\d.])({_DEC})\s*[,;/ ]\s*({_DEC})(?![\d.])")
_PREFIXED = re.compile(r"(?:ÜT|UT|iPhone|iPad|Android|GPS|Loc(?:ation)?)\s*:\s*([-+]?\d{1,3}(?:\.\d+)?)\s*,\s*"
                       r"([-+]?\d{1,3}(?:\.\d+)?)(?![\d.])", re.IGNORECASE)
_DMS_ONE = r"(\d{{1,3}})\s*°\s*(?:(\d{{1,2}}(?:\.\d+)?)\s*['′])?\s*(?:(\d{{1,2}}(?:\.\d+)?)\s*(?:''|″|\"))?"
_DMS_PREFIX = re.compile(r"([NSns])\s*" + _DMS_ONE.format() + r"\s*[,/ ]?\s*([EWOew])\s*" + _DMS_ONE.format())
_DMS_SUFFIX = re.compile(_DMS_ONE.format() + r"\s*([NSns])\s*[,/ ]?\s*" + _DMS_ONE.format() + r"\s*([EWOew])")


_MAYBE = re.compile(r"\d[.°]|\d\s*,\s*-?\d")


def _dms(d: str, m: str | None, s: str | None, hemi: str) -> float:
    v = float(d) + float(m or 0) / 60 + float(s or 0) / 3600
    return -v if hemi.upper() in ("S", "W") else v


def parse_coords(text: str) -> tuple[float, float] | None:
    """(lat, lon) written in a profile location: "ÜT: 33.32,-117.43", "iPhone: 24.7,46.6", "N 41°24' 0'' / E
    2°11' 0''", "41°24'N 2°11'E". Only plausible, non-zero pairs; None otherwise."""
    if not text or _MAYBE.search(text) is None:
        return None
    text = text[:400].replace("’", "'").replace("”", '"')
    m = _DMS_PREFIX.search(text)
    if m:
        g = m.groups()
        lat, lon = _dms(g[1], g[2], g[3], g[0]), _dms(g[5], g[6], g[7], g[4])
    else:
        m = _DMS_SUFFIX.search(text)
        if m:
            g = m.groups()
            lat, lon = _dms(g[0], g[1], g[2], g[3]), _dms(g[4], g[5], g[6], g[7])
        else:
            m = _PREFIXED.search(text) or _DECIMAL_PAIR.search(text)
            if not m:
                return None
            lat, lon = float(m.group(1)), float(m.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (abs(lat) < 1e-6 and abs(lon) < 1e-6):
        return None
    return lat, lon


class ReverseGeocoder:
    """Lazy wrapper around reverse_geocoder: country of the nearest GeoNames place, or None when that place is
    more than :data:`MAX_DISTANCE_KM` away."""

    def __init__(self) -> None:
        self._rg = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._rg is None:
                import reverse_geocoder

                with contextlib.redirect_stdout(io.StringIO()):
                    self._rg = reverse_geocoder.RGeocoder(mode=1, verbose=False)
        return self._rg

    @property
    def loaded(self) -> bool:
        return self._rg is not None

    def countries(self, points: Iterable[tuple[float, float]]) -> list[tuple[str | None, float]]:
        """For each (lat, lon): (ISO country or None, distance in km to the nearest place)."""
        pts = [(float(a), float(b)) for a, b in points]
        if not pts:
            return []
        rg = self._load()
        with contextlib.redirect_stdout(io.StringIO()):
            found = rg.query(pts)
        out = []
        for (lat, lon), f in zip(pts, found):
            d = haversine_km(lat, lon, float(f["lat"]), float(f["lon"]))
            cc = (f.get("cc") or "").upper() or None
            out.append((cc if d <= MAX_DISTANCE_KM else None, d))
        return out


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


_shared: ReverseGeocoder | None = None


def reverse_geocoder() -> ReverseGeocoder:
    global _shared
    if _shared is None:
        _shared = ReverseGeocoder()
    return _shared
