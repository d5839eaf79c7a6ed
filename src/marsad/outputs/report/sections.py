"""The report's sections, each a function of the report data returning HTML (empty when it has nothing)."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ...census.common import UNLOCATED
from ...census.reach import LOG_BINS
from ...census.shares import METHOD_NAMES
from . import svg
from .svg import esc, pct

GROUP_ORDER = ["supporters", "others", "undetermined", "all accounts"]


def _h():
    from . import html  # late import: html imports this module

    return html


def _groups(df: pd.DataFrame, col: str = "group") -> list[str]:
    present = list(dict.fromkeys(df[col].tolist()))
    return [g for g in GROUP_ORDER if g in present] + [g for g in present if g not in GROUP_ORDER]


def _f(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _missing(data, name: str) -> str:
    why = data.census.missing.get(name)
    return f'<p class="missing">Not available: {esc(why)}</p>' if why else ""


# --- header and key figures --------------------------------------------------------------------------------------


def header(data) -> str:
    o, h = data.overview, _h()
    span = ""
    if o.get("first") is not None and o.get("last") is not None:
        span = f"{o['first']:%d %b %Y} – {o['last']:%d %b %Y}"
    platforms = ", ".join(f"{r.platform} ({r.posts:,})" for r in o["platforms"].itertuples())
    return f"""<header><div class="kicker">marsad census report · <span lang="ar" dir="rtl">مرصد</span></div>
