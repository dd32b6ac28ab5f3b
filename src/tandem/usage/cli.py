"""`tandem health ...`: score every customer, list signals, replay, train a churn model."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tandem.cli.context import console, db_session, fail

app = typer.Typer(help="Customer health: scores, usage signals, backtest, churn model.")
FORMAT = Annotated[str, typer.Option("--format", help="text or json.")]


def _day(raw: str | None) -> date:
    from tandem.db import utcnow

    if raw is None:
        return utcnow().date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise fail(f"--as-of {raw!r} is not a date (YYYY-MM-DD)") from None


def _check_format(output_format: str) -> None:
    if output_format not in ("text", "json"):
        raise fail("--format is text or json")


@app.command("score")
def score_command(
    as_of: Annotated[
        str | None, typer.Option(help="Scoring day, YYYY-MM-DD (default today).")
    ] = None,
    store: Annotated[bool, typer.Option(help="Store the scores and raise the signals.")] = True,
    output_format: FORMAT = "text",
) -> None:
    """Score every customer account with the active health model (stored as that day's health,
    its signals raised once per week), and print the distribution."""
    from tandem.db import utcnow
    from tandem.usage import service

    _check_format(output_format)
    day = _day(as_of)
    with db_session() as db:
        run = (
            service.score_and_store(db, as_of=day, at=utcnow())
            if store
            else service.compute(db, as_of=day)
        )
    scores = run.health.scores
    bands = {b: int((scores["band"] == b).sum()) for b in ("healthy", "neutral", "at_risk")}
    summary = {
        "as_of": day.isoformat(),
        "model_version": run.version,
        "accounts": scores.height,
        "bands": bands,
        "mean_score": round(float(scores["score"].mean()), 2) if scores.height else None,
        "signals": len(run.signals),
        "new_signals": run.new_signals,
        "scores": scores.select("account_id", "scorecard", "score", "band").to_dicts(),
    }
    if output_format == "json":
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    console.print(
        f"{scores.height:,} accounts scored on {day} (health model v{run.version}): "
        f"{bands['healthy']:,} healthy, {bands['neutral']:,} neutral, "
        f"{bands['at_risk']:,} at risk; {len(run.signals):,} signals ({run.new_signals:,} new)",
        highlight=False,
    )


@app.command("signals")
def signals_command(
    kind: Annotated[str | None, typer.Option(help="churn_risk, expansion or pql.")] = None,
    status: Annotated[str, typer.Option(help="open, or all.")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    output_format: FORMAT = "text",
) -> None:
    """The usage signals raised, newest first, with the usage behind each."""
    from tandem.usage import views

    _check_format(output_format)
    if kind not in (None, "churn_risk", "expansion", "pql"):
        raise fail("--kind is churn_risk, expansion or pql")
    with db_session() as db:
        rows = views.signal_rows(
            db, kind=kind, status=None if status == "all" else status, limit=limit
        )
    if output_format == "json":
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    table = Table("id", "account", "kind", "rule", "week", "status", "evidence")
    for r in rows:
        shown = ", ".join(f"{k}={v}" for k, v in r.evidence.items())
        table.add_row(str(r.id), r.account_name, r.kind, r.rule, r.period, r.status, shown)
    console.print(table)


@app.command("backtest")
def backtest_command(
    start: Annotated[str, typer.Option("--from", help="First month, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option("--to", help="Last month (default today).")] = None,
    threshold: Annotated[
        list[float] | None, typer.Option(help="A score threshold (repeatable).")
    ] = None,
    horizon: Annotated[int, typer.Option(min=1, max=730, help="Days churn is looked for.")] = 90,
    output_format: FORMAT = "text",
) -> None:
    """Replay the active health model at each month's end: accounts flagged (score below the
    threshold), how many churned within the horizon, precision, recall and lift."""
    from tandem.usage import service
    from tandem.usage.backtest import THRESHOLDS

    _check_format(output_format)
    first, last = _day(start), _day(end)
    if last < first:
        raise fail("--to is before --from")
    with db_session() as db:
        report = service.run_backtest(
            db, first=first, last=last, thresholds=tuple(threshold or THRESHOLDS),
            horizon_days=horizon,
        )  # fmt: skip
    if output_format == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
        return
    table = Table(
        "threshold", "account-months", "churned", "flagged", "flagged & churned",
        "precision", "recall", "lift", title=f"churn within {horizon} days of each month's end",
    )  # fmt: skip
    pct = lambda v: "–" if v is None else f"{v:.1%}"  # noqa: E731
    for c in report.totals():
        table.add_row(
            f"< {c.threshold:g}", f"{c.accounts:,}", f"{c.churned:,}", f"{c.flagged:,}",
            f"{c.hits:,}", pct(c.precision), pct(c.recall),
            "–" if c.lift is None else f"{c.lift:.2f}",
        )  # fmt: skip
    console.print(table)


@app.command("train")
def train_command(
    csv: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="CSV with one row per account and an outcome."
        ),
    ] = None,
    target: Annotated[str | None, typer.Option(help="The outcome column of the CSV.")] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Row id column.")] = None,
    exclude: Annotated[str, typer.Option(help="Columns to leave out, comma-separated.")] = "",
    keep: Annotated[
        list[str] | None, typer.Option(help="Keep a column a leakage test flags (repeatable).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Workspace: the day features are read (default 90 days ago).")
    ] = None,
    horizon: Annotated[
        int, typer.Option(min=1, max=730, help="Workspace: churn within days.")
    ] = 90,
    min_outcomes: Annotated[int, typer.Option(help="Refuse with fewer outcomes of a class.")] = 10,
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
    output_format: FORMAT = "text",
) -> None:
    """Train a churn model on a CSV (--csv, --target) or on this workspace's churn outcomes
    (health components on a past day against churn within the horizon after it): cross-validated
    AUC, churn per decile, calibration, top factors and the scoring trainer's leakage tests."""
    from tandem.scoring.cli_train import report_text
    from tandem.scoring.errors import NotEnoughOutcomes
    from tandem.scoring.tabular import read_csv, train_table

    _check_format(output_format)
    dropped = [c.strip() for c in exclude.split(",") if c.strip()]
    try:
        if csv is not None:
            if target is None:
                raise fail("--csv needs --target COLUMN (the outcome)")
            frame, title = read_csv(str(csv)), f"{csv.name}: predicting {target}"
        else:
            from datetime import timedelta

            from tandem.db import utcnow
            from tandem.usage import views

            day = _day(as_of) if as_of else utcnow().date() - timedelta(days=horizon)
            with db_session() as db:
                frame = views.training_frame(db, as_of=day, horizon_days=horizon)
            target, id_column = "churned", "account_id"
            title = f"workspace: churn within {horizon} days of {day}"
        report = train_table(
            frame, target, id_column=id_column, exclude=dropped, min_outcomes=min_outcomes,
            folds=folds, keep=keep or (),
        )  # fmt: skip
    except NotEnoughOutcomes as exc:
        raise fail(f"not trained: {exc}") from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    if output_format == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        typer.echo(report_text(report, title))


