"""The Alembic migrations build exactly the schema the models describe."""
import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from volunteer_app.extensions import db


def test_models_and_migrations_agree(app_ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_downgrade_and_upgrade_round_trip(app_ctx, database_url, tmp_path):
    """From empty to head and back on a scratch database of the same kind."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import create_engine, inspect, text

    from volunteer_app import create_app

    if database_url.startswith("postgresql"):
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS jmk_migration_round_trip"))
            connection.execute(text("CREATE DATABASE jmk_migration_round_trip"))
        admin.dispose()
        scratch = database_url.rsplit("/", 1)[0] + "/jmk_migration_round_trip"
    else:
        scratch = f"sqlite:///{tmp_path / 'scratch.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch})
    with app.app_context():
        upgrade()
        assert "volunteers" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_declines_stored_as_bans_become_declines(app_ctx, tmp_path):
    """Data migration d7f3b2a91c08: a ban whose reason says "declined: …" becomes the volunteer's decline."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from volunteer_app import create_app

    url = f"sqlite:///{tmp_path / 'declines.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="c4e1a7f20b59")
        plain = create_engine(url)  # without the app's foreign-key pragma: only the rules matter here
        with plain.begin() as connection:
            for rule_id, reason in ((1, "declined: 家里有事"), (2, "moved by coordinator")):
                connection.execute(text(
                    "INSERT INTO pair_rules (id, week_id, demand_id, volunteer_id, kind, reason, created_at, updated_at) "
                    "VALUES (:id, 1, 1, :id, 'forbidden', :reason, '2026-12-01', '2026-12-01')"),
                    {"id": rule_id, "reason": reason})
        plain.dispose()
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, kind, reason FROM pair_rules ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "declined", "家里有事"), (2, "forbidden", "moved by coordinator")]


def test_app_written_texts_become_words(app_ctx, tmp_path):
    """Data migration b8e2d5c71f46: "永安社区 积分发行 issuance" becomes "永安社区" (pages say which account it
    is, in the reader's language) and a person's account keeps its name; a version's note that was the code
    "repair" becomes words, a coordinator's stays as typed."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from volunteer_app import create_app

    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="2f0ad4881147")
        plain = create_engine(url)
        with plain.begin() as connection:
            connection.execute(text("INSERT INTO communities (id, code, name, subdistrict_id, version, created_at, "
                                    "updated_at) VALUES (1, 'yongan', '永安社区', 1, 1, '2026-12-01', '2026-12-01')"))
            for account_id, kind, name in ((1, "issuance", "永安社区 积分发行 issuance"),
                                           (2, "community_pool", "永安社区 积分池 pool"), (3, "volunteer", "王芳")):
                connection.execute(text(
                    "INSERT INTO point_accounts (id, kind, owner_key, community_id, name, balance, created_at, updated_at) "
                    "VALUES (:id, :kind, :key, 1, :name, 0, '2026-12-01', '2026-12-01')"),
                    {"id": account_id, "kind": kind, "key": f"{kind}:{account_id}", "name": name})
            for number, note in ((1, "repair"), (2, "节前调整")):
                connection.execute(text(
                    "INSERT INTO roster_versions (id, week_id, number, published_at, note, assignments, added, removed) "
                    "VALUES (:n, 1, :n, '2026-12-01', :note, '[]', '[]', '[]')"), {"n": number, "note": note})
        plain.dispose()
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, name FROM point_accounts ORDER BY id")).all()
            notes = connection.execute(text("SELECT note, note_words FROM roster_versions ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "永安社区"), (2, "永安社区"), (3, "王芳")]
    assert [(note, json.loads(words) if words else None) for note, words in notes] == [
        ("有志愿者不能参加,系统自动重排", {"msgid": "Re-planned automatically after a decline", "params": {}}),
        ("节前调整", None)]
