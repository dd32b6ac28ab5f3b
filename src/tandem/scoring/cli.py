"""`tandem scoring ...`: validate a model file, print its JSON Schema, score a contact; the
database commands (versions, approval, rescore, backtest) live in `cli_store`, training in
`cli_train`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from tandem.definitions.base import has_errors
from tandem.scoring import cli_store, cli_train
from tandem.scoring.engine import score_contact
from tandem.scoring.facts import ActivityFact, ContactFacts, ScoreResult
from tandem.scoring.loader import ModelInvalid, check_file, load_model
from tandem.scoring.model import json_schema

app = typer.Typer(
    help="Scoring as code: validate and try model files, propose and approve versions, "
    "rescore, backtest, and train the predictive score."
)
for _command in (*cli_store.COMMANDS, cli_train.train):
    app.command()(_command)

_COLOURS = {"error": "red", "warning": "yellow"}
ModelArg = Annotated[Path, typer.Argument(help="Scoring model YAML file.", dir_okay=False)]


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scoring model YAML files.")],
) -> None:
    """Check model files; print every issue as file:line: level: message; exit 1 on errors."""
    failed = False
    for path in files:
        _, issues = check_file(path)
        for issue in issues:
            where = f"{issue.file}:{issue.line}" if issue.line is not None else issue.file
            level = typer.style(issue.level, fg=_COLOURS[issue.level], bold=True)
            typer.echo(f"{where}: {level}: {issue.message}")
        errors = sum(i.level == "error" for i in issues)
        warnings = len(issues) - errors
        typer.echo(f"{path}: {errors} error(s), {warnings} warning(s)", err=True)
        failed = failed or has_errors(issues)
    raise typer.Exit(1 if failed else 0)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scoring model files (for editors and CI)."""
    typer.echo(json.dumps(json_schema(), indent=2))


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _load_facts(path: Path) -> tuple[ContactFacts, list[ActivityFact], datetime | None]:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    contact_id = raw.get("contact_id", 1)
    facts = ContactFacts(contact_id, raw.get("fields", {}))
    activities = [
        ActivityFact(
            **{**a, "contact_id": contact_id, "occurred_at": _parse_time(a["occurred_at"])}
        )
        for a in raw.get("activities", [])
    ]
    as_of = raw.get("as_of")
    return facts, activities, _parse_time(as_of) if as_of else None


def _score(model_path: Path, facts_path: Path, as_of: str | None) -> ScoreResult:
    try:
        model = load_model(model_path)
    except ModelInvalid as exc:
        for issue in exc.issues:
            typer.echo(issue.format(), err=True)
        raise typer.Exit(1) from None
    facts, activities, file_as_of = _load_facts(facts_path)
    moment = _parse_time(as_of) if as_of else file_as_of
    if moment is None:
        typer.echo("give --as-of or an as_of in the facts file", err=True)
        raise typer.Exit(2)
    return score_contact(model, facts, activities, as_of=moment)


FactsArg = Annotated[
    Path,
    typer.Argument(
        help="JSON: {contact_id, fields: {contact.*/account.*}, activities: [...], as_of}",
        exists=True,
        dir_okay=False,
    ),
]
AsOfOpt = Annotated[str | None, typer.Option(help="ISO time to score as of (UTC if naive).")]


@app.command()
def score(model: ModelArg, facts: FactsArg, as_of: AsOfOpt = None) -> None:
    """Score one contact from a JSON facts file and print the result as JSON."""
    typer.echo(json.dumps(_score(model, facts, as_of).as_dict(), indent=2))


@app.command()
def explain(model: ModelArg, facts: FactsArg, as_of: AsOfOpt = None) -> None:
    """Score one contact and show which rules gave which points."""
    from rich.console import Console
    from rich.table import Table

    result = _score(model, facts, as_of)
    table = Table(title=f"contact {result.contact_id} as of {result.as_of.isoformat()}")
    for column in ("rule", "kind", "occurrences", "points"):
        table.add_column(column, justify="right" if column != "rule" else "left")
    for part in result.parts:
        points = f"{part.points}{' (capped)' if part.capped else ''}"
        table.add_row(part.rule_id, part.kind, str(part.occurrences), points)
    table.add_section()
    table.add_row("fit", "", "", str(result.fit))
    table.add_row("engagement", "", "", str(result.engagement))
    table.add_row("total", "", "", str(result.total))
    console = Console(highlight=False)
    console.print(table)
    console.print(f"grade {result.grade}, {'MQL' if result.is_mql else 'not MQL'}", markup=False)


if __name__ == "__main__":
    app()
