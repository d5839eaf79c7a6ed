"""Stance commands: ``marsad stance score|train|evaluate|run`` and ``marsad explain ACCOUNT``."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Optional

import pandas as pd
import typer

from ..errors import MarsadError
from .common import console, err_console, open_ws, print_df, progress, write_table

stance_app = typer.Typer(help="Stance: which posts and accounts support the organisation (Arabic, English).",
                         no_args_is_help=True)

MAX_FIELD = 1_000_000  # characters; longer text fields are skipped as broken rows
POST_LABELS = ("supportive", "not-supportive", "undetermined")


def _post_label(p: float) -> str:
    if p != p:
        return "undetermined"
    return "supportive" if p >= 0.5 else "not-supportive"


def read_csv_tolerant(path: Path, text_column: str, id_column: str | None) -> tuple[pd.DataFrame, list[dict]]:
    """Read a CSV (.gz/.bz2/.zip too) row by row, keeping what can be read.

    Returns the rows and the skipped ones with reasons. Stray non-UTF-8 bytes are read as Windows-1252 (the
    readers' repair; the row is kept and counted in ``_repaired``); bytes that are not valid there either, an
    empty text, a text longer than MAX_FIELD characters or a malformed line make the row skipped.
    """
    from ..readers.io import open_text, repair

    csv.field_size_limit(sys.maxsize)
    rows, skipped = [], []
    with open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise MarsadError(f"{path} is empty") from None
        except csv.Error as e:
            raise MarsadError(f"{path}: cannot read the CSV header ({e})") from None
        try:
            header = [repair(h)[0] for h in header]
        except UnicodeError:
            raise MarsadError(f"{path}: the CSV header has bytes that are neither UTF-8 nor Windows-1252") from None
        if text_column not in header:
            raise MarsadError(f"{path}: no column {text_column!r}; columns are {', '.join(header[:20])}")
        if id_column and id_column not in header:
            raise MarsadError(f"{path}: no column {id_column!r}; columns are {', '.join(header[:20])}")
        ti = header.index(text_column)
        line = 1
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                line += 1
                skipped.append({"row": line, "reason": f"malformed CSV: {e}"})
                continue
            line += 1
            if not rec:
                continue
            if len(rec) != len(header):
                skipped.append({"row": line, "reason": f"{len(rec)} fields, header has {len(header)}"})
                continue
            repaired = False
            try:
                fixed = []
                for v in rec:
                    v, r = repair(v)
                    repaired |= r
                    fixed.append(v)
            except UnicodeError:
                skipped.append({"row": line, "reason": "bytes that are neither UTF-8 nor Windows-1252"})
                continue
            t = fixed[ti]
            if not t.strip():
                skipped.append({"row": line, "reason": "empty text"})
                continue
            if len(t) > MAX_FIELD:
                skipped.append({"row": line, "reason": f"text longer than {MAX_FIELD:,} characters"})
                continue
            row = dict(zip(header, fixed))
            row["_row"] = line
            row["_repaired"] = repaired
            rows.append(row)
    return pd.DataFrame(rows, columns=header + ["_row", "_repaired"]), skipped


@stance_app.command("score")
def score(
    path: Path = typer.Argument(..., help="A CSV file (.csv or .csv.gz)."),
    text_column: str = typer.Option("text", "--text-column", help="Column holding the post text."),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="Column with post ids (kept in the output)."),
    out: Path = typer.Option(Path("preds.csv"), "--out", "-o", help="Output file (.csv, .parquet, .jsonl)."),
    lang_column: Optional[str] = typer.Option(None, "--lang-column", help="Column with a language tag, if any."),
    model_path: Optional[Path] = typer.Option(None, "--model", help="Model file (default: the packaged one)."),
) -> None:
    """Score any CSV without a workspace: adds p_support, label and lang columns.

    Rows that cannot be scored (empty text, malformed lines, huge fields) are skipped and reported; posts in
    languages the model does not know get label "undetermined".

    Example:  marsad stance score tweets.csv --text-column text --id-column id --out preds.csv
    """
    from ..signals.stance.model import StanceModel

    model = StanceModel.load(model_path)
    df, skipped = read_csv_tolerant(path, text_column, id_column)
    if lang_column and lang_column not in df.columns:
        raise MarsadError(f"{path}: no column {lang_column!r}")
    with progress("scoring posts", total=len(df)) as (bar, task):
        pred = model.predict(df[text_column].tolist(), df[lang_column].tolist() if lang_column else None,
                             on_batch=lambda n: bar.advance(task, n))
    keep = [c for c in df.columns if not c.startswith("_")]
    result = df[keep].copy()
    result["p_support"] = pred["p_support"].round(4).to_numpy()
    result["label"] = [_post_label(p) for p in pred["p_support"]]
    result["lang"] = pred["lang"].to_numpy()
    write_table(result, out)
    counts = result["label"].value_counts().to_dict()
    bad = int(df["_repaired"].sum()) if len(df) else 0
    console.print(
        f"scored {len(result):,} rows -> {out} ({', '.join(f'{k} {v:,}' for k, v in counts.items())}); "
        f"skipped {len(skipped):,}" + (f"; {bad:,} rows had non-UTF-8 bytes (read as Windows-1252)" if bad else ""),
        highlight=False,
    )
    if skipped:
        reasons = pd.DataFrame(skipped)
        summary = reasons.groupby("reason").agg(rows=("row", "size"), first_row=("row", "min")).reset_index()
        print_df(summary, title="skipped rows", max_rows=20)


@stance_app.command("train")
def train(
    data: Optional[Path] = typer.Option(None, "--data", help="Shared data folder (default: $MARSAD_SHARED_DATA or "
                                        "../shared/data)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Model file (default: the packaged model)."),
) -> None:
    """Rebuild the stance model from the shared data (deterministic) and rewrite the model card."""
    from ..signals.stance.evaluate import metrics_table
    from ..signals.stance.model import MODEL_PATH
    from ..signals.stance.train import build

    target = out or MODEL_PATH
    model, report = build(data, target, log=lambda s: err_console.print(s, highlight=False))
    console.print(f"model v{model.version} written to {target} ({target.stat().st_size / 1e6:.1f} MB)")
    print_df(metrics_table(report), title="held-out metrics (95% bootstrap CI)")


@stance_app.command("evaluate")
def evaluate(
    data: Optional[Path] = typer.Option(None, "--data", help="Shared data folder."),
    model_path: Optional[Path] = typer.Option(None, "--model", help="Model file (default: the packaged one)."),
    n_boot: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the intervals."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    accounts: bool = typer.Option(False, "--accounts", help="Also check account verdicts on the Kaggle accounts."),
) -> None:
    """Print accuracy, F1, PR-AUC, ROC-AUC and Brier score with 95% CIs on the held-out data."""
    from ..signals.stance.data import load_arabic, load_english
    from ..signals.stance.evaluate import heldout_report, kaggle_account_check, metrics_table
    from ..signals.stance.model import StanceModel

    model = StanceModel.load(model_path)
    english = load_english(data)
    report = heldout_report(model, {"ar": load_arabic(data), "en": english}, n_boot=n_boot)
    if accounts:
        check = kaggle_account_check(model, data, english)
        print_df(check["table"].reset_index(), title=f"Kaggle fanboy accounts: verdicts by how the model saw them "
                 f"({check['n_scored']:,} of {check['n_posts']:,} posts scored)")
        news = check["verdicts"][check["verdicts"]["group"] == "news"]
        print_df(news.round(3), title="self-described news accounts")
    if as_json:
        console.print_json(json.dumps(report, default=str))
        return
    print_df(metrics_table(report), title=f"stance model v{model.version}: held-out metrics (95% bootstrap CI)")
    llm = report["ar"].get("llm")
    if llm:
        best = max(llm.items(), key=lambda kv: kv[1])
        console.print(f"LLM predictions on the same Arabic held-out tweets: best {best[0]} {best[1]:.3f}; "
                      f"worst {min(llm.values()):.3f}", highlight=False)


@stance_app.command("run")
def run(
    ctx: typer.Context,
    threshold: float = typer.Option(0.3, help="Share of supportive posts that makes a supporter."),
    min_posts: int = typer.Option(3, help="Fewer scored posts than this: undetermined."),
) -> None:
    """Score every post (table stance_posts) and account (evidence, signal "stance") in the workspace."""
    from ..signals.stance.signal import StanceSignal

    ws = open_ws(ctx)
    sig = StanceSignal(threshold=threshold, min_posts=min_posts)
    with progress("stance: scoring posts") as (bar, task):
        sig.on_progress = lambda done, total: bar.update(task, completed=done, total=total)
        run_id, rows = sig.run_and_write(ws)
    n_posts = ws.con.execute("SELECT count(*), count(p_support) FROM stance_posts").fetchone()
    console.print(f"scored {n_posts[1]:,} of {n_posts[0]:,} posts (others: unsupported language or no text); "
                  f"{len(rows):,} accounts; run {run_id}", highlight=False)
    if len(rows):
        print_df(rows["label"].value_counts().rename_axis("label").reset_index(name="accounts"), title="accounts")
    ws.close()


def explain(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="Account handle (with or without @) or account id."),
    posts: int = typer.Option(3, help="Evidence posts to show on each side."),
) -> None:
    """Explain an account's stance verdict: probability, interval, evidence posts and cues."""
    ws = open_ws(ctx, read_only=True)
    handle = account.lstrip("@").lower()
    ids = ws.df(
        """SELECT DISTINCT platform, account_id FROM posts
           WHERE account_id = ? OR lower(account_handle) = ? OR account_id = ?""",
        [account, handle, "@" + handle],
    )
    if not len(ids):
        ids = ws.df("SELECT DISTINCT platform, account_id FROM accounts WHERE account_id = ? OR lower(handle) = ?",
                    [account, handle])
    if not len(ids):
        raise MarsadError(f"no account {account!r} in the workspace")
    has_table = ws.con.execute("SELECT count(*) FROM evidence WHERE signal = 'stance'").fetchone()[0]
    if not has_table:
        raise MarsadError("no stance results in this workspace", hint="run `marsad stance run` first")
    for platform, account_id in ids.itertuples(index=False):
        ev = ws.df("SELECT * FROM evidence WHERE signal='stance' AND platform=? AND subject_id=?", [platform, account_id])
        if not len(ev):
            console.print(f"{platform}:{account_id}: no stance verdict (no posts in the last run)")
            continue
        r = ev.iloc[0]
        d = json.loads(r["details"]) if r["details"] else {}
        console.print(
            f"[bold]{platform}:{account_id}[/]  verdict [bold]{r['label']}[/]  share of supportive posts "
            f"{r['score']:.2f} (95% CI {r['ci_low']:.2f}-{r['ci_high']:.2f}); P(share > {d.get('threshold')}) = "
            f"{d.get('p_supporter')}; {d.get('n_scored')} of {d.get('n_posts')} posts scored, "
            f"{d.get('n_supportive')} supportive; languages {d.get('langs')}", highlight=False)
        if d.get("cues"):
            console.print("cues: " + ", ".join(f"{k} x{v}" for k, v in d["cues"].items()), highlight=False)
        refs = list(r["refs"]) if r["refs"] is not None else []
        if refs:
            ref_ids = [x["id"] for x in refs]
            texts = ws.df(
                f"SELECT post_id, created_at, text FROM posts WHERE platform = ? AND post_id IN "
                f"({', '.join('?' * len(ref_ids))})", [platform, *ref_ids])
            tmap = dict(zip(texts["post_id"], zip(texts["created_at"], texts["text"])))
            table = []
            for x in refs:
                side = (x.get("note") or "").split(":")[0]
                created, text = tmap.get(x["id"], (None, ""))
                table.append({"side": side, "p_support": round(x["weight"], 3), "post_id": x["id"],
                              "created_at": created, "text": (text or "")[:160], "note": x.get("note")})
            tdf = pd.DataFrame(table)
            tdf = pd.concat([tdf[tdf.side == "for"].head(posts), tdf[tdf.side == "against"].head(posts)])
            print_df(tdf, title="evidence posts")
    ws.close()


def register(app: typer.Typer) -> None:
    app.add_typer(stance_app, name="stance")
    app.command("explain")(explain)
