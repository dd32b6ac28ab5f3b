"""`tandem users ...`: create, list, change roles, issue and revoke API tokens."""

import typer
from pydantic import ValidationError
from rich.table import Table

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.auth.schemas import UserCreate
from tandem.cli.context import console, db_session, fail

app = typer.Typer(help="Manage users, roles and API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    email: str,
    name: str = typer.Option(..., help="Full name."),
    role: Role = typer.Option(..., help="admin, marketer, sales_rep, sales_manager or executive."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    team: str | None = typer.Option(None, help="Team name (created if new)."),
) -> None:
    """Create a user."""
    try:
        user_in = UserCreate(email=email, name=name, role=role, password=password, team=team)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise fail(f"{err['loc'][0]}: {err['msg']}") from None
    with db_session() as db:
        try:
            user = auth.create_user(db_session=db, user_in=user_in)
        except auth.UserExists as exc:
            raise fail(str(exc)) from None
        console.print(f"created user {user.id} {user.email} ({user.role})")


@app.command("list")
def list_users() -> None:
    """List users with their roles and teams."""
    from sqlalchemy import select

    with db_session() as db:
        table = Table("id", "email", "name", "role", "team", "active")
        for user in db.scalars(select(User).order_by(User.id)):
            table.add_row(
                str(user.id),
                user.email,
                user.name,
                user.role,
                user.team.name if user.team else "",
                "yes" if user.is_active else "no",
            )
        console.print(table)


@app.command("set-role")
def set_role(email: str, role: Role) -> None:
    """Change a user's role (recorded in the audit log)."""
    with db_session() as db:
        try:
            user = auth.set_role(db_session=db, email=email, role=role)
        except auth.UserNotFound as exc:
            raise fail(str(exc)) from None
        console.print(f"{user.email} is now {user.role}")


@app.command("deactivate")
def deactivate(
    email: str, undo: bool = typer.Option(False, "--undo", help="Reactivate instead.")
) -> None:
    """Stop a user signing in or using their tokens (users are never deleted: the audit log
    keeps naming them). Recorded in the audit log."""
    with db_session() as db:
        try:
            user = auth.set_active(db_session=db, email=email, active=undo)
        except auth.UserNotFound as exc:
            raise fail(str(exc)) from None
        console.print(f"{user.email} is {'active' if user.is_active else 'deactivated'}")


@app.command("token")
def token(email: str, name: str = typer.Option("cli", help="A label for the token.")) -> None:
    """Issue an API token for a user; it is shown once."""
    with db_session() as db:
        user = auth.get_by_email(db_session=db, email=email)
        if user is None:
            raise fail(f"no user with email {email}")
        _, plain = auth.create_api_token(db_session=db, user=user, name=name)
        console.print(plain, highlight=False)


@app.command("revoke-token")
def revoke_token(token_or_prefix: str) -> None:
    """Revoke an API token, given whole or by its first 10 characters; refused from the next
    request on (recorded in the audit log)."""
    from sqlalchemy import select

    from tandem.auth.models import ApiToken
    from tandem.auth.tokens import digest
    from tandem.db import utcnow

    with db_session() as db:
        query = select(ApiToken).where(
            ApiToken.prefix == token_or_prefix[:10], ApiToken.revoked_at.is_(None)
        )
        if len(token_or_prefix) > 10:
            query = query.where(ApiToken.token_hash == digest(token_or_prefix))
        found = db.scalars(query).all()
        if len(found) != 1:
            what = "no live token matches" if not found else "several live tokens match"
            raise fail(f"{what} {token_or_prefix[:10]}...: give the whole token")
        auth.revoke_api_token(db_session=db, token_id=found[0].id, now=utcnow())
        console.print(
            f"revoked token {found[0].prefix}... ({found[0].name}) of {found[0].user.email}"
        )
