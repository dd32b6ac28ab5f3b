"""Alembic environment: runs on the connection `tandem.migrate` hands in."""

from alembic import context

from tandem.tables import metadata

config = context.config


def run_migrations_online() -> None:
    """Run migrations on the connection passed through `config.attributes`."""
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Tandem migrations run online only: use `tandem db upgrade`")
run_migrations_online()
