"""Coordination commands: build the co-action networks, list clusters and edges, show the posts behind an edge,
export the graph."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import MarsadError
from .common import console, open_ws, print_df, progress, write_table

coord_app = typer.Typer(help="Coordinated amplification: co-repost, co-link, co-hashtag, co-reply, co-text.",
                        no_args_is_help=True)


@coord_app.command("build")
def build_cmd(
    ctx: typer.Context,
    window: float = typer.Option(60, "--window", help="Seconds; two actions at most this far apart co-occur."),
    min_weight: int = typer.Option(2, "--min-weight", help="Keep edges with at least this many co-actions."),
    behaviour: Optional[str] = typer.Option(
        None, "--behaviour", "-b", help="Comma list of corepost,colink,cohashtag,coreply,cotext (default all)."),
    cap: int = typer.Option(1000, "--cap", help="Largest (item, window) bucket to pair; bigger ones are reported."),
    text_threshold: float = typer.Option(0.8, "--text-threshold", help="Co-text: minimum Jaccard of word sets."),
    min_items: int = typer.Option(1, "--min-items", help="Clusters: distinct items two accounts must share."),
    min_lift: float = typer.Option(10.0, "--min-lift", help="Clusters: co-actions over those expected by chance."),
    alpha: float = typer.Option(0.05, "--alpha", help="Clusters: largest Bonferroni-adjusted p-value of an edge."),
) -> None:
    """Build coordination networks and clusters, and write the "coord" evidence.

    Example:  marsad coord build --window 60 --min-weight 2 --behaviour corepost,colink
    """
    from ..coordination import BuildParams, build, parse_behaviours
    from ..coordination.signal import CoordSignal

    behaviours = parse_behaviours(behaviour)
    params = BuildParams(window=window, min_weight=min_weight, behaviours=behaviours, cap=cap,
                         text_threshold=text_threshold)
    params.validate()
    ws = open_ws(ctx)
    with progress("coordination", total=len(behaviours)) as (bar, task):
        res = build(ws, params, on_step=lambda b: bar.update(
            task, description=f"coordination: {b}", completed=behaviours.index(b)))
    print_df(res.table(), title=f"coordination networks (window {window:g}s, min weight {min_weight})")
    capped = res.table()["capped_buckets"].sum()
    if capped:
        console.print(f"[yellow]{capped:,} very large (item, window) buckets were not paired[/]; see "
                      "`marsad sql \"SELECT * FROM coord_capped\"` or raise --cap")
    sig = CoordSignal(window=window, min_weight=min_weight, behaviours=behaviours, min_items=min_items, cap=cap,
                      min_lift=min_lift, alpha=alpha)
    run_id, rows = sig.run_and_write(ws)
    n_clusters = rows["label"].nunique() if len(rows) else 0
    console.print(f"{res.n_edges:,} edges; {len(rows):,} accounts in {n_clusters:,} clusters "
                  f"(lift >= {min_lift:g}, adjusted p <= {alpha:g}); evidence run {run_id}; {res.seconds:.1f}s")
    ws.close()


@coord_app.command("clusters")
def clusters_cmd(
    ctx: typer.Context,
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write members (.csv/.parquet/.jsonl)."),
    min_items: int = typer.Option(1, "--min-items", help="Distinct items two accounts must share."),
    min_lift: float = typer.Option(10.0, "--min-lift", help="Co-actions over those expected by chance."),
    alpha: float = typer.Option(0.05, "--alpha", help="Largest Bonferroni-adjusted p-value of an edge."),
    no_pseudonymise: bool = typer.Option(False, "--no-pseudonymise", help="Keep real ids and handles in --out."),
) -> None:
    """Clusters of coordinated accounts: account id, handle, cluster id, behaviours, synchrony score."""
    from ..coordination.clusters import compute

    ws = open_ws(ctx)
    members, clusters = compute(ws, min_items, min_lift=min_lift, alpha=alpha)
    if members.empty:
        console.print("no coordinated clusters at these thresholds")
        return
    show = clusters.copy()
    show["top_items"] = show["top_items"].map(lambda xs: "; ".join(xs[:3]) if xs is not None else "")
    print_df(show.drop(columns=["component"]), title="coordination clusters", max_rows=30)
    table = members[["account_id", "handle", "cluster", "behaviours", "score", "component", "degree", "n_posts",
                     "n_coposts"]].copy()
    table["behaviours"] = table["behaviours"].map(lambda xs: ",".join(xs))
    if out:
        if not no_pseudonymise:
            table = _pseudonymise(ws, table, ["account_id"], ["handle"])
        write_table(table, out)
        console.print(f"wrote {len(table):,} accounts to {out}" + ("" if no_pseudonymise else " (pseudonymised)"))
    else:
        print_df(table, title="members", max_rows=40)
    ws.close()


@coord_app.command("edges")
def edges_cmd(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="Output file (.csv/.parquet/.jsonl)."),
    behaviour: Optional[str] = typer.Option(None, "--behaviour", "-b", help="Only these behaviours (comma list)."),
    no_pseudonymise: bool = typer.Option(False, "--no-pseudonymise", help="Keep real account ids."),
) -> None:
    """Write the coordination edges: account A, account B, behaviour, weight (+ directed weights, items, times)."""
    from ..coordination import parse_behaviours
    from ..coordination.build import require_built

    ws = open_ws(ctx, read_only=True)
    require_built(ws)
    bs = parse_behaviours(behaviour)
    marks = ", ".join("?" for _ in bs)
    df = ws.df(f"""SELECT account_a, account_b, behaviour, weight, weight_ab, weight_ba, n_items, n_pairs, expected,
                          lift, p_adjusted, first_at, last_at FROM coord_edges WHERE behaviour IN ({marks})
                   ORDER BY behaviour, weight DESC, account_a, account_b""", list(bs))
    if not no_pseudonymise:
        df = _pseudonymise(ws, df, ["account_a", "account_b"], [])
    write_table(df, out)
    console.print(f"wrote {len(df):,} edges to {out}" + ("" if no_pseudonymise else " (pseudonymised)"))


@coord_app.command("evidence")
def evidence_cmd(
    ctx: typer.Context,
    a: str = typer.Argument(..., help="Account id or @handle."),
    b: str = typer.Argument(..., help="Account id or @handle."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write all pairs to a file."),
    limit: int = typer.Option(50, help="Pairs to print."),
    no_pseudonymise: bool = typer.Option(False, "--no-pseudonymise", help="Keep real ids and @mentions in --out."),
) -> None:
    """The pairs of posts behind the edge between two accounts.

    Example:  marsad coord evidence 2534186192 @Mic_Reeze
    """
    from ..coordination import evidence_between

    ws = open_ws(ctx, read_only=True)
    ida, idb = _resolve(ws, a), _resolve(ws, b)
    df = evidence_between(ws, ida, idb)
    if df.empty:
        raise MarsadError(f"no coordination edge between {a} and {b}",
                          hint="list edges with `marsad coord edges --out edges.csv`")
    edges = ws.df("""SELECT behaviour, weight, weight_ab, weight_ba, n_items, round(lift, 1) AS lift, first_at, last_at
                     FROM coord_edges
                     WHERE account_a = ? AND account_b = ?""", sorted([ida, idb]))
    print_df(edges, title=f"edges {min(ida, idb)} — {max(ida, idb)}")
    if out:
        if not no_pseudonymise:
            df = _pseudonymise(ws, df, ["account_a", "account_b"], [])
            from ..outputs.pseudonymise import Pseudonymiser

            p = Pseudonymiser(ws.pseudonym_key)
            for c in ("text_a", "text_b"):
                df[c] = df[c].map(p.text)
        write_table(df, out)
        console.print(f"wrote {len(df):,} post pairs to {out}" + ("" if no_pseudonymise else " (pseudonymised)"))
    else:
        show = df.drop(columns=["account_a", "account_b"]).copy()
        for c in ("text_a", "text_b", "item"):
            show[c] = show[c].str.slice(0, 90)
        print_df(show, title="post pairs", max_rows=limit)


@coord_app.command("export")
def export_cmd(
    ctx: typer.Context,
    format: str = typer.Option("graphml", "--format", "-f", help="graphml | parquet"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (default coordination.FORMAT)."),
    min_items: int = typer.Option(1, "--min-items", help="Distinct items two accounts must share."),
    min_lift: float = typer.Option(10.0, "--min-lift", help="Co-actions over those expected by chance."),
    alpha: float = typer.Option(0.05, "--alpha", help="Largest Bonferroni-adjusted p-value of an edge."),
    no_pseudonymise: bool = typer.Option(False, "--no-pseudonymise", help="Keep real ids and handles."),
) -> None:
    """Export the coordination graph (nodes with cluster and score, edges per behaviour) as GraphML or Parquet."""
    from ..coordination.export import export_graph

    if format not in ("graphml", "parquet"):
        raise MarsadError(f"--format {format!r}: choose graphml or parquet")
    ws = open_ws(ctx)
    out = out or Path(f"coordination.{format}")
    n_nodes, n_edges, files = export_graph(ws, out, format, min_items=min_items, min_lift=min_lift, alpha=alpha,
                                             pseudonymise=not no_pseudonymise)
    console.print(f"wrote {n_nodes:,} accounts and {n_edges:,} edges to {', '.join(map(str, files))}"
                  + ("" if no_pseudonymise else " (pseudonymised)"))


def _resolve(ws, who: str) -> str:
    """An account id from an id or @handle."""
    if who.startswith("@"):
        row = ws.con.execute("SELECT account_id FROM accounts WHERE lower(handle) = lower(?) LIMIT 1",
                             [who[1:]]).fetchone()
        return row[0] if row else "@" + who[1:].lower()
    return who


def _pseudonymise(ws, df, id_cols: list[str], handle_cols: list[str]):
    from ..outputs.pseudonymise import Pseudonymiser

    p = Pseudonymiser(ws.pseudonym_key)
    df = df.copy()
    for c in id_cols:
        df[c] = df[c].map(lambda v: p(v, "acct"))
    for c in handle_cols:
        df[c] = df[c].map(lambda v: p(v, "handle"))
    return df


def register(app: typer.Typer) -> None:
    app.add_typer(coord_app, name="coord")
