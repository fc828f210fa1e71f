"""Configuration: found by walking up, kebab-case keys, every error names the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.config import ConfigError, load_config, parse_config


def test_found_by_walking_up_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.schema_guard]\ntenant-table = "tenants"\n', encoding="utf-8")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    config = load_config(cwd=nested)
    assert config.tenant_table == "tenants" and config.root == tmp_path


def test_a_pyproject_without_the_section_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.schema_guard]\nsrc = ["models"]\n', encoding="utf-8")
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "pkg"\n', encoding="utf-8")
    assert load_config(cwd=inner).src == ("models",)


def test_defaults_without_any_configuration(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    assert config.src == (".",) and config.models == () and config.tenant_column == "student_id"


def test_explicit_config_file(tmp_path: Path) -> None:
    path = tmp_path / "custom.toml"
    path.write_text('[tool.schema_guard]\ntenant-column = "tenant_id"\n', encoding="utf-8")
    assert load_config(path, cwd=tmp_path).tenant_column == "tenant_id"


def test_missing_explicit_config_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"tenant_table": "x"}, "unknown key 'tenant_table' in \\[tool.schema_guard\\] \\(did you mean 'tenant-table'"),
        ({"shared-tables": "subjects"}, "shared-tables must be a list of strings"),
        ({"migrations": {"database_url": "x"}}, "unknown key 'database_url' in \\[tool.schema_guard.migrations\\]"),
        ({"migrations": {"alembic-config": 3}}, "alembic-config must be a string"),
        ({"per-file-ignores": {"tests/*": "SG1"}}, "per-file-ignores 'tests/\\*' must be a list of strings"),
    ],
)
def test_bad_keys_and_values_name_the_key_and_file(section: dict[str, object], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        parse_config(section, root=tmp_path, source=tmp_path / "pyproject.toml")
    assert "pyproject.toml" in str(error.value)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.schema_guard\nsrc = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(cwd=tmp_path)


def test_database_url_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config({"migrations": {"database-url": "postgresql://config/db"}}, root=tmp_path)
    monkeypatch.delenv("SCHEMA_GUARD_DATABASE_URL", raising=False)
    assert config.database_url() == "postgresql://config/db"
    monkeypatch.setenv("SCHEMA_GUARD_DATABASE_URL", "postgresql://env/db")
    assert config.database_url() == "postgresql://env/db"
    assert config.database_url("postgresql://flag/db") == "postgresql://flag/db"
