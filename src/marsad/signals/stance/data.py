"""The real training data for the stance model, and its honest splits.

Arabic (``arabic-isis-eval-2000``): 1,500 tweets, 750 ISIS / 750 NOT-ISIS, text only. A stratified 25% held-out
split with a fixed seed is never used for fitting or tuning. The ``pred_*`` columns (LLM outputs) are never read
as features; :func:`arabic_llm_predictions` returns them for comparison only.

English (``isis-mentions-aboutisis-validation/validation_tweets_with_source.csv.gz``): the 3,480 fanboy tweets
(positive) and the 3,480 AboutIsis keyword mentions (negative: news, condemnation, jokes about the organisation)
went through the *same* cleaning and machine translation, so the classes cannot be told apart by processing
artefacts. Handling of the traps:

- texts are deduplicated on their normalised form before splitting (retweets repeat texts); a text found in
  both classes is dropped;
- fanboy rows are matched back to their author through the Kaggle files that carry usernames
  (``isis-fanboy-tweets-kaggle``, ``isis-related-tweets-activegalaxy-partial``); rows that cannot be matched
  (mostly tweets machine-translated from Arabic or French) are dropped, because their author is unknown and they
  could leak an author across the split;
- fanboy labels are per account, and the collection includes journalists and analysts: the accounts in
  :data:`NON_SUPPORTER_ACCOUNTS` (self-described news/reporting accounts) are excluded from training altogether;
- the split is by group: a fanboy author, or for AboutIsis the retweeted account ("RT @x") or the text itself,
  so no author is in both train and test.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import MarsadError
from ...text.normalise import normalise

SEED = 2015
TEST_SIZE = 0.25
ARABIC_DIR = "arabic-isis-eval-2000"
ENGLISH_DIR = "isis-mentions-aboutisis-validation"
KAGGLE_DIR = "isis-fanboy-tweets-kaggle"
ACTIVEGALAXY_DIR = "isis-related-tweets-activegalaxy-partial"
SEED_ARTICLE = "000_5eb5e43c4fee5447.txt"
IRA_DIR = "ira-troll-tweets-538-subset"
AVENGERS_DIR = "avengers-endgame-tweets-rtweet"
#: off-topic English negatives: at most this many posts per account, and in all
OFFTOPIC_PER_ACCOUNT = 4
OFFTOPIC_MAX = {"ira": 1500, "avengers": 400}
# the validation file's cleaning removed emoji; do the same to the off-topic negatives so emoji cannot tell them apart
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")

#: Accounts in the Kaggle "fanboy" collection that describe themselves as news/reporting accounts
#: ("Real-Time News...", "we provide fresh news from every battlefield", "Reporting on conflicts ... Not affiliated
#: to any group", "Reporting, analysing and discussing conflicts"). Their per-account "pro-ISIS" label is not a
#: per-post label we can trust, so they are left out of training; account-level checks report them separately.
NON_SUPPORTER_ACCOUNTS = frozenset({"RamiAlLolah", "warrnews", "WarReporter1", "warreporter2"})

_URL = re.compile(r"https?://\S+")
_RT = re.compile(r"^\s*RT\s+@\s?(\w+)", re.IGNORECASE)


def default_root() -> Path:
    """The shared data folder: $MARSAD_SHARED_DATA, else ../shared/data next to the repository."""
    import os

    env = os.environ.get("MARSAD_SHARED_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent.parent / "shared" / "data"
        if (cand / ARABIC_DIR).is_dir():
            return cand
    return Path("../shared/data")


def _need(path: Path) -> Path:
    if not path.exists():
        raise MarsadError(f"training data not found: {path}", hint="set MARSAD_SHARED_DATA to the shared data folder")
    return path


def _stratified_test_mask(y: np.ndarray, groups: np.ndarray, seed: int = SEED) -> np.ndarray:
    """True for rows in the held-out split: whole groups, stratified by label, ~TEST_SIZE of each class."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_splits = int(round(1 / TEST_SIZE))
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    _, test = next(iter(sgkf.split(np.zeros(len(y)), y, groups)))
    mask = np.zeros(len(y), dtype=bool)
    mask[test] = True
    return mask


