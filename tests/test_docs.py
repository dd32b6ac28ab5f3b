"""Docs as tests: every setting and every CLI command is documented in the README."""

import typer.main

from tandem.cli.main import app
from tandem.settings import Settings


def _commands(group: typer.Typer, prefix: str = "tandem") -> list[str]:
    click_group = typer.main.get_group(group)
    names = []

    def walk(command, path):
        # list_commands/get_command, not .commands: `tandem`'s groups are loaded on first use.
        if hasattr(command, "list_commands"):
            ctx = typer.Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), f"{path} {name}")
        else:
            names.append(path)

    walk(click_group, prefix)
    return names


def test_every_setting_is_in_the_readme(repo_root):
    readme = (repo_root / "README.md").read_text()
    missing = [
        f"TANDEM_{name.upper()}"
        for name in Settings.model_fields
        if f"TANDEM_{name.upper()}" not in readme
    ]
    assert missing == []


def test_every_cli_command_is_in_the_readme(repo_root):
    readme = (repo_root / "README.md").read_text()
    assert [c for c in _commands(app) if f"`{c}" not in readme] == []
