"""`tandem accounts target|score|committee|stages|whitespace|hierarchy|intent|validate`: the
account-based work from the terminal, each with `--format json`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

app = typer.Typer(
    help="Work by account: target lists, account scores, buying committees, "
    "journey stages, whitespace and the hierarchy."
)
Format = Annotated[Literal["text", "json"], typer.Option("--format", help="text or json")]


def _out(data: Any, output_format: str, table: Table | None = None) -> None:
    from tandem.cli.context import console

    if output_format == "json" or table is None:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        console.print(table)


def _fail(exc: Exception) -> typer.Exit:
    from tandem.cli.context import fail

    return fail(str(exc))


def _run(work: Any) -> Any:
    from tandem.accounts.errors import AccountsError
    from tandem.cli.context import db_session
    from tandem.definitions.base import ConfigError

    try:
        with db_session() as db:
            return work(db)
    except (AccountsError, ConfigError) as exc:
        raise _fail(exc) from None


@app.command()
def target(
    apply: Annotated[bool, typer.Option(help="Apply the active list: memberships, tiers.")] = False,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Propose the list with these members (domain|external_id|name, tier)."
        ),
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Proposer's email (with --csv).")
    ] = None,
    on: Annotated[str | None, typer.Option(help="Day of the change (ISO; default today).")] = None,
    output_format: Format = "text",
) -> None:
    """Target accounts: preview (default), apply the active list, or propose one from a CSV."""
    from tandem.accounts import lists

    def work(db: Any) -> Any:
        if csv_file is not None:
            from tandem.accounts.definitions import TARGET_ACCOUNTS
            from tandem.auth import service as auth
            from tandem.db import utcnow
            from tandem.definitions import service as defs

            if as_user is None:
                raise _fail(ValueError("--csv needs --as EMAIL (the proposer)"))
            user = auth.get_by_email(db_session=db, email=as_user)
            text = lists.csv_proposal(db, csv_file.read_text())
            row = defs.propose(
                db_session=db,
                kind=TARGET_ACCOUNTS,
                text=text,
                user=user,
                at=utcnow(),
                source=f"file:{csv_file}",
            )
            return {"proposed": row.id, "version": row.version}
        if apply:
            return lists.apply(db, on=date.fromisoformat(on) if on else date.today())
        chosen, warnings, label = lists.preview(db)
        return {
            "list": label,
            "members": len(chosen),
            "by_tier": {t: sum(m.tier == t for m in chosen.values()) for t in (1, 2, 3)},
            "warnings": warnings,
        }

    data = _run(work)
    table = None
    if "by_tier" in data:
        table = Table(title=f"{data['list']}: {data['members']} target accounts")
        table.add_column("tier")
        table.add_column("accounts", justify="right")
        for tier, n in data["by_tier"].items():
            table.add_row(str(tier), str(n))
        for w in data.get("warnings", []):
            table.add_row("over capacity", w)
    _out(data, output_format, table)


@app.command()
def score(
    account_id: Annotated[int | None, typer.Argument(help="One account to explain.")] = None,
    rescore: Annotated[bool, typer.Option(help="Rescore every account first.")] = False,
    top: Annotated[int, typer.Option(help="Accounts listed (highest scores).")] = 20,
    output_format: Format = "text",
) -> None:
    """Account scores: rescore all, list the top ones, or explain one part by part."""
    from sqlalchemy import select

    from tandem.accounts import scores
    from tandem.accounts.models import Account, AccountScore

    def work(db: Any) -> Any:
        summary = scores.rescore_all(db) if rescore else None
        if account_id is not None:
            found = scores.score_accounts(db, [account_id], cause="cli")
            if not found:
                raise _fail(LookupError(f"no account {account_id}"))
            return {"summary": summary, "score": found[0].as_dict()}
        rows = db.execute(
            select(Account.id, Account.name, Account.tier, AccountScore.total, AccountScore.is_mqa)
            .join(AccountScore, AccountScore.account_id == Account.id)
            .order_by(AccountScore.total.desc(), Account.id)
            .limit(top)
        ).all()
        return {
            "summary": summary,
            "accounts": [
                {"id": r.id, "name": r.name, "tier": r.tier, "score": str(r.total), "mqa": r.is_mqa}
                for r in rows
            ],
        }

    data = _run(work)
    table = Table(title="account score")
    if "score" in data:
        s = data["score"]
        table.title = f"account {s['account_id']}: {s['total']} (MQA: {s['is_mqa']})"
        for col in ("section", "part", "points", "detail"):
            table.add_column(col)
        for p in s["parts"]:
            table.add_row(p["section"], p["id"], p["points"], p["detail"])
    else:
        for col in ("id", "name", "tier", "score", "mqa"):
            table.add_column(col)
        for a in data["accounts"]:
            table.add_row(str(a["id"]), a["name"], a["tier"] or "", a["score"], str(a["mqa"]))
    _out(data, output_format, table)


@app.command()
def backtest(
    model_file: Annotated[
        Path | None,
        typer.Option("--model", help="A model file to try (default: the active model)."),
    ] = None,
    months: Annotated[int, typer.Option(min=1, max=36, help="Monthly dates replayed.")] = 6,
    horizon: Annotated[int, typer.Option(min=1, max=730, help="Days a deal may follow.")] = 90,
    output_format: Format = "text",
) -> None:
    """Replay an account score model on history: MQAs at each month and the deals that followed."""
    from tandem.accounts import score_check, scores
    from tandem.accounts.loading import load
    from tandem.accounts.score_model import AccountScoreModel

    model = None
    if model_file is not None:
        from tandem.definitions.base import ConfigError

        try:
            model = load(
                AccountScoreModel, model_file.read_text(), str(model_file), *score_check.CHECKS
            )
        except ConfigError as exc:
            raise _fail(exc) from None

    def work(db: Any) -> Any:
        label, rows = scores.backtest(db, model=model, months=months, horizon_days=horizon)
        from datetime import UTC, datetime, timedelta

        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return {
            "model": label,
            "horizon_days": horizon,
            "dates": [
                {
                    "as_of": (epoch + timedelta(microseconds=r.as_of_us)).date().isoformat(),
                    "accounts": r.accounts,
                    "mqa": r.mqa,
                    "mqa_with_deal": r.mqa_with_deal,
                    "others_with_deal": r.others_with_deal,
                    "mqa_rate": r.mqa_rate,
                    "other_rate": r.other_rate,
                    "lift": r.lift,
                }
                for r in rows
            ],
        }

    data = _run(work)
    table = Table(title=f"backtest of {data['model']}: deals within {horizon} days")
    for col in ("as of", "accounts", "MQAs", "MQAs with a deal", "rate", "others' rate", "lift"):
        table.add_column(col)
    pct = lambda v: "" if v is None else f"{v:.1%}"  # noqa: E731
    for r in data["dates"]:
        table.add_row(
            r["as_of"],
            str(r["accounts"]),
            str(r["mqa"]),
            str(r["mqa_with_deal"]),
            pct(r["mqa_rate"]),
            pct(r["other_rate"]),
            "" if r["lift"] is None else f"{r['lift']:.2f}x",
        )
    _out(data, output_format, table)


@app.command()
def committee(
    account_id: Annotated[int, typer.Argument(help="The account.")],
    sync: Annotated[
        bool, typer.Option(help="Take roles from imports and title rules first.")
    ] = False,
    assign: Annotated[
        list[str] | None, typer.Option(help="CONTACT_ID=ROLE, confirmed by --as.")
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="The rep's email (with --assign).")
    ] = None,
    deal: Annotated[
        int | None, typer.Option(help="A deal of the account (its roles, template).")
    ] = None,
    output_format: Format = "text",
) -> None:
    """A buying committee: roles (confidence, source), coverage, missing roles, whom to reach."""
    from tandem.accounts import committees
    from tandem.accounts.errors import InvalidInput

    def work(db: Any) -> Any:
        if sync:
            committees.sync(db, [account_id])
        for item in assign or ():
            contact, _, role = item.partition("=")
            if not contact.isdigit() or not role:
                raise InvalidInput([f"--assign {item!r}: expected CONTACT_ID=ROLE"])
            user_id = None
            if as_user:
                from tandem.auth import service as auth

                user = auth.get_by_email(db_session=db, email=as_user)
                user_id = user.id if user else None
            committees.assign(
                db,
                account_id=account_id,
                contact_id=int(contact),
                role=role,
                user_id=user_id,
                opportunity_id=deal,
            )
        members, cover = committees.committee(db, account_id, opportunity_id=deal)
        return {
            "account_id": account_id,
            "template": cover.template,
            "needed": cover.needed,
            "covered": cover.covered,
            "present_not_engaged": cover.present_not_engaged,
            "missing": cover.missing,
            "suggestions": {r: [m.contact_id for m in ms] for r, ms in cover.suggestions.items()},
            "members": [
                m.__dict__ if hasattr(m, "__dict__") else {k: getattr(m, k) for k in m.__slots__}
                for m in members
            ],
        }

    data = _run(work)
    table = Table(
        title=f"account {account_id}: template {data['template']}, "
        f"covered {', '.join(data['covered']) or 'none'}; missing "
        f"{', '.join(data['missing']) or 'none'}"
    )
    for col in ("contact", "name", "title", "role", "confidence", "source", "engaged"):
        table.add_column(col)
    for m in data["members"]:
        role = m["role"] or ""
        shown = f"likely {role}, {m['confidence']}%" if m["source"].startswith("title") else role
        table.add_row(
            str(m["contact_id"]),
            m["name"],
            m["title"] or "",
            shown,
            str(m["confidence"]),
            m["source"],
            "yes" if m["engaged"] else "",
        )
    _out(data, output_format, table)


@app.command()
def stages(
    snapshot: Annotated[
        bool, typer.Option(help="Write today's (or --day's) stage snapshot.")
    ] = False,
    day: Annotated[str | None, typer.Option(help="ISO day of the snapshot.")] = None,
    output_format: Format = "text",
) -> None:
    """Account journey stages: the daily snapshot, and conversion and time in stage per tier."""
    from tandem.accounts import journey

    def work(db: Any) -> Any:
        written = (
            journey.snapshot(db, day=date.fromisoformat(day) if day else date.today())
            if snapshot
            else None
        )
        rows = journey.report(db)
        return {
            "snapshot": written,
            "report": [
                {
                    "tier": r.tier,
                    "stage": r.stage,
                    "entered": r.entered,
                    "advanced": r.advanced,
                    "conversion": r.conversion,
                    "mean_days": r.mean_days,
                }
                for r in rows
            ],
        }

    data = _run(work)
    table = Table(title="account stages per tier (from daily snapshots)")
    for col in ("tier", "stage", "entered", "advanced", "conversion", "mean days"):
        table.add_column(col)
    for r in data["report"]:
        conv = "" if r["conversion"] is None else f"{r['conversion']:.0%}"
        days = "" if r["mean_days"] is None else f"{r['mean_days']:.1f}"
        table.add_row(r["tier"], r["stage"], str(r["entered"]), str(r["advanced"]), conv, days)
    _out(data, output_format, table)


@app.command()
def whitespace(
    account_id: Annotated[int | None, typer.Argument(help="One account (default: all).")] = None,
    rollup: Annotated[
        bool, typer.Option(help="Roll each account's subsidiaries up into it.")
    ] = False,
    output_format: Format = "text",
) -> None:
    """Products owned, in pipeline and not yet sold, per account (or rolled up the hierarchy)."""
    from tandem.accounts import space

    def work(db: Any) -> Any:
        found = space.whitespace(
            db, account_ids=[account_id] if account_id else None, rollup=rollup
        )
        return {str(a): w.as_dict() for a, w in found.items()}

    data = _run(work)
    table = Table(title="whitespace" + (" (rolled up)" if rollup else ""))
    for col in ("account", "owned", "pipeline", "not yet sold"):
        table.add_column(col)
    for a, w in data.items():
        table.add_row(a, ", ".join(w["owned"]), ", ".join(w["pipeline"]), ", ".join(w["open"]))
    _out(data, output_format, table)


@app.command()
def hierarchy(
    csv_file: Annotated[Path, typer.Argument(help="CSV with account and subsidiary_of names.")],
    output_format: Format = "text",
) -> None:
    """Import parent links (Maven CRM's accounts.csv); cycles and unknown names are refused."""
    from tandem.accounts import tree

    data = _run(lambda db: {"links": tree.import_csv(db, csv_file.read_text())})
    _out(data, output_format)


@app.command()
def intent(
    csv_file: Annotated[Path, typer.Argument(help="CSV: domain, topic, strength, observed_at.")],
    output_format: Format = "text",
) -> None:
    """Import intent signals (topics or pages researched per account domain)."""
    from tandem.accounts import signals

    data = _run(lambda db: {"signals": signals.import_csv(db, csv_file.read_text())})
    _out(data, output_format)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Definition YAML files.")],
    kind: Annotated[
        str, typer.Option(help="account_score, buying_committee, account_stages or target_accounts")
    ] = "account_score",
) -> None:
    """Check account definition files: each issue as file:line: level: message; 1 on errors."""
    from tandem.accounts.definitions import CLASSES
    from tandem.accounts.loading import parse

    if kind not in CLASSES:
        raise _fail(ValueError(f"unknown kind {kind!r}; one of {', '.join(CLASSES)}"))
    failed = False
    for path in files:
        cls, checks = CLASSES[kind]
        _, issues, _ = parse(cls, path.read_text(), str(path), *checks)
        for issue in issues:
            typer.echo(str(issue))
        failed = failed or any(i.level == "error" for i in issues)
    raise typer.Exit(1 if failed else 0)
