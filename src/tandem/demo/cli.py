"""`tandem demo ...`: generate the demo data set and the demo users."""

from datetime import datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select, update

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.auth.schemas import UserCreate
from tandem.cli.context import console, db_session, engine, fail
from tandem.contacts.models import Contact
from tandem.content.demo import seed_demo_shares
from tandem.content.models import Asset
from tandem.db import make_session_factory, utcnow
from tandem.demo.load import load_demo
from tandem.demo.spec import DemoSpec
from tandem.migrate import upgrade

app = typer.Typer(help="Demo data: a realistic B2B funnel to try Tandem on.", no_args_is_help=True)

DEMO_PASSWORD = "tandem-demo"
#: (email, name, role, team)
DEMO_USERS = (
    ("admin@tandem.demo", "Riley Admin", Role.ADMIN, None),
    ("marketer@tandem.demo", "Morgan Marketer", Role.MARKETER, "Demand Generation"),
    ("manager@tandem.demo", "Sam Manager", Role.SALES_MANAGER, "Sales North America"),
    ("rep1@tandem.demo", "Alex Rep", Role.SALES_REP, "Sales North America"),
    ("rep2@tandem.demo", "Jordan Rep", Role.SALES_REP, "Sales North America"),
    ("rep3@tandem.demo", "Casey Rep", Role.SALES_REP, "Sales EMEA"),
    ("cro@tandem.demo", "Pat Executive", Role.EXECUTIVE, None),
)


def ensure_demo_users() -> list[int]:
    """Create the demo users that are missing; returns the sales reps' ids."""
    with db_session() as db:
        for email, name, role, team in DEMO_USERS:
            if auth.get_by_email(db_session=db, email=email) is None:
                auth.create_user(
                    db_session=db,
                    user_in=UserCreate(
                        email=email, name=name, role=role, password=DEMO_PASSWORD, team=team
                    ),
                )
        reps = db.scalars(
            select(User.id).where(User.role == Role.SALES_REP.value).order_by(User.id)
        )
        return list(reps)


def print_logins() -> None:
    """Show the demo logins."""
    table = Table("email", "password", "role", title="Demo logins")
    for email, _, role, _ in DEMO_USERS:
        table.add_row(email, DEMO_PASSWORD, role.value)
    console.print(table)


