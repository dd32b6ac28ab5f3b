"""The validate commands print file:line: level: message and exit 1 on errors."""

from pathlib import Path

from typer.testing import CliRunner

from tandem.handoff.cli import app

EXAMPLES = Path(__file__).parents[2] / "examples" / "handoff"
runner = CliRunner()


def test_valid_examples_exit_zero():
    for command, name in (("validate-routing", "routing.yaml"), ("validate-sla", "sla.yaml")):
        result = runner.invoke(app, [command, str(EXAMPLES / name)])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""


def test_errors_are_printed_with_location_and_exit_one(tmp_path):
    path = tmp_path / "sla.yaml"
    path.write_text(
        "calendars:\n"
        "  us: {timezone: UTC, hours: {mon: ['09:00-17:00']}}\n"
        "policies:\n"
        "  - name: p\n"
        "    calendar: eu\n"
        "    tiers: [{name: all, accept_within_hours: 1, first_touch_within_hours: 2}]\n"
    )
    result = runner.invoke(app, ["validate-sla", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:5: error: policies[0].calendar: unknown calendar 'eu' (calendars: us)"
    ]
    assert "1 error(s), 0 warning(s)" in result.stderr


def test_warnings_alone_do_not_fail(tmp_path):
    path = tmp_path / "routing.yaml"
    path.write_text("teams:\n  idle: {reps: []}\nfallback: {queue: q}\n")
    result = runner.invoke(app, ["validate-routing", str(path)])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{path}:2: warning: teams.idle:")


def test_missing_file_fails():
    result = runner.invoke(app, ["validate-routing", "/nonexistent/routing.yaml"])
    assert result.exit_code == 1
    assert "/nonexistent/routing.yaml: error: cannot read file" in result.stdout
