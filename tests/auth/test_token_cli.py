"""`tandem users revoke-token`: a revoked token is refused by the API at once, and audited."""

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.audit.models import AuditEvent
from tandem.auth import service as auth
from tandem.cli.main import app
from tandem.db import utcnow

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_revoke_token_by_prefix_then_by_whole_token(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    invoke("init")
    invoke("users", "create", "ops@example.com", "--name", "Ops", "--role", "admin",
           "--password", "long-enough-pass")  # fmt: skip
    first = invoke("users", "token", "ops@example.com").output.strip()
    second = invoke("users", "token", "ops@example.com").output.strip()
    engine = create_engine(url)

    def live(token):
        with Session(engine) as db:
            return auth.user_for_api_token(db_session=db, plain=token, now=utcnow()) is not None

    assert live(first) and live(second)
    revoked = invoke("users", "revoke-token", first[:10])
    assert revoked.exit_code == 0 and "revoked token" in revoked.output
    assert not live(first) and live(second)
    assert invoke("users", "revoke-token", first[:10]).exit_code != 0  # nothing live matches
    assert invoke("users", "revoke-token", second).exit_code == 0
    assert not live(second)
    with Session(engine) as db:
        actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("api_token.revoke") == 2


def test_deactivate_ends_sessions_and_tokens_and_is_audited(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    invoke("init")
    invoke("users", "create", "rep@example.com", "--name", "Rep", "--role", "sales_rep",
           "--password", "long-enough-pass")  # fmt: skip
    token = invoke("users", "token", "rep@example.com").output.strip()
    engine = create_engine(url)
    with Session(engine) as db:
        user = auth.get_by_email(db_session=db, email="rep@example.com")
        secret = auth.start_session(db_session=db, user=user, now=utcnow(), hours=1)
        db.commit()
    assert invoke("users", "deactivate", "rep@example.com").exit_code == 0
    with Session(engine) as db:
        assert auth.user_for_session(db_session=db, secret=secret, now=utcnow()) is None
        assert auth.user_for_api_token(db_session=db, plain=token, now=utcnow()) is None
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
        assert (event.before, event.after) == ({"is_active": True}, {"is_active": False})
    assert invoke("users", "deactivate", "rep@example.com", "--undo").exit_code == 0
    with Session(engine) as db:
        assert auth.user_for_api_token(db_session=db, plain=token, now=utcnow()) is not None
    assert invoke("users", "deactivate", "nobody@example.com").exit_code != 0
