"""`tandem scoring ...` commands on the database: versions and their approval, rescore, backtest.

The CLI acts with the operator's database access, so approval commands name the user they act
as (`--as EMAIL`); the same rules apply as on the web (the other team approves) and the audit
log records that user.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer

from tandem.definitions.base import Issue

AsUser = Annotated[str, typer.Option("--as", help="Email of the user taking this step.")]
Note = Annotated[str | None, typer.Option(help="A note kept with the step and in the audit log.")]


def _user(db: object, email: str) -> object:
    from tandem.auth import service as auth
    from tandem.cli.context import fail

    user = auth.get_by_email(db_session=db, email=email)  # type: ignore[arg-type]
    if user is None:
        raise fail(f"no user with email {email}")
    return user


def _issues(issues: list[Issue]) -> None:
    for issue in issues:
        typer.echo(issue.format(), err=True)


def versions() -> None:
    """List every model version, newest first."""
    from tandem.cli.context import db_session
    from tandem.scoring import approval

    with db_session() as db:
        for v in approval.list_versions(db):
            decided = f", {v.status} {v.decided_at:%Y-%m-%d %H:%M}" if v.decided_at else ""
            typer.echo(f"{v.id:>4}  {v.label:<24} {v.status:<10} by {v.proposed_team}{decided}")


def propose(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Model YAML.")],
    as_user: AsUser,
    note: Note = None,
) -> None:
    """Propose a model version (a marketer for marketing, a sales manager for sales)."""
    from tandem.cli.context import db_session, fail
    from tandem.db import utcnow
    from tandem.scoring import approval, views
    from tandem.scoring.errors import InvalidModel, ScoringError

    with db_session() as db:
        user = _user(db, as_user)
        try:
            version = approval.propose(
                db_session=db,
                user=user,  # type: ignore[arg-type]
                yaml_text=file.read_text(encoding="utf-8"),
                note=note,
                now=utcnow(),
                filename=str(file),
            )
        except InvalidModel as exc:
            _issues(exc.issues)
            raise fail(f"{file} was not proposed") from None
        except ScoringError as exc:
            raise fail(str(exc)) from None
        detail = views.version_detail(db, version, user)  # type: ignore[arg-type]
        typer.echo(f"proposed {version.label} (id {version.id}); {detail.decide_hint}")
        for change in detail.changes:
            typer.echo(
                f"  {change.kind:<8} {change.section}.{change.key} {' '.join(change.details)}"
            )


def _decide(version_id: int, as_user: str, note: str | None, approve: bool) -> None:
    from tandem.cli.context import db_session, fail
    from tandem.db import utcnow
    from tandem.scoring import approval
    from tandem.scoring.errors import ScoringError

    with db_session() as db:
        user = _user(db, as_user)
        try:
            if approve:
                version, summary = approval.approve(
                    db_session=db,
                    user=user,
                    version_id=version_id,
                    note=note,
                    now=utcnow(),  # type: ignore[arg-type]
                )
                typer.echo(f"{version.label} is active; rescored {json.dumps(summary.as_dict())}")
            else:
                version = approval.reject(
                    db_session=db,
                    user=user,
                    version_id=version_id,
                    note=note,
                    now=utcnow(),  # type: ignore[arg-type]
                )
                typer.echo(f"{version.label} rejected")
        except ScoringError as exc:
            raise fail(str(exc)) from None


def approve(version_id: int, as_user: AsUser, note: Note = None) -> None:
    """Approve a proposal (an approver of the other team): activate it and rescore everyone."""
    _decide(version_id, as_user, note, approve=True)


def reject(version_id: int, as_user: AsUser, note: Note = None) -> None:
    """Reject a proposal (an approver of the other team)."""
    _decide(version_id, as_user, note, approve=False)


def rescore() -> None:
    """Rescore every contact with the active model as of now (after a bulk load that did not
    announce its activities, or to date crossings caused by time alone)."""
    from tandem.cli.context import db_session, fail
    from tandem.db import utcnow
    from tandem.scoring import service

    with db_session() as db:
        version = service.active_version(db)
        if version is None:
            raise fail("no scoring model is active")
        summary = service.rescore_all(db_session=db, version=version, as_of=utcnow())
        typer.echo(f"{version.label}: {json.dumps(summary.as_dict())}")


def _day(text: str | None) -> datetime | None:
    return None if text is None else datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)


def backtest(
    model: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Model YAML (default: active).")
    ] = None,
    compare: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="A second model, side by side.")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="A stored version id instead of --model.")
    ] = None,
    compare_version: Annotated[
        int | None, typer.Option(help="A stored version id instead of --compare.")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day, YYYY-MM-DD (default: a year before --to)."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: today).")
    ] = None,
    step_days: Annotated[int, typer.Option(help="Days between replayed moments.")] = 7,
    outcome: Annotated[str, typer.Option(help="won, opportunity or sql.")] = "won",
    capacity: Annotated[float | None, typer.Option(help="MQLs one rep can work per week.")] = None,
    reps: Annotated[
        int | None, typer.Option(help="Sales reps (default: active sales reps).")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json or html.")] = "text",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Replay history with a model and report MQLs per month, their outcomes, and thresholds."""
    from tandem.cli.context import db_session, fail
    from tandem.db import utcnow
    from tandem.scoring import approval, service
    from tandem.scoring.backtest_page import run_backtest
    from tandem.scoring.backtest_report import year_before
    from tandem.scoring.errors import VersionNotFound
    from tandem.scoring.loader import ModelInvalid, load_model

    if output_format not in ("text", "json", "html") or outcome not in (
        "won",
        "opportunity",
        "sql",
    ):
        raise fail("--format is text, json or html; --outcome is won, opportunity or sql")
    with db_session() as db:
        models = []
        try:
            if model is not None:
                models.append((model.name, load_model(model)))
            elif version is not None:
                stored = approval.get_version(db, version)
                models.append((stored.label, service.model_of(stored)))
            else:
                active = service.active_version(db)
                if active is None:
                    raise fail("no scoring model is active: give --model FILE or --version ID")
                models.append((active.label, service.model_of(active)))
            if compare is not None:
                models.append((compare.name, load_model(compare)))
            elif compare_version is not None:
                other = approval.get_version(db, compare_version)
                models.append((other.label, service.model_of(other)))
        except ModelInvalid as exc:
            _issues(exc.issues)
            raise fail("the model file has errors") from None
        except VersionNotFound as exc:
            raise fail(str(exc)) from None
        to = (_day(end) + timedelta(days=1)) if end else utcnow()  # type: ignore[operator]
        try:
            report = run_backtest(
                db,
                models,
                start=_day(start) or year_before(to),
                end=to,
                step=timedelta(days=step_days),
                outcome=outcome,  # type: ignore[arg-type]
                capacity=capacity,
                reps=reps,
            )
        except ValueError as exc:  # over the work limits (tandem.scoring.backtest_page)
            raise fail(str(exc)) from None
    text = render(report, output_format)  # type: ignore[arg-type]
    if out is not None:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text)


