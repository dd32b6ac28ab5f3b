"""The `tandem` command through Typer's runner and, for startup errors, a real subprocess."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tandem.cli.main import app
from tandem.migrate import head_revisions

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    return url


def invoke(*args, input=None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_init_creates_schema_at_head(env):
    result = invoke("init")
    assert result.exit_code == 0, result.output
    with create_engine(env).connect() as conn:
        versions = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    assert versions == head_revisions() and "0001" not in versions - head_revisions()


def test_users_create_list_set_role_and_token(env):
    invoke("init")
    result = invoke(
        "users",
        "create",
        "Ana@Example.com",
        "--name",
        "Ana",
        "--role",
        "marketer",
        "--password",
        "s3cret-pass",
        "--team",
        "Demand Gen",
    )
    assert result.exit_code == 0 and "ana@example.com (marketer)" in result.output
    listing = invoke("users", "list").output
    assert "ana@example.com" in listing and "Demand Gen" in listing
    assert "now admin" in invoke("users", "set-role", "ana@example.com", "admin").output
    token = invoke("users", "token", "ana@example.com").output.strip()
    assert token.startswith("tdm_")


def test_users_create_rejects_bad_input_by_field(env):
    invoke("init")
    result = runner.invoke(
        app,
        [
            "users",
            "create",
            "not-an-email",
            "--name",
            "X",
            "--role",
            "marketer",
            "--password",
            "s3cret-pass",
        ],
    )
    assert result.exit_code == 1 and "email:" in result.output
    result = runner.invoke(
        app,
        [
            "users",
            "create",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "pope",
            "--password",
            "s3cret-pass",
        ],
    )
    assert result.exit_code == 2 and "pope" in result.output


def test_duplicate_user_is_one_line_error(env):
    invoke("init")
    args = [
        "users",
        "create",
        "a@example.com",
        "--name",
        "A",
        "--role",
        "admin",
        "--password",
        "s3cret-pass",
    ]
    invoke(*args)
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "already exists" in result.output


@pytest.mark.parametrize(
    "url,expected",
    [
        ("nonsense", "is not a database URL"),
        ("mysql://u@h/db", "Tandem supports sqlite and postgresql"),
        ("postgresql+psycopg://u@127.0.0.1:1/db", "cannot connect to TANDEM_DATABASE_URL"),
    ],
)
def test_bad_database_url_is_one_line_without_traceback(url, expected):
    env = {**os.environ, "TANDEM_DATABASE_URL": url}
    proc = subprocess.run(
        [sys.executable, "-m", "tandem", "init"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_demo_generate_refuses_a_database_with_contacts(env):
    result = invoke("demo", "generate", "--contacts", "200", "--seed", "3")
    assert result.exit_code == 0, result.output
    with create_engine(env).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contacts")).scalar() == 200
        assert conn.execute(text("SELECT count(*) FROM users WHERE role='sales_rep'")).scalar() == 3
    again = runner.invoke(app, ["demo", "generate", "--contacts", "200"])
    assert again.exit_code == 1 and "already holds contacts" in again.output


@pytest.mark.parametrize("command", [["metrics", "show", "revenue_won"], ["definitions", "list"]])
def test_a_command_on_a_database_never_initialised_names_tandem_init(env, tmp_path, command):
    result = runner.invoke(app, command)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no database at" in result.output and "run `tandem init`" in result.output
    assert not (tmp_path / "cli.db").exists()  # and no empty file left behind


def test_a_command_on_an_empty_or_older_database_names_tandem_init(env):
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    create_engine(env).connect().close()  # an empty SQLite file: no schema
    result = runner.invoke(app, ["definitions", "list"])
    assert (
        result.exit_code == 1 and "holds no Tandem schema: run `tandem init` first" in result.output
    )
    engine = make_engine(env)
    upgrade(engine, "0002_ingest")  # one branch applied, the others not
    engine.dispose()
    result = runner.invoke(app, ["definitions", "list"])
    assert result.exit_code == 1 and "older than this version of Tandem" in result.output
    assert (
        "0020_definitions" in result.output and "run `tandem init` to migrate it" in result.output
    )
    assert invoke("init").exit_code == 0
    assert invoke("definitions", "list").exit_code == 0
