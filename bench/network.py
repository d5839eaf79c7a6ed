"""Benchmark of the network stages on a large synthetic population (default 10 million posts, 200,000 accounts):
graph build, shout-outs, roles, communities, families (and discovery from seeds), each with wall time and the
process's peak RSS after it.

    nice .venv/bin/python bench/network.py [--posts 10000000] [--accounts 200000] [--threads 2] [--keep DIR]

The posts are generated inside DuckDB with SQL (the JSON simulator would take over an hour to write and ingest this
many): a quarter of the accounts are supporters in 200 groups (8% nodes whose posts others repost, 72% amplifiers
that repost them, 5% shout-out accounts naming other supporters, 15% low-activity others); the rest talk within
500 clusters; 1% of supporters are suspended mid-period and return with a handle variant and the same bio.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def generate(ws, n_posts: int, n_acc: int) -> None:
    con = ws.con
    groups, clusters = 200, 500
    con.execute(f"""CREATE OR REPLACE TEMP TABLE acc AS
        SELECT id, id % 4 = 0 AS sup, id // 4 AS s, (id // 4) % {groups} AS g,
               CASE WHEN id % 4 <> 0 THEN 'other'
                    WHEN ((id // 4) // {groups}) % 100 < 8 THEN 'node'
                    WHEN ((id // 4) // {groups}) % 100 < 13 THEN 'shoutout'
                    WHEN ((id // 4) // {groups}) % 100 < 28 THEN 'lowact' ELSE 'amplifier' END AS role,
               (id // 4) % 100 = 7 AND id % 4 = 0 AS returns
        FROM range({n_acc}) t(id)""")
    n_nodes_per_group = max(1, (n_acc // 4) // (groups * 100) * 8)
    # posts: account drawn by hash; kind by role; targets inside the group (supporters) or cluster (others)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE raw AS
        SELECT i, (hash(i) % {n_acc})::BIGINT AS a, (hash(i * 31 + 7) % 1000) / 1000.0 AS u,
               (hash(i * 17 + 3) % 1000000)::BIGINT AS r, i * (30 * 86400 // {n_posts}) AS sec
        FROM range({n_posts}) t(i)""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE gen AS
        SELECT raw.*, acc.sup, acc.g, acc.role, acc.returns,
          CASE WHEN acc.role = 'node' THEN (CASE WHEN u < 0.8 THEN 'original' WHEN u < 0.92 THEN 'repost' ELSE 'reply' END)
               WHEN acc.role = 'amplifier' THEN (CASE WHEN u < 0.82 THEN 'repost' WHEN u < 0.9 THEN 'reply' ELSE 'original' END)
               WHEN acc.role = 'shoutout' THEN (CASE WHEN u < 0.45 THEN 'shoutout' WHEN u < 0.85 THEN 'repost' ELSE 'original' END)
               WHEN acc.role = 'lowact' THEN (CASE WHEN u < 0.5 THEN 'repost' WHEN u < 0.9 THEN 'original' ELSE 'reply' END)
               ELSE (CASE WHEN u < 0.65 THEN 'original' WHEN u < 0.93 THEN 'repost' ELSE 'reply' END) END AS kind,
          CASE WHEN acc.sup THEN 4 * (acc.g + {groups} * ((r % {n_nodes_per_group}) // 8 * 100 + (r % 8)))
               ELSE (acc.id % {clusters}) + {clusters} * (r % ({n_acc} // {clusters})) END AS t
        FROM raw JOIN acc ON acc.id = raw.a""")
    mid = 15 * 86400
    con.execute(f"""INSERT INTO posts (platform, post_id, account_id, account_handle, created_at, text, lang,
            repost_of_post_id, repost_of_account_id, repost_of_handle, reply_to_account_id, reply_to_handle,
            mentions, hashtags, urls, media_urls, embedded, record_position, dataset_id)
        SELECT 'twitter', i::VARCHAR,
          CASE WHEN returns AND sec >= {mid} THEN ({n_acc} + a)::VARCHAR ELSE a::VARCHAR END,
          CASE WHEN returns AND sec >= {mid} THEN 'u' || a || '_2' ELSE 'u' || a END,
          TIMESTAMPTZ '2014-10-01' + to_seconds(sec),
          CASE kind WHEN 'shoutout' THEN 'Follow and support @u' || t || ' @u' || (t + 800) || ' @u' || (t + 1600)
                    WHEN 'original' THEN 'original post number ' || (r % 5000) || ' from the group ' || g
                    ELSE 'text of ' || (r % 5000) END,
          'ar',
          CASE WHEN kind = 'repost' THEN 'o' || r END,
          CASE WHEN kind = 'repost' THEN t::VARCHAR END, CASE WHEN kind = 'repost' THEN 'u' || t END,
          CASE WHEN kind = 'reply' THEN t::VARCHAR END, CASE WHEN kind = 'reply' THEN 'u' || t END,
          CASE WHEN kind = 'shoutout' THEN ['u' || t, 'u' || (t + 800), 'u' || (t + 1600)]
               WHEN kind = 'reply' THEN ['u' || t] ELSE []::VARCHAR[] END,
          []::VARCHAR[], []::VARCHAR[], []::VARCHAR[], false, i, 'dbench'
        FROM gen WHERE t < {n_acc}""")
    con.execute(f"""INSERT INTO account_snapshots (platform, account_id, handle, display_name, description,
            followers, created_at, avatar_url, first_observed, last_observed, n_observations, dataset_id)
        SELECT 'twitter', id::VARCHAR, 'u' || id, 'Name ' || (id % 5000), 'bio ' || (id % 997) || ' text',
               100 + id % 900, TIMESTAMPTZ '2013-01-01', 'http://img/' || id || '/IMG_' || id || '_normal.jpg',
               TIMESTAMPTZ '2014-10-01', TIMESTAMPTZ '2014-10-31', 1, 'dbench' FROM acc
        UNION ALL
        SELECT 'twitter', ({n_acc} + id)::VARCHAR, 'u' || id || '_2', 'Name ' || (id % 5000),
               'bio ' || (id % 997) || ' text', 20, TIMESTAMPTZ '2014-10-16 12:00', 'http://img/x' || id ||
               '/IMG_' || id || '_normal.jpg', TIMESTAMPTZ '2014-10-16', TIMESTAMPTZ '2014-10-31', 1, 'dbench'
        FROM acc WHERE returns""")
    con.execute("""UPDATE account_snapshots SET last_observed = TIMESTAMPTZ '2014-10-15 23:00'
                    WHERE account_id IN (SELECT id::VARCHAR FROM acc WHERE returns)""")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=10_000_000)
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="4GB", help="DuckDB memory limit")
    ap.add_argument("--keep", help="Keep the workspace in this folder (and reuse its data next time)")
    ap.add_argument("--stage", action="append", help="Run only these stages (by name prefix), e.g. --stage fam")
    a = ap.parse_args()
    from marsad import Workspace
    from marsad.network import shoutouts
    from marsad.network.communities import CommunitySignal
    from marsad.network.discover import DiscoverSignal
    from marsad.network.families import FamilySignal
    from marsad.network.graph import build_edges
    from marsad.network.roles import RoleSignal

    folder = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="marsad-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.duckdb"
    fresh = not path.exists()
    ws = Workspace(path)
    ws.con.execute(f"SET threads = {a.threads}; SET memory_limit = '{a.memory}'")
    t0 = time.perf_counter()
    if fresh:
        generate(ws, a.posts, a.accounts)
    n_posts = ws.con.execute("SELECT count(*) FROM posts").fetchone()[0]
    n_acc = ws.con.execute("SELECT count(*) FROM accounts").fetchone()[0]
    print(f"data: {n_posts:,} posts, {n_acc:,} accounts ({'generated' if fresh else 'reused'} in "
          f"{time.perf_counter() - t0:.1f}s), peak RSS {peak_rss_gib():.2f} GiB", flush=True)
    seeds = ws.df(f"SELECT 'twitter' AS platform, (id * 4)::VARCHAR AS account_id FROM range(0, {a.accounts // 4}, 10) t(id)")
    stages = [
        ("graph build", lambda: build_edges(ws)),
        ("shout-outs", lambda: shoutouts.detect(ws)),
        ("roles", lambda: RoleSignal().run_and_write(ws)),
        ("communities", lambda: CommunitySignal().run_and_write(ws)),
        ("families", lambda: FamilySignal().run_and_write(ws)),
        ("discovery (10% seeds)", lambda: DiscoverSignal().with_seed_frame(seeds).run_and_write(ws)),
    ]
    total = cpu_total = 0.0
    print(f"machine load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall times stretch when other work shares the cores; CPU time does not)")
    stages = [s for s in stages if not a.stage or any(s[0].startswith(x) for x in a.stage)]
    for name, fn in stages:
        t, c = time.perf_counter(), cpu_seconds()
        fn()
        dt, dc = time.perf_counter() - t, cpu_seconds() - c
        total += dt
        cpu_total += dc
        print(f"{name:<24} wall {dt:8.1f} s   CPU {dc:8.1f} s   peak RSS {peak_rss_gib():.2f} GiB", flush=True)
    print(f"{'total':<24} wall {total:8.1f} s   CPU {cpu_total:8.1f} s   peak RSS {peak_rss_gib():.2f} GiB")
    edges = ws.con.execute("SELECT count(*), sum(weight) FROM network_edges").fetchone()
    print(f"network_edges: {edges[0]:,} edges, {edges[1]:,} interactions; "
          f"{ws.con.execute('SELECT count(*) FROM family_links').fetchone()[0]:,} family links")
    ws.close()
    if not a.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
