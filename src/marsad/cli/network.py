"""Network commands: ``marsad network build|shoutouts|roles|discover|communities|families|timeline|export``.

Each analysis writes its rows to the workspace evidence table; ``--out FILE.csv`` (or .parquet/.jsonl/.json)
also writes the result keyed by platform, account id and handle so it can be checked outside marsad.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import pandas as pd
import typer

from .common import console, open_ws, print_df, progress, write_table

network_app = typer.Typer(help="Interaction graph, roles, shout-outs, discovery from seeds, communities, "
                               "re-created accounts, timeline, graph exports.", no_args_is_help=True)

_SINCE = typer.Option(None, "--since", help="Only posts at or after this time (YYYY-MM-DD[THH:MM]).")
_UNTIL = typer.Option(None, "--until", help="Only posts before this time (YYYY-MM-DD[THH:MM]).")
_OUT = typer.Option(None, "--out", "-o", help="Also write the result to this file (.csv, .parquet, .jsonl, .json).")


def _details_frame(rows: pd.DataFrame, ws, keys: list[str]) -> pd.DataFrame:
    """Evidence rows -> a flat table keyed by platform, account_id, handle, with chosen detail keys."""
    from ..network.base import account_names

    names = ws.df(account_names(ws))
    df = rows.rename(columns={"subject_id": "account_id"})[["platform", "account_id", "label", "score", "details"]]
    df = df.merge(names, on=["platform", "account_id"], how="left")
    det = [json.loads(d) if isinstance(d, str) else {} for d in df["details"]]
    for k in keys:  # lists (e.g. handles over time) become "a|b" so CSV cells stay plain text
        df[k] = ["|".join(map(str, v)) if isinstance(v, list) else v for v in (d.get(k) for d in det)]
    return df.drop(columns=["details"])


def _write(df: pd.DataFrame, out: Optional[Path]) -> None:
    if out is not None:
        write_table(df, out)
        console.print(f"wrote {len(df):,} rows to {out}")


def _ws_with_graph(ctx: typer.Context):
    """The workspace, with the interaction graph built first if no command has built it yet."""
    from ..network.graph import build_edges

    ws = open_ws(ctx)
    if not ws.has_table("network_edges"):
        build_edges(ws)
    return ws


@network_app.command()
def build(ctx: typer.Context, since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL,
          out: Optional[Path] = _OUT) -> None:
    """Build the interaction graph (table network_edges): reposts, quotes, replies, mentions.

    Example:  marsad network build --since 2014-10-01 --until 2014-11-01 --out degrees.csv
    """
    from ..network.graph import build_edges

    ws = open_ws(ctx)
    with progress("building the interaction graph") as _:
        res = build_edges(ws, since, until)
    print_df(res["summary"], title=f"network_edges ({res['seconds']}s)")
    if out is not None:
        from ..network.graph import KINDS

        df = _details_frame(ws.evidence("network"), ws, ["out", "in"]).drop(columns=["label"]).rename(
            columns={"score": "interactions_received"})
        for side in ("out", "in"):  # one column per direction and kind
            for k in KINDS:
                df[f"{side}_{k}"] = [int((d or {}).get(k, 0)) for d in df[side]]
        _write(df.drop(columns=["out", "in"]), out)


@network_app.command()
def shoutouts(ctx: typer.Context, since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL,
              out: Optional[Path] = _OUT) -> None:
    """Find shout-out posts (introducing or vouching for accounts) and the accounts they promote."""
    from ..network import shoutouts as so

    ws = open_ws(ctx)
    n = so.detect(ws, since, until)
    console.print(f"{n:,} shout-out posts")
    df = ws.df("""SELECT promoted_account_id AS account_id, promoted_handle AS handle, count(DISTINCT post_id) AS
                  shoutouts, count(DISTINCT account_id) AS promoters, min(created_at) AS first_promoted
                  FROM shoutout_posts GROUP BY ALL ORDER BY shoutouts DESC""")
    print_df(df, title="most promoted accounts", max_rows=20)
    _write(ws.df("SELECT * FROM shoutout_posts ORDER BY created_at, post_id"), out)


@network_app.command()
def roles(
    ctx: typer.Context, since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL,
    population: str = typer.Option("auto", help="Who is in the supporter network: auto (stance, else discovery, "
                                                "else everyone collected), all, stance, discover."),
    min_posts: int = typer.Option(3, help="Fewer posts than this: role 'other'."),
    out: Optional[Path] = _OUT,
) -> None:
    """Roles in the supporter network: node, amplifier, shoutout, other, with their features as evidence."""
    from ..network.roles import RoleSignal

    ws = _ws_with_graph(ctx)
    sig = RoleSignal(since=since, until=until, population=population, min_posts=min_posts)
    with progress("roles"):
        _, rows = sig.run_and_write(ws)
    console.print(f"population: {sig._population_source}"
                  + (" (no stance or discovery has run: every collected account counts)"
                     if sig._population_source == "all" else ""))
    print_df(rows["label"].value_counts().rename_axis("role").reset_index(name="accounts"), title="roles")
    _write(_details_frame(rows, ws, list(RoleSignal.FEATURES) + ["reason"]).rename(columns={"label": "role"}), out)


@network_app.command()
def discover(
    ctx: typer.Context,
    seeds: Path = typer.Option(..., "--seeds", help="Seed accounts: one @handle or account id per line."),
    threshold: float = typer.Option(0.5, help="In-group score needed to be a candidate (0-1)."),
    stance_weight: float = typer.Option(0.5, help="Weight of stance P(support) in the score when stance has run."),
    out: Optional[Path] = _OUT,
) -> None:
    """Rank accounts by how much of their network lies inside the supporter set grown from seeds."""
    from ..network.discover import DiscoverSignal

    ws = _ws_with_graph(ctx)
    sig = DiscoverSignal(seeds=seeds, threshold=threshold, stance_weight=stance_weight)
    with progress("discovery from seeds"):
        _, rows = sig.run_and_write(ws)
    rep = sig.report
    console.print(rep.summary())
    for line, given, reason in rep.problems[:50]:
        console.print(f"  [yellow]line {line}[/] {given!r}: {reason}", highlight=False)
    if len(rep.problems) > 50:
        console.print(f"  … {len(rep.problems) - 50} more")
    print_df(rows["label"].value_counts().rename_axis("label").reset_index(name="accounts"), title="discovery")
    df = _details_frame(rows, ws, ["rank", "collected", "ingroup_share", "supporter_partners", "partners",
                                   "stance_p_support", "bot_spam"]).sort_values("rank")
    print_df(df[df["label"] == "candidate"].head(20)[["platform", "account_id", "handle", "score", "rank",
                                                       "ingroup_share", "collected"]], title="top candidates")
    _write(df, out)


@network_app.command()
def communities(
    ctx: typer.Context, resolution: float = typer.Option(1.0, help="Leiden resolution (higher: smaller groups)."),
    seed: int = typer.Option(42, help="Random seed (same seed, same partition)."),
    since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL, out: Optional[Path] = _OUT,
) -> None:
    """Leiden communities of the interaction graph, with a summary per community."""
    from ..network.communities import CommunitySignal, summaries

    ws = _ws_with_graph(ctx)
    sig = CommunitySignal(resolution=resolution, seed=seed, since=since, until=until)
    with progress("Leiden communities"):
        _, rows = sig.run_and_write(ws)
    console.print(f"{rows['label'].nunique():,} communities, modularity {sig.modularity:.3f}")
    print_df(summaries(ws), title="communities", max_rows=20)
    _write(_details_frame(rows, ws, ["size"]).rename(columns={"label": "community", "score": "belonging"}), out)


@network_app.command()
def families(
    ctx: typer.Context, threshold: float = typer.Option(0.5, help="Link score needed (0-1)."),
    out: Optional[Path] = _OUT,
) -> None:
    """Re-created accounts: families of accounts that are likely the same user coming back."""
    from ..network.families import FamilySignal

    ws = _ws_with_graph(ctx)
    sig = FamilySignal(threshold=threshold)
    with progress("account families"):
        _, rows = sig.run_and_write(ws)
    console.print(f"{sig.stats['candidate_pairs']:,} candidate pairs, {sig.stats['links']:,} links, "
                  f"{rows['label'].nunique():,} families of {len(rows):,} accounts"
                  + (f"; {sig.stats['oversized_blocks']:,} oversized blocks skipped" if sig.stats.get(
                      "oversized_blocks") else ""))
    print_df(sig.links.head(30), title="links (older -> newer)")
    _write(_details_frame(rows, ws, ["position", "size"]).rename(columns={"label": "family",
                                                                         "score": "confidence"}), out)


@network_app.command()
def timeline(ctx: typer.Context, out: Optional[Path] = _OUT) -> None:
    """Accounts that appeared, disappeared (likely suspended), were renamed or returned, across snapshots."""
    from ..network.timeline import TimelineSignal

    ws = open_ws(ctx)
    sig = TimelineSignal()
    _, rows = sig.run_and_write(ws)
    print_df(sig.snapshots, title="snapshots")
    if len(sig.returns):
        r = sig.returns
        kept = r["kept_share"].dropna()
        console.print(f"{len(r):,} returning users; median share of followers kept: "
                      f"{kept.median():.2f}" if len(kept) else f"{len(r):,} returning users")
    _write(_details_frame(rows, ws, ["first_snapshot", "last_snapshot", "handles", "followers_first",
                                     "followers_last"]).rename(columns={"label": "events"}).drop(columns=["score"]),
           out)


@network_app.command("export")
def export_cmd(
    ctx: typer.Context,
    format: str = typer.Option("graphml", "--format", "-f", help="graphml | gexf | parquet"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (default network.FORMAT)."),
    kinds: Optional[List[str]] = typer.Option(None, "--kind", help="Edge kinds (repeatable): repost quote reply "
                                                                  "mention; default all."),
    since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL,
    min_weight: float = typer.Option(1, help="Drop edges with fewer interactions."),
    no_pseudonymise: bool = typer.Option(False, "--no-pseudonymise",
                                         help="Keep real account ids and handles (stays on your machine!)."),
) -> None:
    """Export the graph for Gephi (GraphML, GEXF) or as Parquet edge and node lists."""
    from ..network.export import export

    ws = open_ws(ctx, read_only=True)
    out = out or Path(f"network.{format}")
    res = export(ws, format, out, kinds=kinds, since=since, until=until, min_weight=min_weight,
                 pseudonymise=not no_pseudonymise)
    console.print(f"wrote {res['nodes']:,} nodes and {res['edges']:,} edges to {', '.join(res['files'])}"
                  + ("" if no_pseudonymise else " (pseudonymised)"))
    console.print(f"node attributes: {', '.join(a for a in res['attributes'] if a != 'id')}")


def register(app: typer.Typer) -> None:
    app.add_typer(network_app, name="network")
