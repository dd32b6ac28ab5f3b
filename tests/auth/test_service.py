"""Users, passwords, sessions and API tokens against a real database."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.auth import service as auth
from tandem.auth.models import ApiToken, UserSession
from tandem.auth.roles import Role
from tandem.auth.tokens import digest
from tests import factories as f
from tests.factories import PASSWORD, T0


def test_password_is_stored_as_argon2_hash(db):
    user = f.user(db)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_authenticate_accepts_right_password_and_is_case_insensitive_on_email(db):
    user = f.user(db, email="Mixed.Case@Example.com")
    assert (
        auth.authenticate(db_session=db, email="mixed.case@example.COM", password=PASSWORD, now=T0)
        is user
    )
    assert user.last_login_at == T0


@pytest.mark.parametrize(
    "email,password", [("nobody@example.com", PASSWORD), (None, "wrong password")]
)
def test_wrong_login_gives_the_same_message_whichever_part_is_wrong(db, email, password):
    user = f.user(db)
    with pytest.raises(auth.AuthError) as exc:
        auth.authenticate(db_session=db, email=email or user.email, password=password, now=T0)
    assert str(exc.value) == "Email or password is incorrect."


def test_inactive_user_cannot_sign_in(db):
    user = f.user(db)
    user.is_active = False
    with pytest.raises(auth.AuthError):
        auth.authenticate(db_session=db, email=user.email, password=PASSWORD, now=T0)


def test_duplicate_email_is_refused(db):
    f.user(db, email="dup@example.com")
    with pytest.raises(auth.UserExists):
        f.user(db, email="DUP@example.com")


def test_session_secret_is_hashed_at_rest_and_expires(db):
    user = f.user(db)
    secret = auth.start_session(db_session=db, user=user, now=T0, hours=2)
    db.flush()
    row = db.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.token_hash == digest(secret) and secret not in row.token_hash
    assert auth.user_for_session(db_session=db, secret=secret, now=T0 + timedelta(hours=1)) is user
    assert auth.user_for_session(db_session=db, secret=secret, now=T0 + timedelta(hours=2)) is None
    assert auth.user_for_session(db_session=db, secret="forged", now=T0) is None


def test_logout_ends_the_session(db):
    user = f.user(db)
    secret = auth.start_session(db_session=db, user=user, now=T0, hours=2)
    db.flush()
    auth.end_session(db_session=db, secret=secret)
    db.flush()
    assert auth.user_for_session(db_session=db, secret=secret, now=T0) is None


def test_api_token_hashed_at_rest_and_revocable(db):
    user = f.user(db)
    token, plain = auth.create_api_token(db_session=db, user=user, name="etl")
    db.flush()
    stored = db.get(ApiToken, token.id)
    assert plain.startswith("tdm_") and stored.token_hash == digest(plain)
    assert plain not in {stored.token_hash, stored.prefix}
    assert auth.user_for_api_token(db_session=db, plain=plain, now=T0) is user
    auth.revoke_api_token(db_session=db, token_id=token.id, now=T0)
    assert auth.user_for_api_token(db_session=db, plain=plain, now=T0) is None


def test_role_change_is_audited_with_before_and_after(db):
    user = f.user(db, role=Role.MARKETER)
    auth.set_role(db_session=db, email=user.email, role=Role.ADMIN)
    db.flush()
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "user.set_role", AuditEvent.entity_id == str(user.id)
        )
    ).one()
    assert event.before == {"role": "marketer"} and event.after == {"role": "admin"}


def test_sales_manager_becomes_manager_of_their_new_team(db):
    manager = f.user(db, role=Role.SALES_MANAGER, team="Sales West")
    assert manager.team.kind == "sales" and manager.team.manager_id == manager.id