@app.command("pql")
def pql_command(
    as_of: Annotated[
        str | None, typer.Option(help="Evaluation day, YYYY-MM-DD (default today).")
    ] = None,
    store: Annotated[
        bool, typer.Option(help="Keep the matches and move the new PQLs to MQL.")
    ] = True,
    output_format: FORMAT = "text",
) -> None:
    """Evaluate the approved PQL rule: the users of free or trial accounts whose own usage
    meets it; new matches on marketing's side become MQLs (cause `pql:<version>`), routed by
    the handoff like any MQL."""
    from tandem.db import utcnow
    from tandem.usage import pqls

    _check_format(output_format)
    day = _day(as_of)
    with db_session() as db:
        run = pqls.evaluate(db, as_of=day, at=utcnow(), store=store)
    if run is None:
        raise fail(
            "no PQL rule is approved yet: propose one with `tandem definitions import FILE "
            "--kind pql_rule` and have the other team approve it"
        )
    summary = {
        "as_of": day.isoformat(),
        "rule_version": run.version,
        "rule": run.rule.describe(),
        "matched": len(run.found),
        "new": len(run.new),
        "mqls": run.mqls,
        "matches": [
            {"contact_id": m.contact_id, "account_id": m.account_id, "plan": m.plan,
             "evidence": m.evidence, "new": m.contact_id in run.new,
             "mql": m.contact_id in run.mqls}
            for m in run.found
        ],
    }  # fmt: skip
    if output_format == "json":
        typer.echo(json.dumps(summary, indent=2))
        return
    console.print(
        f"PQL rule v{run.version} ({run.rule.describe()}) on {day}: {len(run.found):,} users "
        f"match, {len(run.new):,} new, {len(run.mqls):,} became MQLs",
        highlight=False,
    )


def setup_demo() -> None:
    """`tandem demo setup`'s customers: the default health model and PQL rule proposed by the
    marketer and approved by the sales manager, then usage with planted causes, health and
    signals, and trial accounts whose engaged users become PQLs."""
    from tandem.auth import service as auth
    from tandem.db import utcnow
    from tandem.definitions import service as definitions
    from tandem.usage import service
    from tandem.usage.definitions import (
        HEALTH_MODEL,
        PQL_RULE,
        active_model,
        active_pql_rule,
        default_pql_text,
        default_text,
    )  # fmt: skip
    from tandem.usage.demo_trials import seed_trials

    now = utcnow()
    with db_session() as db:
        marketer = auth.get_by_email(db_session=db, email="marketer@tandem.demo")
        manager = auth.get_by_email(db_session=db, email="manager@tandem.demo")
        if active_model(db)[1] == 0:
            row = definitions.propose(
                db_session=db, kind=HEALTH_MODEL, text=default_text(), user=marketer, at=now,
                source="demo", note="the packaged default health model",
            )  # fmt: skip
            definitions.approve(
                db_session=db, version_id=row.id, user=manager, at=now, kind=HEALTH_MODEL
            )
        if active_pql_rule(db) is None:
            row = definitions.propose(
                db_session=db, kind=PQL_RULE, text=default_pql_text(), user=marketer, at=now,
                source="demo", note="the packaged default PQL rule",
            )  # fmt: skip
            definitions.approve(
                db_session=db, version_id=row.id, user=manager, at=now, kind=PQL_RULE
            )
        with console.status("customers: usage, entitlements, subscriptions and health"):
            counts = service.seed_demo(db, as_of=now.date(), at=now)
            if counts:
                counts |= seed_trials(db, as_of=now.date(), at=now)
    if not counts:
        console.print("customers: entitlements exist already; keeping them")
        return
    console.print(
        f"customers: {counts['usage_facts']:,} weekly usage facts, {counts['entitlements']:,} "
        f"entitlements, {counts['subscription_events']:,} subscription events; "
        f"{counts['signals']:,} usage signals raised; {counts['trial_accounts']:,} trial or free "
        f"accounts, {counts['user_usage_facts']:,} per-user usage facts, {counts['pqls']:,} PQLs "
        "made MQLs and routed",
        highlight=False,
    )
