"""`python -m tandem` runs the CLI."""

from tandem.cli.main import app

app()