@app.command("generate")
def generate(
    contacts: int = typer.Option(5_000, min=1, help="How many contacts to generate."),
    seed: int = typer.Option(42, help="Random seed: the same seed gives the same data."),
    activities: float = typer.Option(20.0, min=1, help="Average activities per contact."),
    as_of: datetime | None = typer.Option(None, help="Demo clock (UTC); default now."),
) -> None:
    """Generate demo accounts, contacts, campaigns, content, activities and deals."""
    eng = engine(schema=False)
    upgrade(eng)
    with db_session(eng) as db:
        if db.scalar(select(func.count()).select_from(Contact)):
            raise fail(
                "the database already holds contacts; "
                "use an empty database (or `tandem demo setup --reset`)"
            )
    reps = ensure_demo_users()
    clock = (as_of.replace(tzinfo=as_of.tzinfo or utcnow().tzinfo)) if as_of else utcnow()
    spec = DemoSpec(
        contacts=contacts,
        seed=seed,
        as_of=clock,
        activities_per_contact=activities,
        rep_ids=tuple(reps),
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("contacts", total=contacts)
        report = load_demo(
            eng, spec, on_progress=lambda done, _: progress.update(task, completed=done)
        )
    with db_session(eng) as db:  # the content library is marketing's (tandem.content)
        marketer = auth.get_by_email(db_session=db, email="marketer@tandem.demo")
        if marketer is not None:
            db.execute(update(Asset).where(Asset.owner_id.is_(None)).values(owner_id=marketer.id))
        seed_demo_shares(db, as_of=clock, seed=seed)
    table = Table("table", "rows", title=f"Demo data (seed {seed})")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


@app.command("setup")
def setup(
    contacts: int = typer.Option(5_000, min=1, help="How many contacts to generate."),
    seed: int = typer.Option(42, help="Random seed."),
    reset: bool = typer.Option(False, help="Delete an existing SQLite demo database first."),
    scoring: bool = typer.Option(
        True, help="Put a scoring model in force (proposed, approved, rescored) if none is."
    ),
    predictive: bool = typer.Option(True, help="Also train the predictive score."),
    attribution: bool = typer.Option(
        True, help="Credit the won deals under every attribution model if no run is stored."
    ),
) -> None:
    """Everything `make demo` needs: database, demo data, demo users and their logins, approved
    routing rules and SLA policies with every MQL routed, an active scoring model with a pending
    proposal, and a stored attribution run."""
    from tandem.cli.context import settings

    current = settings()
    eng = engine(current, schema=False)
    if reset and eng.dialect.name == "sqlite" and eng.url.database:
        from pathlib import Path

        eng.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(eng.url.database + suffix).unlink(missing_ok=True)
    with db_session(engine(current, schema=False)) as db:
        upgrade(db.get_bind())  # type: ignore[arg-type]
        has_data = db.scalar(select(func.count()).select_from(Contact))
    if not has_data:
        generate(contacts=contacts, seed=seed, activities=20.0, as_of=None)
    else:
        console.print(f"database already holds {has_data:,} contacts; keeping them")
        ensure_demo_users()
    setup_handoff()  # before scoring: the MQLs its rescore makes are routed as they happen
    if scoring:
        setup_scoring(predictive)
    if attribution:
        setup_attribution()
    setup_goals()
    from tandem.alignment.demo import setup_alignment  # two closed survey waves

    setup_alignment()
    from tandem.usage.cli import setup_demo as setup_customers  # health model, usage, signals

    setup_customers()
    from tandem.accounts.demo import run as setup_accounts

    setup_accounts()
    print_logins()


def setup_handoff() -> None:
    """The demo's routing and SLA as approved definitions, then one SLA tick, which hands the
    MQLs the generated world holds to the reps (their queues), unless routing exists."""
    from tandem.cli.context import settings
    from tandem.demo.handoff import setup_handoff as put_in_force
    from tandem.handoff.scheduler import tick_once

    ensure_demo_users()
    with db_session() as db:
        done = put_in_force(db, now=utcnow())
    if not done.versions:
        console.print("routing or SLA definitions exist already; keeping them")
        return
    with console.status("handoff: routing the MQLs to the reps"):
        report = tick_once(settings=settings(), session_factory=make_session_factory(engine()))
    console.print(
        f"handoff: {', '.join(done.versions)} proposed by the sales manager and approved by the "
        f"admin; {report.routed:,} MQLs routed to the reps' queues",
        highlight=False,
    )


def setup_goals() -> None:
    """Team goals and rep quotas near the demo's run rate, unless goals exist."""
    from tandem.demo.goals import setup_goals as set_demo_goals
    from tandem.goals.models import Goal

    reps = ensure_demo_users()
    with db_session() as db:
        if db.scalar(select(func.count()).select_from(Goal)):
            console.print("goals exist already; keeping them")
            return
        manager = auth.get_by_email(db_session=db, email="manager@tandem.demo")
        count = set_demo_goals(db, now=utcnow(), rep_ids=reps, by_user_id=manager.id)
    console.print(f"goals: {count} team goals and rep quotas over four quarters")


def setup_attribution() -> None:
    """A full attribution run with the default models, unless one is stored: the revenue
    dashboard, /attribution and the weekly review read stored credits."""
    from tandem.attribution import default_config
    from tandem.attribution.store import latest_run, run_full

    with db_session() as db:
        if latest_run(db) is not None:
            console.print("attribution runs exist already; keeping them")
            return
        with console.status("attribution: crediting won deals under every model"):
            done = run_full(db_session=db, config=default_config(), now=utcnow())
    console.print(
        f"attribution: {done.opportunities:,} won deals credited under {len(done.models)} models",
        highlight=False,
    )


def setup_scoring(predictive: bool) -> None:
    """The demo's scoring (see `tandem.demo.scoring`), unless a model version exists."""
    from tandem.demo.scoring import SALES_MANAGER
    from tandem.demo.scoring import setup_scoring as put_in_force
    from tandem.scoring.models import ScoringModelVersion

    with db_session() as db:
        if db.scalar(select(func.count()).select_from(ScoringModelVersion)):
            console.print("scoring models exist already; keeping them")
            return
        with console.status("scoring: proposing, approving and rescoring every contact"):
            done = put_in_force(db, now=utcnow(), train=predictive)
    console.print(
        f"scoring: {done.active} active, proposed by the marketer and approved by the sales "
        "manager\n"
        f"  {done.contacts:,} contacts scored, {done.mqls:,} meet the MQL rule "
        f"({done.promoted:,} moved to mql)\n"
        f"  {done.pending} pending approval: sign in as {SALES_MANAGER} and open "
        f"/scoring/versions/{done.pending_id}\n"
        f"  predictive: {done.predictive_note}",
        highlight=False,
    )
