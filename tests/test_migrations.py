"""Migrations build the schema from empty, match the models, and keep the log append-only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db
from tests.factories import VillageFactory


def test_upgrade_from_empty_reaches_head(database_url, db_backend, tmp_path):
    """A brand-new database: downgrade to nothing, then `flask db upgrade` again."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        db.engine.dispose()


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from migrations: {diff}"


def test_the_action_log_refuses_update_and_delete(app):
    from portal.audit.models import ActionLog

    village = VillageFactory()
    db.session.add(
        ActionLog(role="committee", village_id=village.id, action="test", object_type="village")
    )
    db.session.commit()
    for statement in ("UPDATE action_log SET action = 'forged'", "DELETE FROM action_log"):
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert db.session.scalar(sa.select(ActionLog.action)) == "test"