<h1>{esc(data.options['title'])}</h1>
<div class="meta">{o['posts']:,} posts from {o['accounts']:,} accounts{', ' + esc(span) if span else ''} ·
platforms: {esc(platforms) or '–'} · {len(o['datasets'])} input file(s), {o['quarantined']:,} record(s) quarantined<br>
Population analysed: {esc(data.options['population'])} ({o['population_posts']:,} posts).</div></header>
{key_figures(data)}"""


def key_figures(data) -> str:
    cards = []
    cp = data.census.get("country_posts")
    if cp is not None and cp.meta.get("overall"):
        ov = cp.meta["overall"]
        cards.append(("Share of posts supportive", pct(ov.get("share"), 1),
                      f"95% CI {pct(ov.get('ci_low'), 1)}–{pct(ov.get('ci_high'), 1)} · {METHOD_NAMES[cp.meta['method']]}"))
        ranked = int((cp.df["status"] == "ok").sum())
        thin = int((cp.df["status"] == "insufficient data").sum())
        cards.append(("Countries ranked", f"{ranked}", f"{thin} more with too little data to rank"))
    dev = data.census.get("devices")
    if dev is not None and not dev.df.empty:
        d = dev.df
        g = "supporters" if "supporters" in set(d["group"]) else d["group"].iloc[0]
        top = d[(d["group"] == g) & (d["family"] != "unknown")].sort_values("account_share", ascending=False).head(1)
        if len(top):
            r = top.iloc[0]
            cards.append((f"Top primary client ({g})", f"{esc(r['family'])} {pct(r['account_share'])}",
                          f"95% CI {pct(r['account_low'])}–{pct(r['account_high'])} of accounts"))
    reach = data.census.get("reach")
    if reach is not None and not reach.df.empty and "median" in reach.df:
        d = reach.df[reach.df["metric"] == "followers"]
        g = "supporters" if "supporters" in set(d["group"]) else (d["group"].iloc[0] if len(d) else None)
        r = d[d["group"] == g]
        if len(r):
            r = r.iloc[0]
            cards.append((f"Median followers ({g})", f"{r['median']:,.0f}",
                          f"mean {r['mean']:,.0f} · 95% CI of median {r['median_low']:,.0f}–{r['median_high']:,.0f}"))
    if not cards:
        return ""
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="l">{esc(l)}</div><div class="v">{v}</div><div class="ci">{esc(c)}</div></div>'
        for l, v, c in cards[:4]) + "</div>"


# --- countries ---------------------------------------------------------------------------------------------------


def _country_rows(df: pd.DataFrame) -> list[dict]:
    rows = []
    for r in df[df["status"] == "ok"].itertuples():
        note = ""
        if not pd.isna(r.rank):
            note = f"rank {int(r.rank)} ({int(r.rank_low)}–{int(r.rank_high)})"
        rows.append({"label": r.name, "est": _f(r.share), "lo": _f(r.ci_low), "hi": _f(r.ci_high),
                     "alt": _f(r.cc), "note": note})
    return rows


def where_accounts(data) -> str:
    h = _h()
    t = data.census.get("country_counts")
    if t is None or t.df.empty:
        return ""
    df = t.df
    located = df[df["country"] != UNLOCATED]
    if located.empty:
        return '<p class="missing">No account could be located.</p>' + h.how(t)
    groups = _groups(df)
    key = "supporters" if "supporters" in groups else groups[0]
    top = (located[located["group"] == key].sort_values("accounts", ascending=False)["country"].head(12).tolist()
           or located.groupby("country")["accounts"].sum().sort_values(ascending=False).index[:12].tolist())
    names = dict(zip(located["country"], located["name"]))
    series = {}
    for g in groups:
        sub = located[located["group"] == g].set_index("country")
        series[g] = [(_f(sub["share"].get(c)) or 0.0, _f(sub["share_low"].get(c)), _f(sub["share_high"].get(c)))
                     if c in sub.index else (0.0, None, None) for c in top]
    unl = df[df["country"] == UNLOCATED]["accounts"].sum()
    whose = "the" if key == "all accounts" else "each group's"
    out = ["<h3>Where the accounts are</h3>",
           f"<p>{int(located['accounts'].sum()):,} accounts could be placed in a country; {int(unl):,} could not. "
           f"Each country's share of {whose} located accounts:</p>",
           h.figure(svg.grouped_bars([names.get(c, c) for c in top], series,
                                     title="Share of located accounts by country")),
           h.table(located.pivot_table(index=["country", "name"], columns="group", values="accounts", aggfunc="sum",
                                       fill_value=0).reset_index().sort_values(key if key in located["group"].values
                                                                               else "country", ascending=False),
                   [("country", "", lambda r: h.txt(r["name"]))] +
                   [(g, "n", (lambda g: lambda r: h.num(r[g]))(g)) for g in groups], max_rows=25),
           h.how(t)]
    return "".join(out)


def countries(data) -> str:
    h = _h()
    out = ['<h2 id="countries">Where: share of supportive posts by country</h2>']
    t = data.census.get("country_posts")
    if t is None:
        return "".join(out) + _missing(data, "country_posts") + where_accounts(data)
    df = t.df
    method = t.meta["method"]
    out.append(f'<p>Each dot is the estimated share of a country\'s posts that support the organisation '
               f'({esc(METHOD_NAMES[method])}), the bar its 95% interval; the hollow circle is the uncorrected '
               f'classify-and-count share for comparison. Countries are in rank order; the interval after each '
               f'rank is where the country could plausibly rank. Overlapping intervals mean the data cannot tell '
               f'those countries apart.</p>')
    rows = _country_rows(df)
    if rows:
        alt = None if method == "cc" else "classify and count (uncorrected)"
        out.append(h.figure(svg.interval_chart(rows, title="Share of supportive posts by country", alt_label=alt,
                                               point_label="share"),
                            f"Population: {t.meta['population']}."))
    else:
        out.append('<p class="missing">No country has enough posts to estimate a share.</p>')
    pts = [{"code": r.country, "label": r.name, "size": r.posts,
            "share": _f(r.share) if r.status == "ok" else None,
            "note": (f"{pct(r.share)} supportive, {r.posts:,} posts" if r.status == "ok" else
                     f"insufficient data ({r.posts:,} posts)")} for r in df.itertuples() if r.country != UNLOCATED]
    if pts:
        out.append(h.figure(svg.bubble_map(pts, title="Posts and supportive share by country"),
                            "Bubbles sit at each country's population centre; grey dots are populated places. "
                            "Drawn offline from packaged gazetteers."))
        region = svg.region_bounds(pts)
        if region:
            out.append(h.figure(svg.bubble_map(pts, title="Zoom: the region with most posts", bounds=region,
                                               labels=True), "The same data, closer."))
    out.append(h.table(df, [
        ("rank", "n", lambda r: "" if pd.isna(r["rank"]) else f"{int(r['rank'])}"),
        ("rank interval", "n", lambda r: "" if pd.isna(r["rank"]) else f"{int(r['rank_low'])}–{int(r['rank_high'])}"),
        ("country", "", lambda r: h.txt(r["name"])),
        ("posts", "n", lambda r: h.num(r["posts"])),
        ("accounts", "n", lambda r: h.num(r["accounts"])),
        ("supportive share (95% CI)", "n", lambda r: h.interval(r["share"], r["ci_low"], r["ci_high"])
         if r["status"] != "insufficient data" else '<span class="pill">insufficient data</span>'),
        ("uncorrected", "n", lambda r: esc(pct(r["cc"])) if method != "cc" else ""),
    ], row_class=lambda r: "" if r["status"] == "ok" else "dim"))
    out.append(h.how(t))
    ta = data.census.get("country_accounts")
    out.append('<h3>Share of supportive accounts by country</h3>')
    if ta is None:
        out.append(_missing(data, "country_accounts"))
    else:
        rows = _country_rows(ta.df)
        if rows:
            out.append(h.figure(svg.interval_chart(rows, title="Share of supportive accounts by country",
                                                   point_label="share of accounts", color="#7a1f17")))
        out.append(h.table(ta.df, [
            ("rank", "n", lambda r: "" if pd.isna(r["rank"]) else f"{int(r['rank'])} ({int(r['rank_low'])}–{int(r['rank_high'])})"),
            ("country", "", lambda r: h.txt(r["name"])),
            ("accounts", "n", lambda r: h.num(r["accounts"])),
            ("supportive share (95% CI)", "n", lambda r: h.interval(r["share"], r["ci_low"], r["ci_high"])
             if r["status"] != "insufficient data" else '<span class="pill">insufficient data</span>'),
        ], row_class=lambda r: "" if r["status"] == "ok" else "dim"))
        out.append(h.how(ta))
    out.append(where_accounts(data))
    loc = data.extra.get("profile_locations")
    if loc is not None:
        out.append("<h3>Most common profile locations</h3>")
        out.append(h.table(loc.df, [("location as written", "", lambda r: h.txt(r["location"])),
                                    ("inferred country", "", lambda r: h.txt(r["country"])),
                                    ("accounts", "n", lambda r: h.num(r["accounts"]))]))
        out.append(h.how(loc))
    return "".join(out)


# --- devices -----------------------------------------------------------------------------------------------------


def devices(data) -> str:
    h = _h()
    out = ['<h2 id="devices">What they post from: devices</h2>']
    t = data.census.get("devices")
    if t is None:
        return "".join(out) + _missing(data, "devices")
    df = t.df
    if df.empty:
        return "".join(out) + '<p class="missing">No posts with a client in the population.</p>'
    groups = _groups(df)
    df = df.assign(_g=df["group"].map({g: i for i, g in enumerate(groups)})).sort_values(["_g", "posts"], ascending=[True, False])
    fams = df.groupby("family")["posts"].sum().sort_values(ascending=False).index.tolist()

    def series(val, lo, hi):
        s = {}
        for g in groups:
            sub = df[df["group"] == g].set_index("family")
            s[g] = [(_f(sub[val].get(f)) or 0.0, _f(sub[lo].get(f)), _f(sub[hi].get(f))) if f in sub.index
                    else (0.0, None, None) for f in fams]
        return s

    out.append("<p>Client families by share of each group's accounts (by the client each account used most) and "
               "of its posts, with 95% intervals.</p>")
    out.append(h.figure(svg.grouped_bars(fams, series("account_share", "account_low", "account_high"),
                                         title="Primary client of accounts")))
    out.append(h.figure(svg.grouped_bars(fams, series("post_share", "post_low", "post_high"),
                                         title="Client of posts")))
    out.append(h.table(df, [
        ("group", "", lambda r: esc(r["group"])), ("family", "", lambda r: esc(r["family"])),
        ("posts", "n", lambda r: h.num(r["posts"])),
        ("share of posts (95% CI)", "n", lambda r: h.interval(r["post_share"], r["post_low"], r["post_high"], lambda v: pct(v, 1))),
        ("accounts (primary)", "n", lambda r: h.num(r["accounts"])),
        ("share of accounts (95% CI)", "n", lambda r: h.interval(r["account_share"], r["account_low"], r["account_high"], lambda v: pct(v, 1))),
    ]))
    out.append(h.how(t))
    c = data.census.get("clients")
    if c is not None and not c.df.empty:
        out.append("<h3>Most used clients</h3>")
        out.append(h.table(c.df, [("group", "", lambda r: esc(r["group"])), ("client", "", lambda r: h.txt(r["client"])),
                                  ("family", "", lambda r: esc(r["family"])), ("posts", "n", lambda r: h.num(r["posts"])),
                                  ("accounts", "n", lambda r: h.num(r["accounts"])),
                                  ("share of group's posts", "n", lambda r: esc(pct(r["share"], 1)))], max_rows=45))
        out.append(h.how(c))
    return "".join(out)


# --- reach and activity ------------------------------------------------------------------------------------------


def reach(data) -> str:
    h = _h()
    out = ['<h2 id="reach">Whom they reach: followers and activity</h2>']
    fb = data.census.get("follower_bins")
    if fb is not None and not fb.df.empty:
        groups = _groups(fb.df)
        labels = [lab for _, _, lab in LOG_BINS]
        series = {g: [_f(fb.df[(fb.df["group"] == g) & (fb.df["bin"] == i)]["share"].sum()) or 0.0
                      for i in range(len(LOG_BINS))] for g in groups}
        out.append(h.figure(svg.columns(labels, series, title="Accounts by number of followers"),
                            "Share of each group's accounts in each follower band."))
        out.append(h.how(fb))
    t = data.census.get("reach")
    if t is not None and not t.df.empty and "median" in t.df:
        out.append(h.table(t.df, [
            ("group", "", lambda r: esc(r["group"])), ("metric", "", lambda r: esc(r["metric"])),
            ("accounts", "n", lambda r: h.num(r["accounts"])),
            ("median (95% CI)", "n", lambda r: h.interval(r["median"], r["median_low"], r["median_high"], lambda v: f"{v:,.0f}")),
            ("mean (95% CI)", "n", lambda r: h.interval(r["mean"], r["mean_low"], r["mean_high"], lambda v: f"{v:,.0f}")),
            ("90th pct", "n", lambda r: h.num(r["p90"])), ("max", "n", lambda r: h.num(r["max"])),
            ("≥ 1,000", "n", lambda r: h.interval(r["share_ge_1000"], r["share_ge_1000_low"], r["share_ge_1000_high"])),
            ("≥ 50,000", "n", lambda r: esc(pct(r["share_ge_50000"], 1))),
        ]))
        out.append(h.how(t))
    elif "reach" in data.census.missing:
        out.append(_missing(data, "reach"))
    net = data.census.get("in_network")
    out.append("<h3>How insular is the network?</h3>")
    if net is None:
        out.append('<p class="missing">Needs stance verdicts and follow or interaction data (run `marsad stance '
                   'run` and `marsad network build`).</p>')
    else:
        col = "followers" if "followers" in net.df else "interactions"
        out.append(h.table(net.df, [
            ("group (receiving)", "", lambda r: esc(r["group"])), ("accounts reached", "n", lambda r: h.num(r["accounts_reached"])),
            (col, "n", lambda r: h.num(r[col])),
            ("share from supporters (95% CI)", "n", lambda r: h.interval(r["supporter_share"], r["supporter_share_low"], r["supporter_share_high"])),
            ("from outside the population", "n", lambda r: h.num(r["from_outside_population"])),
        ]))
        out.append(h.how(net))
    hy = data.census.get("hyperactive")
    if hy is not None and not hy.df.empty:
        out.append("<h3>The hyperactive core</h3>")
        cols = [
            ("accounts by volume", "", lambda r: esc(r["tier"])), ("accounts", "n", lambda r: h.num(r["accounts"])),
            ("posts", "n", lambda r: h.num(r["posts"])), ("of all posts", "n", lambda r: esc(pct(r["share_of_posts"], 1))),
            ("posts/day active", "n", lambda r: h.num(r["median_posts_per_active_day"], 1)),
            ("burstiness", "n", lambda r: h.num(r["median_burstiness"], 2)),
        ]
        if "stance" not in data.census.missing and data.census.get("country_accounts") is not None:
            cols.append(("supporters", "n", lambda r: esc(pct(r["supporter_share"]))))
        out.append(h.table(hy.df, cols))
        out.append(h.how(hy))
    return "".join(out)


def time_and_language(data) -> str:
    h = _h()
    out = ['<h2 id="time">When and in which language</h2>']
    pw = data.census.get("posting_weeks")
    if pw is not None and not pw.df.empty:
        s = {g: list(zip(pw.df[pw.df["group"] == g]["week"], pw.df[pw.df["group"] == g]["posts"]))
             for g in _groups(pw.df)}
        out.append(h.figure(svg.time_lines(s, title="Posts per week"), "Posts of the population per week."))
        out.append(h.how(pw))
    cm = data.census.get("creation_months")
    if cm is not None and not cm.df.empty:
        s = {g: list(zip(cm.df[cm.df["group"] == g]["month"], cm.df[cm.df["group"] == g]["accounts"]))
             for g in _groups(cm.df)}
        out.append(h.figure(svg.time_lines(s, title="Accounts by creation month", bars=True),
                            "When the accounts were created: waves of new accounts can mark suspensions and returns."))
        out.append(h.how(cm))
    lg = data.census.get("languages")
    if lg is not None and not lg.df.empty:
        for kind, title in (("post", "Languages of posts"), ("interface", "Interface languages of accounts")):
            d = lg.df[lg.df["kind"] == kind]
            if d.empty or set(d["lang"]) == {"(none)"}:
                continue
            langs = d.groupby("lang")["n"].sum().sort_values(ascending=False).index.tolist()[:9]
            series = {}
            for g in _groups(d):
                sub = d[d["group"] == g].set_index("lang")
                series[g] = [(_f(sub["share"].get(x)) or 0.0, _f(sub["share_low"].get(x)), _f(sub["share_high"].get(x)))
                             if x in sub.index else (0.0, None, None) for x in langs]
            out.append(h.figure(svg.grouped_bars(langs, series, title=title, label_width=90)))
        out.append(h.how(lg))
    return "".join(out)


def _generic_columns(df: pd.DataFrame) -> list:
    """Table columns for any frame: numbers right-aligned (2 decimals when fractional), text escaped."""
    h = _h()

    def cell(col: str, numeric: bool):
        if not numeric:
            return lambda r: h.txt(r[col])
        return lambda r: h.num(r[col], 2 if isinstance(r[col], float) and r[col] % 1 else 0)

    return [(c.replace("_", " "), "n" if pd.api.types.is_numeric_dtype(df[c]) else "",
             cell(c, pd.api.types.is_numeric_dtype(df[c]))) for c in df.columns]


def network(data) -> str:
    h = _h()
    parts = [data.extra[k] for k in ("roles", "network", "coordination", "families") if k in data.extra]
    if not parts:
        return ""
    out = ['<h2 id="network">Network and coordination</h2>']
    for t in parts:
        out.append(f"<h3>{esc(t.title)}</h3>")
        out.append(h.table(t.df, _generic_columns(t.df)))
        out.append(h.how(t))
    return "".join(out)


def accounts(data) -> str:
    t = data.extra.get("accounts")
    if t is None:
        return ""
    h = _h()
    return ('<h2 id="accounts">Accounts</h2>' + h.table(t.df, [
        ("handle", "", lambda r: h.txt(r["handle"])), ("platform", "", lambda r: esc(r["platform"])),
        ("posts", "n", lambda r: h.num(r["posts"])), ("followers", "n", lambda r: h.num(r["followers"])),
        ("group", "", lambda r: esc(r["group"])), ("country", "", lambda r: h.txt(r["country"])),
        ("profile location", "", lambda r: h.txt(r["location"])),
    ]) + h.how(t))


def methods(data) -> str:
    h = _h()
    em = data.options.get("error_model")
    cp = data.census.get("country_posts")
    out = ['<h2 id="methods">Methods and caveats, in plain words</h2>',
           "<p><b>Who counts.</b> The population is every post collected in the input files that matches the "
           f"filters ({esc(data.options['population'])}); posts seen only inside another record (the original "
           "of a repost) are not counted twice. Nothing here is a sample of all social media: it is what the "
           "collection caught, and collections follow keywords, seed accounts and suspensions.</p>",
           "<p><b>Supportive or not.</b> A stance model gives each post a probability that it supports the "
           "organisation. Talking about the organisation - news, condemnation, research - is not support. "
           "Counting the posts the model labels supportive (\"classify and count\") is biased: a model that "
           "wrongly flags 10% of other posts makes a country with no supporters look 10% supportive. The shares "
           "here are corrected with the model's error rates measured on held-out labelled posts "
           "(quantification), and the uncorrected figure is shown next to them.</p>"]
    if em:
        out.append(f"<p><b>The model's measured errors.</b> On {em['n_pos']:,} supportive and {em['n_neg']:,} other "
                   f"held-out posts ({esc(em['source'])}), it caught {pct(em['tpr'], 1)} of supportive posts and "
                   f"wrongly flagged {pct(em['fpr'], 1)} of the others.</p>")
    else:
        out.append('<div class="caveat">No validated error rates were available to this report, so the shares '
                   "are uncorrected model output.</div>")
    b = data.options.get("bootstrap")
    out.append(f"<p><b>Intervals.</b> Every share comes with a 95% interval from {b} bootstrap replicates. Each "
               "replicate redraws the accounts of each country (all of an account's posts together, because one "
               "prolific account is not many independent voices) and redraws the labelled validation posts, so the "
               "interval also carries the uncertainty of the model's error rates. Rank intervals are the ranks a "
               "country takes across replicates.</p>")
    if cp is not None:
        out.append(f"<p><b>Too little data.</b> A country needs at least {cp.meta.get('min_posts')} posts from at "
                   f"least {cp.meta.get('min_accounts')} accounts to get a share and a rank; the others are listed "
                   "as <i>insufficient data</i>. This is the main guard against rankings like \"country X is 48% "
                   "supportive\" built on a handful of accounts.</p>")
    out.append("<p><b>Where.</b> A post's country is its geotag when it has one (rare), else the country its "
               "account's free-text profile location names. Many accounts give no location or a joke one; the "
               "resolver abstains rather than guess, and the unlocated share is reported. Locations are claims by "
               "the account holder and can be false.</p>"
               "<p><b>Devices.</b> The client a post was sent from names the app, not the phone.</p>"
               "<p><b>Traceability.</b> Every table has a <i>How this was computed</i> link with the SQL that "
               "produced its counts from the workspace; the JSON and CSV outputs of <code>marsad report</code> "
               "hold the same tables.</p>")
    caveats = []
    for t in data.census.tables.values():
        caveats.extend(c for c in t.caveats if c not in caveats)
    if caveats:
        out.append("<h3>Caveats raised by the analyses</h3><ul>" + "".join(f"<li>{esc(c)}</li>" for c in caveats) + "</ul>")
    if data.census.missing:
        out.append("<h3>Not in this report</h3><ul>" + "".join(
            f"<li>{esc(k)}: {esc(v)}</li>" for k, v in data.census.missing.items()) + "</ul>")
    ds = data.overview["datasets"]
    out.append("<h3>Input files</h3>" + h.table(ds, [
        ("file", "", lambda r: h.txt(r["file"])), ("format", "", lambda r: esc(r["format"])),
        ("platform", "", lambda r: esc(r["platform"])), ("records read", "n", lambda r: h.num(r["n_read"])),
        ("loaded", "n", lambda r: h.num(r["n_loaded"])), ("duplicates", "n", lambda r: h.num(r["n_duplicate"])),
        ("quarantined", "n", lambda r: h.num(r["n_quarantined"])), ("source", "", lambda r: h.txt(r["source_note"]))]))
    if not data.options.get("pseudonymise", True):
        out.append('<div class="caveat">This report was made with pseudonymisation OFF: any handle shown is real.</div>')
    return "".join(out)


def contents(data) -> str:
    links = [("countries", "Countries"), ("devices", "Devices"), ("reach", "Reach"), ("time", "Time and language")]
    if any(k in data.extra for k in ("roles", "network", "coordination", "families")):
        links.append(("network", "Network"))
    if "accounts" in data.extra:
        links.append(("accounts", "Accounts"))
    links.append(("methods", "Methods and caveats"))
    return '<p class="meta">' + " · ".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in links) + "</p>"


def render_all(data) -> str:
    return "".join([header(data), contents(data), countries(data), devices(data), reach(data),
                    time_and_language(data), network(data), accounts(data), methods(data)])
