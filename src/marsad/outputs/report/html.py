"""The HTML page: one file, inline CSS and SVG, a content-security policy that forbids any network access, and a
hash-pinned inline script that only counts JavaScript errors (so a headless browser test can read them).

Every value from the data goes through :func:`esc`; Arabic text is wrapped with ``lang="ar" dir="rtl"``.
"""
from __future__ import annotations

import base64
import hashlib
import math
import re
from typing import Any, Callable, Sequence

import pandas as pd

from ... import __version__
from .svg import esc, pct
from . import sections

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")

SCRIPT = """(function(){var n=0,d=document.documentElement;function s(){d.setAttribute('data-js-errors',String(n));}
window.addEventListener('error',function(){n++;s();});s();
document.addEventListener('DOMContentLoaded',function(){s();
d.setAttribute('data-charts',String(document.querySelectorAll('svg.chart').length));});})();"""

CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--rule:#d9dee3;--soft:#f5f7f9;--accent:#b83227;--blue:#2f6f9f}
*{box-sizing:border-box}
html{background:#eef1f4}
body{margin:0 auto;max-width:1000px;background:#fff;color:var(--ink);font:15px/1.55 'Noto Sans','DejaVu Sans',
'Helvetica Neue',Arial,sans-serif;padding:40px 56px 64px;box-shadow:0 0 0 1px #e1e5ea}
header{border-bottom:3px solid var(--ink);padding-bottom:14px;margin-bottom:22px}
header .kicker{font-size:12px;letter-spacing:.12em;text-transform:uppercase;color:var(--muted)}
h1{font:700 30px/1.2 Georgia,'Noto Serif','DejaVu Serif',serif;margin:6px 0 6px}
h2{font:700 21px/1.3 Georgia,'Noto Serif','DejaVu Serif',serif;margin:38px 0 8px;padding-top:10px;
border-top:1px solid var(--rule)}
h3{font-size:15px;margin:22px 0 6px}
p{margin:6px 0 10px}
.meta{color:var(--muted);font-size:13px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:18px 0 8px}
.card{background:var(--soft);border-left:3px solid var(--ink);padding:10px 12px}
.card .v{font:700 22px/1.2 Georgia,'Noto Serif',serif}
.card .l{font-size:12px;color:var(--muted)}
.card .ci{font-size:12px;color:var(--muted)}
figure{margin:10px 0 16px}
figcaption{font-size:12.5px;color:var(--muted);margin-top:2px}
.figtitle{font-weight:700;font-size:14px;margin:0 0 2px}
svg.chart{display:block;max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 4px;font-variant-numeric:tabular-nums}
th{text-align:left;font-weight:600;border-bottom:1.5px solid var(--ink);padding:5px 8px;white-space:nowrap;
font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
td{border-bottom:1px solid #edf0f2;padding:4px 8px;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}
tr.dim td{color:var(--muted)}
.tablewrap{overflow-x:auto}
details{margin:2px 0 14px;font-size:12.5px}
details summary{cursor:pointer;color:var(--blue)}
pre{background:var(--soft);padding:10px 12px;overflow-x:auto;font-size:11.5px;line-height:1.45;white-space:pre-wrap;
word-break:break-word}
.note{font-size:13px;color:#3e4c59}
.caveat{border-left:3px solid #c9891b;background:#fdf8ee;padding:8px 12px;font-size:13px;margin:8px 0}
.missing{color:var(--muted);font-style:italic;font-size:13px}
.pill{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#e4e7eb;color:#3e4c59}
.pill.ok{background:#e3f0e8;color:#24613a}
footer{margin-top:40px;border-top:1px solid var(--rule);padding-top:10px;font-size:12px;color:var(--muted)}
[lang=ar]{font-family:'Noto Naskh Arabic','Noto Sans Arabic','DejaVu Sans',serif}
@media print{html{background:#fff}body{box-shadow:none;padding:0}details{display:none}}
@media (max-width:760px){body{padding:20px}.cards{grid-template-columns:repeat(2,1fr)}}
"""


def txt(v: Any) -> str:
    """Escaped text; Arabic runs get ``lang="ar" dir="rtl"``, other free text ``dir="auto"``."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    s = str(v)
    if _ARABIC.search(s):
        return f'<span lang="ar" dir="rtl">{esc(s)}</span>'
    return esc(s)


def num(v: Any, digits: int = 0) -> str:
    if v is None or v is pd.NA:
        return "–"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return esc(v)
    if not math.isfinite(f):
        return "–"
    return f"{f:,.{digits}f}"


def interval(est: Any, lo: Any, hi: Any, fmt: Callable[[Any], str] = pct) -> str:
    def bad(x):
        return x is None or x is pd.NA or (isinstance(x, float) and not math.isfinite(x))

    if bad(est):
        return "–"
    if bad(lo) or bad(hi):
        return esc(fmt(est))
    return f'{esc(fmt(est))} <span class="meta">({esc(fmt(lo))}–{esc(fmt(hi))})</span>'


def table(df: pd.DataFrame, cols: Sequence[tuple[str, str, Callable[[pd.Series], str] | None]], *,
          row_class: Callable[[pd.Series], str] | None = None, max_rows: int = 200) -> str:
    """``cols``: (header, kind, cell function of the row). kind 'n' right-aligns."""
    if df is None or df.empty:
        return '<p class="missing">no rows</p>'
    head = "".join(f'<th class="{esc(kind)}">{esc(h)}</th>' for h, kind, _ in cols)
    body = []
    for _, r in df.head(max_rows).iterrows():
        cls = row_class(r) if row_class else ""
        cells = "".join(f'<td class="{esc(kind)}">{fn(r) if fn else ""}</td>' for _, kind, fn in cols)
        body.append(f'<tr class="{esc(cls)}">{cells}</tr>')
    more = f'<p class="meta">… {len(df) - max_rows:,} more rows in the JSON/CSV output</p>' if len(df) > max_rows else ""
    return f'<div class="tablewrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>{more}'


def how(t) -> str:
    """The "how computed" block of a census table: its note and the SQL behind it."""
    caveats = "".join(f'<div class="caveat">{esc(c)}</div>' for c in (t.caveats or []))
    return (f'{caveats}<details><summary>How this was computed</summary><p class="note">{esc(t.note)}</p>'
            f'<pre>{esc(t.sql.strip())}</pre></details>')


def figure(svg: str, caption: str = "") -> str:
    """A chart with its (already escaped) accessible title shown above it and an optional caption."""
    m = re.search(r'aria-label="([^"]*)"', svg)
    head = f'<div class="figtitle">{m.group(1)}</div>' if m else ""
    return f'<figure>{head}{svg}{f"<figcaption>{esc(caption)}</figcaption>" if caption else ""}</figure>'


def render(data) -> str:
    title = data.options.get("title") or "Census"
    body = sections.render_all(data)
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; "
           "base-uri 'none'; form-action 'none'")
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr" data-js-errors="0">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="marsad {esc(__version__)}">
<title>{esc(title)}</title>
<script>{SCRIPT}</script>
<style>{CSS}</style>
</head>
<body>
{body}
<footer>Generated by marsad {esc(__version__)} (<span lang="ar" dir="rtl">مرصد</span>) on
{esc(data.generated_at.strftime('%Y-%m-%d %H:%M UTC'))} from workspace {esc(data.options.get('workspace'))}.
This file needs no network connection: charts are inline SVG and the page loads nothing from elsewhere.</footer>
</body>
</html>
"""
