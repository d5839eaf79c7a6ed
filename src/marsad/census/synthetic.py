"""A synthetic census world written straight into a workspace with DuckDB SQL, for tests and the census benchmark.

It fills ``posts``, ``account_snapshots``, ``stance_posts``, ``geo_posts``, ``device_posts`` and the evidence rows
of the stance, geo and device signals the census reads, plus truth tables ``synthetic_truth_accounts`` and
``synthetic_truth_posts``. Randomness is a hash of (seed, row, stream), so the same seed gives the same world at
any scale and DuckDB can generate tens of millions of rows in parallel.

The stance "classifier" is known exactly: a post's logit is ``t ~ Normal(+-SEP, SD)`` by its true class and
``p_support = sigmoid(t * 2 SEP / SD^2)``, which is the calibrated posterior at a 50% training prevalence.
:func:`validation_set` draws held-out (score, label) pairs from the same law, like a model card would hold.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..workspace import Workspace

SEP, SD = 1.2, 1.2
GAIN = 2 * SEP / SD**2
#: country, weight among accounts, share of accounts that support
COUNTRIES = [
    ("SA", 0.20, 0.25), ("SY", 0.12, 0.45), ("IQ", 0.11, 0.40), ("EG", 0.08, 0.15), ("KW", 0.06, 0.30),
    ("TR", 0.05, 0.30), ("US", 0.05, 0.10), ("GB", 0.04, 0.20), ("QA", 0.03, 0.50), ("LB", 0.03, 0.12),
    ("PS", 0.03, 0.20), ("JO", 0.03, 0.25), ("TN", 0.03, 0.35), ("LY", 0.03, 0.40), ("FR", 0.02, 0.15),
    ("BE", 0.02, 0.35), ("DE", 0.02, 0.12), ("PK", 0.02, 0.35), ("ID", 0.02, 0.25), ("MA", 0.01, 0.20),
]
DEVICES = {  # family -> (client name, source HTML href) and shares for supporters / others
    "android": ("Twitter for Android", "http://twitter.com/download/android"),
    "iphone": ("Twitter for iPhone", "http://twitter.com/download/iphone"),
    "blackberry": ("Twitter for BlackBerry", "http://blackberry.com/twitter"),
    "web": ("Twitter Web Client", "http://twitter.com"),
    "automation": ("IFTTT", "https://ifttt.com"),
}
DEVICE_SHARES = {True: [0.69, 0.29, 0.01, 0.005, 0.005], False: [0.45, 0.35, 0.02, 0.15, 0.03]}
LOCATIONS = {"SA": "الرياض", "SY": "الشام", "IQ": "بغداد", "GB": "London, UK", "US": "New York"}


def _u(seed: int, stream: int, key: str) -> str:
    """A uniform in (0, 1) from a hash of (seed, stream, key)."""
    return f"((hash({int(seed)}, {int(stream)}, {key}) % 1000000007)::DOUBLE + 0.5) / 1000000007"


def _pick(u: str, names: list[str], weights: list[float]) -> str:
    w = np.asarray(weights, float)
    cum = np.cumsum(w / w.sum())
    parts = [f"WHEN {u} < {c:.9f} THEN '{n}'" for n, c in zip(names[:-1], cum[:-1])]
    return f"CASE {' '.join(parts)} ELSE '{names[-1]}' END"


def build_world(ws: "Workspace", n_accounts: int = 2000, mean_posts: float = 20.0, seed: int = 0,
                located: float = 0.7, geotagged: float = 0.02, arabic: float = 0.85) -> dict[str, int]:
    """Write a synthetic population of ``n_accounts`` into the (empty) workspace ``ws``."""
    con = ws.con
    names = [c for c, _, _ in COUNTRIES]
    prev = " ".join(f"WHEN '{c}' THEN {p}" for c, _, p in COUNTRIES)
    fam = list(DEVICES)
    con.execute(f"""CREATE OR REPLACE TABLE synthetic_truth_accounts AS
    WITH a AS (SELECT i, {_pick(_u(seed, 1, 'i'), names, [w for _, w, _ in COUNTRIES])} AS country,
                      {_u(seed, 2, 'i')} AS u2, {_u(seed, 3, 'i')} AS u3, {_u(seed, 4, 'i')} AS u4,
                      {_u(seed, 5, 'i')} AS u5, {_u(seed, 6, 'i')} AS u6, {_u(seed, 7, 'i')} AS u7,
                      {_u(seed, 8, 'i')} AS u8
               FROM range({int(n_accounts)}) t(i))
    SELECT 'twitter' AS platform, (100000000 + i)::VARCHAR AS account_id, 'user_' || i AS handle, country,
           u2 < CASE country {prev} END AS is_supporter,
           -- posts: exponential with a hyperactive 2% posting 15x more
           1 + floor(-ln(u3) * {float(mean_posts)} * CASE WHEN u4 < 0.02 THEN 15 ELSE 0.72 END)::BIGINT AS n_posts,
           u5 < {float(located)} AS located,
           CAST(exp(5.5 + 1.6 * sqrt(-2 * ln(u6)) * cos(2 * pi() * u7)) AS BIGINT) AS followers,
           TIMESTAMPTZ '2009-01-01 00:00:00+00' + to_days(CAST(u8 * 2000 AS INTEGER)) AS created_at,
           u4 AS u_dev
    FROM a""")
    sup_dev = _pick("u_dev", fam, DEVICE_SHARES[True])
    oth_dev = _pick("u_dev", fam, DEVICE_SHARES[False])
    con.execute(f"ALTER TABLE synthetic_truth_accounts ADD COLUMN device_family VARCHAR")
    con.execute(f"UPDATE synthetic_truth_accounts SET device_family = CASE WHEN is_supporter THEN {sup_dev} "
                f"ELSE {oth_dev} END")
    loc = " ".join(f"WHEN '{c}' THEN '{s}'" for c, s in LOCATIONS.items())
    con.execute(f"""INSERT INTO account_snapshots (platform, account_id, handle, display_name, location, followers,
                        following, statuses, created_at, lang, first_observed, last_observed, n_observations, dataset_id)
        SELECT platform, account_id, handle, 'User ' || account_id,
               CASE WHEN located THEN coalesce(CASE country {loc} END, country) END,
               followers, CAST(followers * 0.8 AS BIGINT) + 20, n_posts * 3, created_at,
               CASE WHEN is_supporter THEN 'ar' ELSE 'en' END,
               TIMESTAMPTZ '2014-11-01 00:00:00+00', TIMESTAMPTZ '2014-11-01 00:00:00+00', 1, 'synthetic'
        FROM synthetic_truth_accounts""")
    t0 = int(datetime(2014, 7, 1, tzinfo=timezone.utc).timestamp())
    con.execute(f"""CREATE OR REPLACE TABLE synthetic_truth_posts AS
    WITH p AS (SELECT a.*, j, a.account_id || '-' || j AS post_id FROM synthetic_truth_accounts a,
               unnest(range(a.n_posts)) t(j))
    SELECT platform, post_id, account_id, country, device_family, located,
           {_u(seed, 11, 'post_id')} < CASE WHEN is_supporter THEN 0.75 ELSE 0.06 END AS supportive,
           {_u(seed, 12, 'post_id')} AS u_a, {_u(seed, 13, 'post_id')} AS u_b, {_u(seed, 14, 'post_id')} AS u_c,
           {_u(seed, 15, 'post_id')} AS u_d
    FROM p""")
    devsrc = " ".join(f"WHEN '{f}' THEN '<a href=\"{h}\" rel=\"nofollow\">{c}</a>'" for f, (c, h) in DEVICES.items())
    devcli = " ".join(f"WHEN '{f}' THEN '{c}'" for f, (c, _) in DEVICES.items())
    con.execute(f"""INSERT INTO posts (platform, post_id, account_id, account_handle, created_at, text, lang, source,
                                      lat, lon, place_country_code, embedded, record_position, dataset_id)
        SELECT t.platform, t.post_id, t.account_id, 'user_' || (t.account_id::BIGINT - 100000000),
               make_timestamptz(({t0} + CAST(u_b * 120 * 86400 AS BIGINT)) * 1000000),
               CASE WHEN supportive THEN 'نص مؤيد' ELSE 'نص آخر' END,
               CASE WHEN u_c < {float(arabic)} THEN 'ar' ELSE 'en' END,
               CASE device_family {devsrc} END,
               NULL, NULL, CASE WHEN u_d < {float(geotagged)} THEN country END, false, 0, 'synthetic'
        FROM synthetic_truth_posts t""")
    # the stance classifier: calibrated logistic-normal scores
    z = "sqrt(-2 * ln(u_a)) * cos(2 * pi() * u_d)"
    con.execute(f"""CREATE OR REPLACE TABLE stance_posts AS
        SELECT platform, post_id, account_id,
               1 / (1 + exp(-{GAIN} * ((CASE WHEN supportive THEN {SEP} ELSE -{SEP} END) + {SD} * {z}))) AS p_support,
               CASE WHEN u_c < {float(arabic)} THEN 'ar' ELSE 'en' END AS lang
        FROM synthetic_truth_posts""")
    con.execute(f"""CREATE OR REPLACE TABLE geo_posts AS SELECT platform, post_id, country, 'place' AS method
        FROM synthetic_truth_posts WHERE u_d < {float(geotagged)}""")
    con.execute(f"""CREATE OR REPLACE TABLE device_posts AS SELECT platform, post_id,
        CASE device_family {devcli} END AS client, device_family AS family FROM synthetic_truth_posts""")
    now = "now()"
    con.execute(f"""INSERT INTO evidence
        SELECT 'synthetic-geo', 'geo', '0', 'account', platform, account_id, CASE WHEN located THEN country END,
               CASE WHEN located THEN 0.9 END, NULL, NULL, [], '{{"method": "synthetic"}}', {now}
        FROM synthetic_truth_accounts""")
    con.execute(f"""INSERT INTO evidence
        SELECT 'synthetic-stance', 'stance', '0', 'account', s.platform, s.account_id,
               CASE WHEN count(*) < 3 THEN 'undetermined' WHEN avg(p_support) >= 0.5 THEN 'supporter'
                    ELSE 'non-supporter' END, avg(p_support), NULL, NULL, [], NULL, {now}
        FROM stance_posts s GROUP BY ALL""")
    con.execute(f"""INSERT INTO evidence
        SELECT 'synthetic-device', 'device', '0', 'account', platform, account_id, device_family, 1.0, NULL, NULL,
               [], NULL, {now} FROM synthetic_truth_accounts""")
    n_posts = con.execute("SELECT count(*) FROM posts").fetchone()[0]
    return {"accounts": int(n_accounts), "posts": int(n_posts)}


def validation_set(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Held-out (p_support, label) pairs from the synthetic classifier, half supportive."""
    rng = np.random.default_rng(seed + 991)
    y = np.arange(n) < n // 2
    t = np.where(y, SEP, -SEP) + SD * rng.standard_normal(n)
    return 1 / (1 + np.exp(-GAIN * t)), y
