"""The migrations build exactly the schema the models declare, and go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from storage.database import (
    SchemaNotCurrent,
    check_schema_current,
    create_database_engine,
    current_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from storage.models import Base
from storage.search import include_schema_object


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_schema_object}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_schema_is_current_after_upgrade(engine: Engine, database_url: str) -> None:
    check_schema_current(engine)
    assert current_revision(engine) == head_revision(database_url)


def test_unmigrated_database_is_refused_with_a_clear_message(tmp_path: object) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(SchemaNotCurrent, match="run `newsdesk db upgrade`"):
        check_schema_current(engine)
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/cycle.db"
    upgrade_database(url)
    downgrade_database(url, "base")
    engine = create_database_engine(url)
    assert current_revision(engine) is None
    upgrade_database(url)
    check_schema_current(engine)
    engine.dispose()
