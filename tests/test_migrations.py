"""The migrations build exactly the schema the models declare, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tandem.migrate import current_revisions, head_revisions
from tandem.tables import metadata


def test_database_is_at_head(engine):
    assert current_revisions(engine) == head_revisions()


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_indexes_for_later_capabilities_exist(engine):
    from sqlalchemy import inspect

    names = {ix["name"] for ix in inspect(engine).get_indexes("activities")}
    assert {
        "ix_activities_contact_time",
        "ix_activities_campaign",
        "ix_activities_type_time",
        "uq_activities_idempotency_key",
    } <= names


def test_record_sources_add_their_column_in_place_with_its_foreign_key(fresh_database):
    """0023 adds `source_id` to the big tables without copying them (a copy of 20M activities
    takes minutes on SQLite), and the key still reads back named, with ON DELETE SET NULL."""
    from sqlalchemy import inspect

    from tandem.db import make_engine
    from tandem.migrate import upgrade

    engine = make_engine(fresh_database("before_sources"))
    for parent in ("0022_unknown_values", "0002_ingest", "0011_opportunity_custom_fields"):
        upgrade(engine, parent)
    sqlite = engine.dialect.name == "sqlite"
    pages = "SELECT name, rootpage FROM sqlite_master WHERE type = 'table'"
    with engine.connect() as conn:
        before = dict(conn.exec_driver_sql(pages).all()) if sqlite else {}
    upgrade(engine, "0023_record_sources")
    with engine.connect() as conn:
        for table in ("accounts", "contacts", "opportunities", "activities"):
            keys = [
                k
                for k in inspect(conn).get_foreign_keys(table)
                if k["constrained_columns"] == ["source_id"]
            ]
            assert [
                (k["name"], k["referred_table"], k["options"].get("ondelete")) for k in keys
            ] == [(f"fk_{table}_source_id_record_sources", "record_sources", "SET NULL")]
            if sqlite:
                assert dict(conn.exec_driver_sql(pages).all())[table] == before[table]
        if sqlite:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