def load_arabic(root: Path | None = None, *, hard_negatives: bool = True) -> pd.DataFrame:
    """Columns text, norm, y (1 = supports), group, split (train/test), lang, source.

    With ``hard_negatives``, pieces of the seed news article are added to the *training* split only (source
    ``seed-article``), so held-out figures stay on the evaluation set alone.
    """
    root = Path(root or default_root())
    df = pd.read_csv(_need(root / ARABIC_DIR / "arabic_isis_eval_2000.csv"), usecols=["set", "sample_id", "label", "text"])
    df = df[df["text"].notna()].copy()
    df["y"] = (df["label"] == "ISIS").astype(int)
    df["norm"] = df["text"].map(normalise)
    df["group"] = "ar:" + df["set"].astype(str) + ":" + df["sample_id"].astype(str)
    df = _dedupe(df)
    df["split"] = np.where(_stratified_test_mask(df["y"].to_numpy(), df["group"].to_numpy()), "test", "train")
    df["lang"] = "ar"
    df["source"] = df["set"]
    cols = ["text", "norm", "y", "group", "split", "lang", "source"]
    if hard_negatives:
        chunks = seed_article_chunks(root)
        if chunks:
            extra = pd.DataFrame({"text": chunks, "y": 0, "group": "seed-article", "split": "train", "lang": "ar",
                                  "source": "seed-article"})
            extra["norm"] = extra["text"].map(normalise)
            extra = extra[~extra["norm"].isin(set(df["norm"]))].drop_duplicates("norm")
            df = pd.concat([df, extra[cols]], ignore_index=True)
    return df[cols].reset_index(drop=True)


def seed_article_chunks(root: Path | None = None, min_chars: int = 50, max_chars: int = 160) -> list[str]:
    """Tweet-sized pieces of the project's seed document (an Arabic news article *about* ISIS accounts).

    They are weak hard negatives for Arabic: text that names the organisation ("داعش", "التنظيم الإرهابي") without
    supporting it - something the Arabic evaluation set's negatives (sport, poetry, ads) almost never do.
    """
    root = Path(root or default_root())
    path = root.parent / "seed" / SEED_ARTICLE
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    pieces, cur = [], ""
    for part in re.split(r"(?<=[.!؟?،,:])\s*|\n+", text):
        part = part.strip()
        if not part:
            continue
        cur = f"{cur} {part}".strip()
        if len(cur) >= min_chars:
            pieces.append(cur[:max_chars])
            cur = ""
    return pieces


def arabic_llm_predictions(root: Path | None = None) -> pd.DataFrame:
    """The LLM predictions shipped with the Arabic set (for comparison only; never features)."""
    root = Path(root or default_root())
    df = pd.read_csv(_need(root / ARABIC_DIR / "arabic_isis_eval_2000.csv"))
    return df[["set", "sample_id", "label", "text"] + [c for c in df.columns if c.startswith("pred_")]]


def _match_key(text: str) -> str:
    """A key robust to the cleaning the validation file went through (emoji, 'rt ', brackets, URLs removed)."""
    import html

    t = html.unescape(str(text)).lower()
    t = _URL.sub(" ", t)
    t = re.sub(r"[^a-z0-9]", "", t).replace("englishtranslation", "").replace("rt", "")
    return t[:60]


def _author_index(root: Path) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    kaggle = pd.read_csv(_need(root / KAGGLE_DIR / "tweets.csv.gz"), usecols=["username", "tweets"],
                         keep_default_na=False, dtype=str)
    frames = [kaggle.rename(columns={"tweets": "text"})]
    ag = root / ACTIVEGALAXY_DIR / "IsisFanboy.csv.gz"
    if ag.exists():
        frames.append(pd.read_csv(ag, usecols=["username", "tweets"], keep_default_na=False, dtype=str,
                                  on_bad_lines="skip").rename(columns={"tweets": "text"}))
    for f in frames:
        for user, text in zip(f["username"], f["text"]):
            k = _match_key(text)
            if len(k) >= 8:
                index.setdefault(k, set()).add(user)
    return index


def _dedupe(df: pd.DataFrame) -> pd.DataFrame:
    """One row per normalised text; texts found with both labels are dropped."""
    df = df[df["norm"].str.len() > 0]
    conflict = df.groupby("norm")["y"].transform("nunique") > 1
    return df[~conflict].drop_duplicates("norm", keep="first")


