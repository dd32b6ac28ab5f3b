"""`validate-routing` and `validate-sla`: print every issue as file:line: level: message."""

from __future__ import annotations

from pathlib import Path

import typer

from tandem.definitions.base import Issue, has_errors
from tandem.handoff.loader import check_routing, check_sla

app = typer.Typer(
    help="Check handoff configuration: routing rules and SLA policies.", no_args_is_help=True
)


def _report(issues: list[Issue]) -> None:
    for issue in issues:
        typer.echo(str(issue))
    errors = sum(1 for i in issues if i.level == "error")
    warnings = len(issues) - errors
    typer.echo(f"{errors} error(s), {warnings} warning(s)" if issues else "OK: no issues", err=True)
    if has_errors(issues):
        raise typer.Exit(code=1)


@app.command("validate-routing")
def validate_routing_file(
    file: Path = typer.Argument(
        ..., help="Routing rules YAML (see examples/handoff/routing.yaml)."
    ),
) -> None:
    """Validate a routing rules file; exits 1 when it has errors."""
    _report(check_routing(file)[1])


@app.command("validate-sla")
def validate_sla_file(
    file: Path = typer.Argument(..., help="SLA policies YAML (see examples/handoff/sla.yaml)."),
) -> None:
    """Validate an SLA policies file; exits 1 when it has errors."""
    _report(check_sla(file)[1])
