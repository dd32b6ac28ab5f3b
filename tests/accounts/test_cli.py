"""`tandem accounts ...` on a generated demo world, each command's JSON checked in the store."""

import json
from decimal import Decimal

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tandem.cli.main import app
from tests.cli.test_cli import env  # noqa: F401 - the fixture

runner = CliRunner()


def run(*args, code=0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_the_accounts_commands_on_a_demo_world(env, tmp_path):  # noqa: F811
    run("demo", "generate", "--contacts", "300", "--seed", "5")
    engine = create_engine(env)
    with engine.connect() as conn:
        accounts = conn.execute(text("SELECT count(*) FROM accounts")).scalar()
        first = conn.execute(text("SELECT min(account_id) FROM contacts")).scalar()
    scored = json.loads(run("accounts", "score", "--rescore", "--format", "json"))
    assert scored["summary"]["accounts"] == accounts
    top = scored["accounts"][0]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT max(total) FROM account_scores")).scalar()
    assert float(top["score"]) == float(stored)
    one = json.loads(run("accounts", "score", str(top["id"]), "--format", "json"))["score"]
    assert sum(Decimal(p["points"]) for p in one["parts"]) == Decimal(one["total"])
    committee = json.loads(run("accounts", "committee", str(first), "--sync", "--format", "json"))
    with engine.connect() as conn:
        members = conn.execute(
            text("SELECT count(*) FROM contacts WHERE account_id=:a"), {"a": first}
        ).scalar()
        segment = conn.execute(
            text("SELECT segment FROM opportunities WHERE account_id=:a ORDER BY created_at DESC"),
            {"a": first},
        ).scalar()
    assert len(committee["members"]) == members
    # The latest deal's segment chooses the role template (smb, enterprise; else the fallback).
    assert committee["template"] == (segment if segment in ("smb", "enterprise") else "default")
    target = json.loads(run("accounts", "target", "--apply", "--format", "json"))
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM accounts WHERE is_target")).scalar()
            == target["members"]
        )
    stages = json.loads(
        run("accounts", "stages", "--snapshot", "--day", "2026-06-01", "--format", "json")
    )
    assert stages["snapshot"]["accounts"] == accounts == sum(stages["snapshot"]["stages"].values())
    space = json.loads(run("accounts", "whitespace", "--format", "json"))
    with engine.connect() as conn:
        customers = conn.execute(
            text(
                "SELECT count(DISTINCT account_id) FROM opportunities WHERE account_id IS NOT NULL"
                " AND product_line IS NOT NULL AND (is_won OR NOT is_closed)"
            )
        ).scalar()
    assert len(space) == customers
    replay = json.loads(run("accounts", "backtest", "--months", "3", "--format", "json"))
    assert len(replay["dates"]) == 3 and replay["model"] == "account_score@default"
    assert all(
        d["accounts"] == accounts and d["mqa_with_deal"] <= d["mqa"] for d in replay["dates"]
    )
    bad = tmp_path / "list.yaml"
    bad.write_text(
        "rules:\n  - id: x\n    tier: 4\n    where:\n      - {field: account.foo, op: exists}\n"
    )
    out = run("accounts", "validate", str(bad), "--kind", "target_accounts", code=1)
    assert f"{bad}:3: error: rules[0].tier:" in out
    cycle = tmp_path / "tree.csv"
    with engine.connect() as conn:
        a, b = [r[0] for r in conn.execute(text("SELECT name FROM accounts ORDER BY id LIMIT 2"))]
    cycle.write_text(f"account,subsidiary_of\n{a},{b}\n{b},{a}\n")
    assert "parent-child cycle" in run("accounts", "hierarchy", str(cycle), code=1)
