"""Schema migrations through Alembic, driven from code (no alembic.ini to find)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to `revision` (default: every capability's newest).

    Each capability's migrations form their own branch off the initial schema, so there may be
    several heads; "heads" applies them all.
    """
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (one per migration branch); empty for a new database."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> set[str]:
    """The newest revision of every migration branch shipped with this version of Tandem."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def missing_revisions(engine: Engine) -> set[str]:
    """Revisions this version ships that the database has not applied (empty: up to date)."""
    script = ScriptDirectory.from_config(alembic_config())
    applied = current_revisions(engine)
    reached = (
        {rev.revision for rev in script.iterate_revisions(applied, "base")} if applied else set()
    )
    return {rev.revision for rev in script.walk_revisions()} - reached