def render(report: object, output_format: Literal["text", "json", "html"]) -> str:
    """The report as JSON, standalone HTML (the page's template) or a text summary."""
    from tandem.scoring.backtest_report import BacktestReport

    assert isinstance(report, BacktestReport)
    if output_format == "json":
        return json.dumps(report.as_dict(), indent=2, default=str)
    if output_format == "html":
        return _html(report)
    lines = [f"{report.start:%Y-%m-%d} .. {report.end:%Y-%m-%d}, outcome {report.outcome}"]
    if report.capacity:
        lines.append(f"capacity {report.capacity.max_mqls} MQLs in the period")
    for m in report.models:
        lines += [
            "",
            f"{m.label}  (MQL rule {m.mql_rule})",
            f"  MQLs {m.mqls}, SAL {m.sals}, SQL {m.sqls}, opportunities {m.opportunities}, "
            f"won {m.won}, revenue {m.revenue:,.0f}, conversion {m.conversion:.1%}",
            f"  {'month':<8}{'MQLs':>7}{'SAL':>6}{'SQL':>6}{'opps':>6}{'won':>6}{'revenue':>12}",
        ]
        lines += [
            f"  {r.month:<8}{r.mqls:>7}{r.sals:>6}{r.sqls:>6}{r.opportunities:>6}{r.won:>6}"
            f"{r.revenue:>12,.0f}"
            for r in m.months
        ]
        lines.append(
            f"  {m.dimension + ' >=':<12}{'MQLs':>7}{'reached':>9}{'precision':>11}{'recall':>8}"
            f"{'lift':>7}{'F1':>7}"
        )
        lines += [
            f"  {r['threshold']:<12g}{r['mqls']:>7}{r['positives']:>9}{r['precision']:>11.1%}"
            f"{r['recall']:>8.1%}{r['lift']:>7.2f}{r['f_beta']:>7.3f}"
            for r in m.sweep
        ]
        cap = "n/a (give --capacity)" if not report.capacity else f"{m.capacity_threshold}"
        lines.append(f"  recommended within capacity: {cap}; F1-best: {m.f1_threshold}")
        lines += [f"  WARNING: {w}" for w in m.warnings]
    return "\n".join(lines)


def _html(report: object) -> str:
    from tandem.web.templating import WEB_DIR, environment

    css = (WEB_DIR / "static" / "scoring.css").read_text(encoding="utf-8")
    template = environment().get_template("scoring_backtest_standalone.html")
    return template.render(b=report, css=css)


COMMANDS = (versions, propose, approve, reject, rescore, backtest)
