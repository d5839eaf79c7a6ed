"""Per-country shares of supportive posts and of supportive accounts, with honest intervals and a ranking.

For each country: how many posts (accounts) the population holds there, and the estimated share that supports the
organisation, by quantification corrected for the stance classifier's validated error rates
(:mod:`marsad.census.quantify`), with a cluster-bootstrap interval (posts resampled by account) that includes the
uncertainty of those error rates. Countries below a minimum sample size show "insufficient data" and are not
ranked; the ranking shows each country's 95% rank interval from the bootstrap replicates.

A post's country is its own geotag/place country (table ``geo_posts``) when it has one, else its account's
country (evidence rows of signal "geo"). The stance probability of a post is ``stance_posts.p_support``.
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import MarsadError
from .common import (
    UNLOCATED, CensusTable, Population, account_label_sql, country_name, has_signal, population, table_exists,
)
from .quantify import ErrorModel, GroupStats, available_methods, estimate_groups, rank_intervals, slot_sql

if TYPE_CHECKING:
    from ..workspace import Workspace

DEFAULT_MIN_POSTS = 100
DEFAULT_MIN_ACCOUNTS = 20
DEFAULT_MIN_ACCOUNTS_ACCOUNT_LEVEL = 30
METHOD_NAMES = {
    "cc": "classify and count (uncorrected)",
    "pcc": "mean probability (uncorrected)",
    "acc": "adjusted classify and count",
    "pacc": "probabilistic adjusted classify and count",
    "sld": "EM prior adjustment (Saerens-Latinne-Decaestecker)",
}


# --- the classifier's validated error rates ---------------------------------------------------------------------


ERROR_MODEL_FILES = ("stance_error_model.json", "stance_heldout.json")


def _pick(node: Any, langs: tuple[str, ...], source: str) -> ErrorModel | None:
    """An error model from a JSON node: the fields ErrorModel.from_dict reads, or ``{lang: fields}`` per language
    (the population's language when it has exactly one, else the languages' validation data pooled)."""
    if not isinstance(node, dict):
        return None
    if any(k in node for k in ("validation", "tp", "tpr")):
        return ErrorModel.from_dict(node, source=source)
    per_lang = {k: v for k, v in node.items() if isinstance(v, dict) and k not in ("post", "account")}
    if not per_lang:
        return None
    if len(langs) == 1 and langs[0] in per_lang:
        return _pick(per_lang[langs[0]], (), f"{source} [{langs[0]}]")
    chosen = {k: v for k, v in per_lang.items() if not langs or k in langs} or per_lang
    vals = [v.get("validation") for v in chosen.values()]
    if all(isinstance(v, dict) and v.get("scores") is not None for v in vals):
        scores = [s for v in vals for s in v["scores"]]
        labels = [y for v in vals for y in v.get("labels", v.get("y", []))]
        thr = next(iter(chosen.values())).get("threshold", node.get("threshold", 0.5))
        return ErrorModel.from_validation(scores, labels, float(thr),
                                          source=f"{source} [{'+'.join(sorted(chosen))} pooled]")
    return _pick(next(iter(chosen.values())), (), f"{source} [{next(iter(chosen))}]")


def find_error_model(path: str | Path | None = None, level: str = "post",
                     langs: tuple[str, ...] = ()) -> ErrorModel | None:
    """The stance model's held-out error model, or None when there is none.

    Looks at ``path`` if given, else at ``marsad/models/stance_error_model.json`` (shipped with the stance
    model). The file holds, per level ("post", optionally "account") and optionally per language, either the
    held-out ``{"validation": {"scores": [...], "labels": [...]}, "threshold": 0.5}`` (best: the bootstrap then
    resamples it) or confusion counts ``{"tp", "fn", "fp", "tn", "mean_p_pos", "mean_p_neg"}``::

        {"post": {"ar": {"threshold": 0.5, "validation": {"scores": [...], "labels": [...]}}, "en": {...}},
         "account": {...}}

    A flat file without levels is the post level."""
    if path:
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise MarsadError(f"cannot read error model {path}: {e}") from None
        source = str(path)
    else:
        d, source = None, ""
        try:
            root = resources.files("marsad") / "models"
            for name in ERROR_MODEL_FILES:
                f = root / name
                if f.is_file():
                    d, source = json.loads(f.read_text(encoding="utf-8")), f"marsad/models/{name}"
                    break
        except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError, OSError, ValueError):
            return None
        if d is None:
            return None
    if not isinstance(d, dict):
        raise MarsadError(f"error model {source}: expected a JSON object")
    if level in d:
        return _pick(d[level], langs, f"{source} ({level})")
    if level == "post" and not any(k in d for k in ("account",)):
        return _pick(d, langs, source)
    return None


def save_error_model(path: str | Path, post: dict[str, tuple[Any, Any]], account: dict[str, tuple[Any, Any]] | None = None,
                     threshold: float = 0.5) -> Path:
    """Write the held-out error model :func:`find_error_model` reads: ``post`` (and optionally ``account``) map a
    language to its held-out ``(p_support, true_label)`` arrays. The stance model's training writes this next to
    the model (``marsad/models/stance_error_model.json``) so the census can correct for the model's errors."""
    def level(d: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
        out = {}
        for lang, (scores, labels) in d.items():
            em = ErrorModel.from_validation(scores, labels, threshold)  # validates the data
            out[lang] = {"threshold": threshold, "tp": em.tp, "fn": em.fn, "fp": em.fp, "tn": em.tn,
                         "mean_p_pos": em.mean_p_pos, "mean_p_neg": em.mean_p_neg,
                         "validation": {"scores": [round(float(s), 6) for s in em.scores],
                                        "labels": [int(y) for y in em.labels]}}
        return out

    doc = {"post": level(post)}
    if account:
        doc["account"] = level(account)
    path = Path(path)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def choose_method(method: str, em: ErrorModel | None) -> str:
    avail = available_methods(em)
    if method == "auto":
        for m in ("pacc", "acc", "cc"):
            if m in avail:
                return m
    if method not in METHOD_NAMES:
        raise MarsadError(f"unknown method {method!r}; choose auto, {', '.join(METHOD_NAMES)}")
    if method not in avail:
        raise MarsadError(f"method {method!r} needs the stance model's validated error rates, which were not found",
                          hint="pass --error-model FILE.json, or use --method cc / pcc (uncorrected)")
    return method


# --- SQL ---------------------------------------------------------------------------------------------------------


def _require_stance(ws: "Workspace") -> None:
    ws.require_posts()
    if not table_exists(ws, "stance_posts"):
        raise MarsadError("no stance scores in this workspace", hint="run `marsad stance run` first")


def post_slots_body(threshold: float) -> str:
    """Per (country, account, score slot): posts and the sum of their P(support), from the population ``pp``."""
    return f"""SELECT coalesce(country, '{UNLOCATED}') AS country, (akey >> 1)::BIGINT AS account_key,
       {slot_sql('p_support', threshold)} AS slot, count(*) AS n, sum(p_support) AS s
FROM pp WHERE p_support BETWEEN 0 AND 1
GROUP BY ALL"""


def account_slots_body(threshold: float) -> str:
    """One row per account of the population with a stance verdict: its country and support probability."""
    return f""", acc AS (SELECT any_value(platform) AS platform, any_value(account_id) AS account_id FROM pp
         GROUP BY akey),
st AS ({account_label_sql('stance')}),
ge AS ({account_label_sql('geo')})
SELECT coalesce(upper(ge.label), '{UNLOCATED}') AS country, (hash(acc.platform, acc.account_id) >> 1)::BIGINT AS account_key,
       {slot_sql('st.score', threshold)} AS slot, 1 AS n, st.score AS s
FROM acc JOIN st USING (platform, account_id) LEFT JOIN ge USING (platform, account_id)
WHERE st.score BETWEEN 0 AND 1"""


# --- the tables --------------------------------------------------------------------------------------------------


def _shares_table(slots: pd.DataFrame, em: ErrorModel | None, method: str, min_items: int, min_clusters: int,
                  b: int, seed: int, level: float, progress=None) -> tuple[pd.DataFrame, dict]:
    stats = GroupStats.from_frame(slots, "country", "account_key")
    methods = [method] if method == "cc" else ["cc", method]
    est = estimate_groups(stats, em, methods, b=b, seed=seed, level=level, progress=progress)
    t = est.table.rename(columns={"key": "country"})
    if t.empty:
        return t, {}
    t["enough"] = (t["n_items"] >= min_items) & (t["n_clusters"] >= min_clusters) & (t["country"] != UNLOCATED)
    t["status"] = np.where(t["country"] == UNLOCATED, "no location",
                           np.where(t["enough"], "ok", "insufficient data"))
    ok = t.index[t["enough"]].to_numpy()
    t["rank"] = pd.array([pd.NA] * len(t), dtype="Int64")
    t["rank_low"] = t["rank"].copy()
    t["rank_high"] = t["rank"].copy()
    if len(ok):
        reps = est.replicates[method][:, ok]
        _, lo, hi = rank_intervals(reps, level)
        point = t.loc[ok, method].to_numpy()
        order = (-np.where(np.isfinite(point), point, -np.inf)).argsort(kind="stable").argsort() + 1
        t.loc[ok, "rank"], t.loc[ok, "rank_low"], t.loc[ok, "rank_high"] = order, lo, hi
    t["name"] = t["country"].map(country_name)
    share = {"share": t[method], "ci_low": t[f"{method}_low"], "ci_high": t[f"{method}_high"]}
    out = pd.DataFrame({"country": t["country"], "name": t["name"], "items": t["n_items"].astype("int64"),
                        "accounts": t["n_clusters"].astype("int64"), "status": t["status"], **share,
                        "cc": t["cc"], "cc_low": t["cc_low"], "cc_high": t["cc_high"],
                        "rank": t["rank"], "rank_low": t["rank_low"], "rank_high": t["rank_high"]})
    for col in ("share", "ci_low", "ci_high", "cc", "cc_low", "cc_high"):
        out.loc[out["status"] == "insufficient data", col] = np.nan
    out["_sort"] = np.select([out["status"] == "ok", out["status"] == "insufficient data"], [0, 1], 2)
    out = out.sort_values(["_sort", "rank", "items"], ascending=[True, True, False], na_position="last")
    return out.drop(columns="_sort").reset_index(drop=True), {"overall_reps": est.replicates}


def _overall(slots: pd.DataFrame, em, method, b, seed, level) -> dict[str, Any]:
    if slots.empty:
        return {}
    one = slots.groupby(["account_key", "slot"], as_index=False, sort=False)[["n", "s"]].sum().assign(country="all")
    stats = GroupStats.from_frame(one, "country", "account_key")
    methods = [method] if method == "cc" else ["cc", method]
    r = estimate_groups(stats, em, methods, b=b, seed=seed + 1, level=level).table.iloc[0]
    return {"items": int(r["n_items"]), "accounts": int(r["n_clusters"]), "share": r[method],
            "ci_low": r[f"{method}_low"], "ci_high": r[f"{method}_high"], "cc": r["cc"]}


def country_post_shares(ws: "Workspace", pop: Population | None = None, *, error_model: ErrorModel | None = None,
                        method: str = "auto", min_posts: int = DEFAULT_MIN_POSTS,
                        min_accounts: int = DEFAULT_MIN_ACCOUNTS, b: int = 500, seed: int = 0, level: float = 0.95,
                        progress=None) -> CensusTable:
    """Share of supportive posts per country (the founding study's headline table)."""
    pop = pop or Population()
    _require_stance(ws)
    if min_posts < 1 or min_accounts < 1:
        raise MarsadError("minimum sample sizes must be at least 1")
    method = choose_method(method, error_model)
    thr = error_model.threshold if error_model else 0.5
    with population(ws, pop) as pp:
        slots, sql = pp.query(post_slots_body(thr))
    df, _ = _shares_table(slots, error_model, method, min_posts, min_accounts, b, seed, level, progress)
    df = df.rename(columns={"items": "posts"})
    caveats = _caveats(ws, error_model, method, "post")
    return CensusTable(
        "country_posts", "Share of supportive posts by country", df, sql=sql,
        note=(f"Posts in the population ({pop.describe()}) grouped by country (the post's geotag, else its "
              f"account's inferred country). Share = {METHOD_NAMES[method]} of the stance model's probabilities"
              f"{' corrected with its held-out error rates' if method in ('acc', 'pacc', 'sld') else ''}; "
              f"{int(level * 100)}% intervals from {b} bootstrap replicates resampling accounts (all posts of an "
              f"account together) and the validation data. Countries with fewer than {min_posts} posts or "
              f"{min_accounts} accounts show 'insufficient data' and are not ranked; rank intervals come from "
              f"the ranks in each replicate. 'cc' is the uncorrected share of posts labelled supportive."),
        caveats=caveats,
        meta={"method": method, "population": pop.describe(), "min_posts": min_posts, "min_accounts": min_accounts,
              "bootstrap": b, "seed": seed, "level": level,
              "error_model": error_model.summary() if error_model else None,
              "overall": _overall(slots, error_model, method, b, seed, level)},
    )


def country_account_shares(ws: "Workspace", pop: Population | None = None, *, error_model: ErrorModel | None = None,
                           method: str = "auto", min_accounts: int = DEFAULT_MIN_ACCOUNTS_ACCOUNT_LEVEL,
                           b: int = 500, seed: int = 0, level: float = 0.95, progress=None) -> CensusTable:
    """Share of supportive accounts per country (account verdict probabilities from the stance evidence)."""
    pop = pop or Population()
    ws.require_posts()
    if not has_signal(ws, "stance"):
        raise MarsadError("no account stance verdicts in this workspace", hint="run `marsad stance run` first")
    method = choose_method(method, error_model)
    thr = error_model.threshold if error_model else 0.5
    with population(ws, pop) as pp:
        slots, sql = pp.query(account_slots_body(thr))
    df, _ = _shares_table(slots, error_model, method, min_accounts, min_accounts, b, seed, level, progress)
    df = df.drop(columns=["items"])
    return CensusTable(
        "country_accounts", "Share of supportive accounts by country", df, sql=sql,
        note=(f"Accounts with at least one post in the population ({pop.describe()}), grouped by their inferred "
              f"country. Share = {METHOD_NAMES[method]} of the account-level support probabilities; "
              f"{int(level * 100)}% bootstrap intervals over accounts. Countries with fewer than {min_accounts} "
              f"accounts show 'insufficient data'."),
        caveats=_caveats(ws, error_model, method, "account"),
        meta={"method": method, "population": pop.describe(), "min_accounts": min_accounts, "bootstrap": b,
              "seed": seed, "level": level, "error_model": error_model.summary() if error_model else None,
              "overall": _overall(slots, error_model, method, b, seed, level)},
    )


def _caveats(ws: "Workspace", em: ErrorModel | None, method: str, level: str) -> list[str]:
    out = []
    if em is None:
        out.append(f"No validated {level}-level error rates were available, so shares are NOT corrected for "
                   "classifier error: a classifier that errs pulls every share towards its false-positive rate.")
    else:
        s = em.summary()
        out.append(f"Error rates from {s['source']}: true positive rate {s['tpr']:.3f}, false positive rate "
                   f"{s['fpr']:.3f} on {s['n_pos']} supportive and {s['n_neg']} other held-out items. The "
                   "correction assumes the classifier errs on this data as it did there; text unlike the "
                   "validation data (other dialects, years, topics) can break that. Rates measured on another "
                   "collection often do not transfer: hand-label a random sample of a few hundred posts of this "
                   "population and pass it with --error-model for shares you can defend.")
    if not has_signal(ws, "geo") and not table_exists(ws, "geo_posts"):
        out.append("No locations were inferred (run `marsad geo run`): every post counts as unlocated.")
    else:
        out.append("Countries are inferred from geotags and free-text profile locations; most accounts give no "
                   "usable location, and those that do may differ from those that don't.")
    return out


def country_counts(ws: "Workspace", pop: Population | None = None, level: float = 0.95) -> CensusTable:
    """Where the accounts are: accounts and posts per inferred country and stance group, and each country's share
    of the group's located accounts (Wilson intervals). Needs no stance model (one group: all accounts)."""
    from .common import wilson

    pop = pop or Population()
    ws.require_posts()
    if not has_signal(ws, "geo"):
        raise MarsadError("no account locations in this workspace", hint="run `marsad geo run` first")
    body = f""", acc AS (SELECT any_value(platform) AS platform, any_value(account_id) AS account_id,
                    any_value(grp) AS grp, count(*) AS posts FROM pp GROUP BY akey),
ge AS ({account_label_sql('geo')})
SELECT coalesce(upper(ge.label), '{UNLOCATED}') AS country, acc.grp AS "group", count(*) AS accounts,
       sum(acc.posts) AS posts
FROM acc LEFT JOIN ge USING (platform, account_id)
GROUP BY ALL ORDER BY accounts DESC"""
    with population(ws, pop) as pp:
        df, sql = pp.query(body)
    if not df.empty:
        per_group = df[df["country"] != UNLOCATED].groupby("group")["accounts"].sum()
        df["located_accounts"] = df["group"].map(per_group).fillna(0).astype("int64")
        df["share"] = df["accounts"] / df["located_accounts"]
        from scipy.stats import norm

        lo, hi = wilson(df["accounts"], df["located_accounts"], float(norm.ppf(0.5 + level / 2)))
        df["share_low"], df["share_high"] = lo, hi
        df.loc[df["country"] == UNLOCATED, ["share", "share_low", "share_high"]] = np.nan
        df["name"] = df["country"].map(country_name)
    return CensusTable(
        "country_counts", "Where the accounts are: accounts by inferred country", df, sql=sql,
        note=("Accounts with at least one post in the population, by the country the geo signal inferred from "
              "their profile (geotags, profile location, time zone), per stance group. 'share' is the country's "
              "share of the group's located accounts (Wilson interval); unlocated accounts are counted but not in "
              "the shares."),
        caveats=["Profile locations are what account holders chose to write; supporters often write none, a "
                 "joke, or a place they identify with rather than where they are."],
    )
