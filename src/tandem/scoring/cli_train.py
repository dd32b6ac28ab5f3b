"""`tandem scoring train`: the predictive score, on a CSV export or on the workspace itself."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer

from tandem.scoring.errors import MIN_OUTCOMES

if TYPE_CHECKING:  # scikit-learn is imported by the training itself, not by `tandem` start-up
    from tandem.scoring.tabular import TrainReport


def report_text(report: TrainReport, title: str) -> str:
    """The training report for people: AUC, deciles, calibration, features, leakage."""
    folds = ", ".join(f"{a:.3f}" for a in report.auc_folds)
    lines = [
        title,
        f"rows {report.rows:,}, positives {report.positives:,} ({report.base_rate:.1%})",
        f"cross-validated AUC {report.auc:.3f} (folds {folds})",
        f"calibration: Brier {report.brier:.4f} (base rate alone {report.brier_base:.4f}), "
        f"mean |predicted - observed| per decile {report.calibration_error:.4f}",
        "",
        f"{'decile':>6}{'rows':>8}{'positives':>11}{'conversion':>12}{'lift':>7}{'predicted':>11}",
    ]
    lines += [
        f"{d['decile']:>6}{d['rows']:>8,}{d['positives']:>11,}{d['conversion']:>12.1%}"
        f"{d['lift']:>7.2f}{d['mean_predicted']:>11.1%}"
        for d in report.deciles
    ]
    lines += ["", "top features (spread of their pull on the log-odds):"]
    lines += [
        f"  {f['column']:<28}{f['importance']:>6.2f}  up: {f['strongest_up']}; "
        f"down: {f['strongest_down']}"
        for f in report.top_features
    ]
    if report.excluded:
        lines.append(f"excluded: {', '.join(report.excluded)}")
    return "\n".join(lines + leakage_text(report))


def leakage_text(report: TrainReport) -> list[str]:
    """The leakage section: each flagged column with the tests that fired and their evidence,
    the AUC the left-out columns would have given, and the tests that could not run."""
    lines = [""]
    for column in dict.fromkeys(f.column for f in report.leakage):
        state = (
            "kept (--keep)"
            if column in report.kept
            else f"left out of the model (--keep {column} to keep it)"
        )
        lines.append(f"LEAKAGE: '{column}' {state}")
        lines += [f"  {f.test}: {f.message}" for f in report.leakage if f.column == column]
    if report.auc_with_flagged is not None:
        lines.append(
            f"AUC with the left-out column(s) in: {report.auc_with_flagged:.3f}, flattered; "
            f"the AUC above ({report.auc:.3f}) is without them"
        )
    if not report.leakage:
        lines.append("no leakage suspected (no leakage test fired)")
    lines += [
        f"not run: {n.test}{f' for {n.column}' if n.column else ''}: {n.reason}"
        for n in report.leakage_not_run
    ]
    return lines


def _scores_csv(frame: pl.DataFrame, report: TrainReport, id_column: str | None, out: Path) -> None:
    ids = frame[id_column] if id_column else pl.Series("row", range(1, frame.height + 1))
    pl.DataFrame(
        {
            ids.name: ids,
            "score": (report.scores * 100).round(0).astype(int),
            "probability": report.scores.round(4),
        }
    ).write_csv(out)


def train(
    csv: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="CSV export with an outcome column."),
    ] = None,
    target: Annotated[str | None, typer.Option(help="The outcome column of the CSV.")] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", help="Row id column (kept out of the features).")
    ] = None,
    exclude: Annotated[str, typer.Option(help="Columns to leave out, comma-separated.")] = "",
    keep: Annotated[
        list[str] | None,
        typer.Option(help="A column to keep even if a leakage test flags it (repeatable)."),
    ] = None,
    pre_contact: Annotated[
        list[str] | None,
        typer.Option(
            help="CSV: a column known before first contact, e.g. a firmographic field "
            "(repeatable); other columns far more predictive alone are flagged as leaking."
        ),
    ] = None,
    positive: Annotated[
        str | None, typer.Option(help="The target's positive value (default: yes/true/1/won).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write each row's 0-100 score (out-of-fold) to this CSV.")
    ] = None,
    outcome: Annotated[
        str, typer.Option(help="Workspace outcome: won, opportunity or sql.")
    ] = "won",
    as_of: Annotated[
        str | None,
        typer.Option(help="Workspace training cut-off, YYYY-MM-DD (default: 180 days ago)."),
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Email recorded in the audit log.")
    ] = None,
    min_outcomes: Annotated[
        int, typer.Option(help="Refuse with fewer positive or negative outcomes.")
    ] = MIN_OUTCOMES,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds.")] = 5,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Train the predictive score: on a CSV (--csv, --target) or on this workspace's outcomes.

    Prints cross-validated AUC, conversion per score decile, calibration, the top features
    and the leakage tests: columns they flag are left out and named (--keep keeps one). On the
    workspace it also stores the model and scores every contact.
    """
    from tandem.cli.context import fail
    from tandem.scoring.errors import NotEnoughOutcomes
    from tandem.scoring.leakage import Context
    from tandem.scoring.tabular import read_csv, train_table

    dropped = [c.strip() for c in exclude.split(",") if c.strip()]
    try:
        if csv is not None:
            if target is None:
                raise fail("--csv needs --target COLUMN (the outcome)")
            frame = read_csv(str(csv))
            report = train_table(
                frame,
                target,
                id_column=id_column,
                exclude=dropped,
                positive=positive,
                min_outcomes=min_outcomes,
                folds=folds,
                keep=keep or (),
                context=Context(pre_contact=tuple(pre_contact or ())),
            )
            if out is not None:
                _scores_csv(frame, report, id_column, out)
            title = f"{csv.name}: predicting {target}"
        else:
            if pre_contact:
                raise fail(
                    "--pre-contact is for --csv: on the workspace the fields known before "
                    "first contact are fixed (docs/scoring.md, Leakage)"
                )
            report, title = _train_workspace(outcome, as_of, as_user, min_outcomes, keep or [])
    except NotEnoughOutcomes as exc:
        raise fail(f"not trained: {exc}") from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    if output_format == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        typer.echo(report_text(report, title))
        if out is not None:
            typer.echo(f"scores 0-100 written to {out}")


def _train_workspace(
    outcome: str, as_of: str | None, as_user: str | None, min_outcomes: int, keep: list[str]
) -> tuple[TrainReport, str]:
    from tandem.auth import service as auth
    from tandem.cli.context import db_session, fail
    from tandem.db import utcnow
    from tandem.scoring.predictive_store import train_workspace

    if outcome not in ("won", "opportunity", "sql"):
        raise fail("--outcome is won, opportunity or sql")
    now = utcnow()
    cut = (
        datetime.combine(date.fromisoformat(as_of), time(0), tzinfo=UTC)
        if as_of
        else now - timedelta(days=180)
    )
    with db_session() as db:
        user = auth.get_by_email(db_session=db, email=as_user) if as_user else None
        row, report, scored = train_workspace(
            db_session=db,
            user=user,
            outcome=outcome,  # type: ignore[arg-type]
            as_of=cut,
            now=now,
            min_outcomes=min_outcomes,
            keep=keep,
        )
        title = (
            f"workspace: predicting '{outcome}' after {cut:%Y-%m-%d} (model {row.id}, "
            f"{scored:,} contacts scored)"
        )
    return report, title
