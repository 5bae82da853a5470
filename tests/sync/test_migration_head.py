"""The register reads its schema's newest revision from the migration files without
loading Alembic (start-up time); it must be the revision Alembic itself calls head."""

from __future__ import annotations

from sync.store_db import all_revisions, head_revision, listed_head


def test_the_listed_head_is_alembics_head():
    assert listed_head() == head_revision() == all_revisions()[-1]


def test_a_branch_in_the_files_leaves_the_decision_to_alembic(tmp_path, monkeypatch):
    import sync.store_db as store_db

    versions = tmp_path / "versions"
    versions.mkdir()
    for rev, down in (("a1", None), ("b1", "a1"), ("b2", "a1")):  # two heads
        (versions / f"{rev}.py").write_text(
            f'revision = "{rev}"\ndown_revision = {down!r}\n'.replace("'", '"'),
            encoding="utf-8")
    monkeypatch.setattr(store_db, "MIGRATIONS", tmp_path)
    assert listed_head() is None
    (versions / "b2.py").unlink()
    assert listed_head() == "b1"
