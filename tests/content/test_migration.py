"""Revision 0024 keeps an asset's single persona as a one-item list, and goes back."""

import sqlalchemy as sa

from tandem.db import make_engine
from tandem.migrate import upgrade


def test_single_persona_becomes_a_list_and_back(fresh_database):
    engine = make_engine(fresh_database("content_migration"))
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO assets (title, type, journey_stage, persona, created_at) "
                    "VALUES ('A', 'ebook', 'decision', 'marketer', '2026-01-01 00:00:00'), "
                    "('B', 'ebook', 'awareness', NULL, '2026-01-02 00:00:00')"
                )
            )
        upgrade(engine, "0024_content_library")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(sa.column("title"), sa.column("personas", sa.JSON()), sa.column("status"))
                .select_from(sa.table("assets"))
                .order_by(sa.column("title"))
            ).all()
        assert [tuple(r) for r in rows] == [("A", ["marketer"], "live"), ("B", [], "live")]
        from alembic import command

        from tandem.migrate import alembic_config

        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0024_content_library@0001")
        with engine.connect() as conn:
            back = conn.execute(sa.text("SELECT persona FROM assets ORDER BY title")).all()
        assert [r[0] for r in back] == ["marketer", None]
    finally:
        engine.dispose()