def load_english_offtopic(root: Path | None = None) -> pd.DataFrame:
    """Everyday English posts that are not about the organisation (negatives), grouped by account.

    The AboutIsis negatives all mention the organisation, so without these the English model learns "not about
    ISIS -> supporter" (a fanboy's everyday posts are labelled supportive). Sources: Internet Research Agency
    tweets (political chatter, news feeds, hashtag games; ``ira-troll-tweets-538-subset``) and #AvengersEndgame
    tweets. Deterministic sample: at most OFFTOPIC_PER_ACCOUNT posts per account.
    """
    root = Path(root or default_root())
    frames = []
    ira = root / IRA_DIR / "ira_tweets_selected.csv.gz"
    if ira.exists():
        d = pd.read_csv(ira, usecols=["author_id", "content", "language"], dtype=str, engine="pyarrow")
        d = d[d["language"] == "English"].rename(columns={"content": "text", "author_id": "author"})
        d["source"] = "ira"
        frames.append(d)
    av = root / AVENGERS_DIR / "tweets.csv.zip"
    if av.exists():
        d = pd.read_csv(av, usecols=["text", "screenName"], dtype=str, encoding="utf-8", encoding_errors="replace")
        d = d.rename(columns={"screenName": "author"})
        d["source"] = "avengers"
        frames.append(d)
    if not frames:
        return pd.DataFrame(columns=["text", "author", "source"])
    d = pd.concat(frames, ignore_index=True)
    d = d[d["text"].notna()].drop_duplicates("text")
    # a deterministic shuffle, then a few candidates per account before the (slower) normalisation
    d = d.sample(frac=1.0, random_state=SEED).groupby("author", sort=False).head(3 * OFFTOPIC_PER_ACCOUNT).copy()
    d["text"] = d["text"].str.replace(_EMOJI, "", regex=True)
    d["norm"] = d["text"].map(normalise)
    d = d[d["norm"].str.len() >= 20].drop_duplicates("norm")
    d = d.groupby("author", sort=False).head(OFFTOPIC_PER_ACCOUNT)
    d = pd.concat([g.head(OFFTOPIC_MAX[src]) for src, g in d.groupby("source")])
    return d[["text", "norm", "author", "source"]].reset_index(drop=True)


def load_english(root: Path | None = None, *, report: dict | None = None, offtopic: bool = True) -> pd.DataFrame:
    """Columns text, norm, y, group, split, lang, source, author. ``report`` receives the row accounting."""
    root = Path(root or default_root())
    v = pd.read_csv(_need(root / ENGLISH_DIR / "validation_tweets_with_source.csv.gz"), dtype={"text": str})
    v = v[v["text"].notna() & (v["text"].str.strip() != "") & (v["text"] != "nan")].copy()
    v["y"] = (v["source_label"] == "pro_isis_account").astype(int)
    index = _author_index(root)
    authors = []
    for text, y in zip(v["text"], v["y"]):
        users = index.get(_match_key(text)) if y == 1 else None
        authors.append(sorted(users)[0] if users else None)
    v["author"] = authors
    acc = {"rows": int(len(v)), "positive_rows": int(v["y"].sum())}
    unmatched = (v["y"] == 1) & v["author"].isna()
    excluded = v["author"].isin(NON_SUPPORTER_ACCOUNTS)
    acc["positive_unmatched_dropped"] = int(unmatched.sum())
    acc["positive_non_supporter_accounts_dropped"] = int(excluded.sum())
    v = v[~unmatched & ~excluded].copy()

    def group(text: str, y: int, author: str | None) -> str:
        if y == 1:
            return "u:" + author
        m = _RT.match(text)
        return "rt:" + m.group(1).lower() if m else "t:" + normalise(text)

    v["norm"] = v["text"].map(normalise)
    v["group"] = [group(t, y, a) for t, y, a in zip(v["text"], v["y"], v["author"])]
    v["source"] = v["source_subset"]
    if offtopic:
        off = load_english_offtopic(root)
        off["y"] = 0
        off["group"] = off["source"] + ":" + off["author"].astype(str)
        off["author"] = None
        acc["offtopic_negatives"] = off["source"].value_counts().to_dict()
        v = pd.concat([v[["text", "norm", "y", "group", "author", "source"]], off[["text", "norm", "y", "group",
                                                                                    "author", "source"]]],
                      ignore_index=True)
    before = len(v)
    v = _dedupe(v)
    acc["duplicates_dropped"] = before - len(v)
    v["split"] = np.where(_stratified_test_mask(v["y"].to_numpy(), v["group"].to_numpy()), "test", "train")
    v["lang"] = "en"
    acc["kept"] = int(len(v))
    acc["positive_accounts"] = int(v.loc[v["y"] == 1, "author"].nunique())
    acc["test_positive_accounts"] = sorted(v.loc[(v["y"] == 1) & (v["split"] == "test"), "author"].unique().tolist())
    if report is not None:
        report.update(acc)
    return v[["text", "norm", "y", "group", "split", "lang", "source", "author"]].reset_index(drop=True)


def load_kaggle_accounts(root: Path | None = None) -> pd.DataFrame:
    """The Kaggle fanboy tweets (username, text) for account-level checks."""
    root = Path(root or default_root())
    df = pd.read_csv(_need(root / KAGGLE_DIR / "tweets.csv.gz"), usecols=["username", "tweets"],
                     keep_default_na=False, dtype=str)
    return df.rename(columns={"tweets": "text"})
