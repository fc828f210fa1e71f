"""``schema-guard init`` on three project layouts (a flat module, a package with sub-packages, a src/ layout with
Alembic): it finds the table modules, the Alembic config and the tenant anchor, writes a configuration that
``check`` accepts, and ``check`` then finds the violations planted in each project."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.helpers import run_cli

HEADER = "import uuid\nfrom typing import Optional\n\nfrom sqlmodel import Field, SQLModel\n"

FLAT = {
    "models.py": HEADER + '''

class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    id: Optional[int] = Field(default=None, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
''',
    "main.py": "from models import Exam\n\nprint(Exam)\n",
}
# planted: exams.student_id without an index (SG203), an int primary key (SG101)
FLAT_FINDINGS = {("SG203", "models.py", 15), ("SG101", "models.py", 20)}

ACCOUNT = HEADER + '''

class Account(SQLModel, table=True):
    __tablename__ = "accounts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
'''
INVOICES = HEADER + '''

class Plan(SQLModel, table=True):
    __tablename__ = "plans"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: Optional[uuid.UUID] = Field(default=None, foreign_key="accounts.id", index=True)
    plan_id: uuid.UUID = Field(foreign_key="plans.id")


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
'''
PACKAGE = {
    "app/__init__.py": "",
    "app/api.py": "def handler() -> None:\n    pass\n",
    "app/models/__init__.py": "",
    "app/models/people/__init__.py": "",
    "app/models/people/accounts.py": ACCOUNT,
    "app/models/billing/__init__.py": "",
    "app/models/billing/invoices.py": INVOICES,
    "tests/test_models.py": HEADER + '\n\nclass Fixture(SQLModel, table=True):\n    id: int = Field(primary_key=True)\n',
}
# planted: a nullable tenant column (SG202); plans has no account_id and is not (yet) declared shared (SG201)
PACKAGE_FINDINGS = {("SG202", "app/models/billing/invoices.py", 16), ("SG201", "app/models/billing/invoices.py", 7)}

SHOP = HEADER + '''

class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenants.id", index=True)


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenants.id", index=True)


class LineItem(SQLModel, table=True):
    __tablename__ = "line_items"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="orders.id")
'''
EXISTING_PYPROJECT = '[project]\nname = "shop"\nversion = "1.0"\n\n[tool.ruff]\nline-length = 100  # keep me\n'
SRC_LAYOUT = {
    "pyproject.toml": EXISTING_PYPROJECT,
    "src/shop/__init__.py": "",
    "src/shop/models.py": SHOP,
    "alembic.ini": "[alembic]\nscript_location = migrations\n",
    "migrations/env.py": "from shop.models import SQLModel\n\ntarget_metadata = SQLModel.metadata\n",
}
# planted: line_items has no tenant_id (SG201)
SRC_FINDINGS = {("SG201", "src/shop/models.py", 24)}


def make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def found_by_check(project: Path) -> set[tuple[str, str, int]]:
    run = run_cli(project, "check", "--format", "json")
    assert run.exit_code == 1, run.stdout + run.stderr
    return {(str(f["code"]), str(f["path"]), int(f["line"])) for f in run.findings()}  # type: ignore[call-overload]


def test_flat_module_project_gets_a_new_pyproject(tmp_path: Path) -> None:
    project = make(tmp_path, FLAT)
    run = run_cli(project, "init")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines()[:4] == [
        "Found 3 table(s) in 1 module(s):",
        "  models.py",
        "Tenant anchor: students.id, referenced by 2 table(s) through student_id: attempts, exams",
        "Alembic: no alembic.ini found",
    ]
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == (
        '[tool.schema_guard]\nsrc = ["models.py"]\nmodels = ["models"]\ntenant-table = "students"\n'
        'tenant-column = "student_id"\n'
    )
    assert found_by_check(project) == FLAT_FINDINGS


def test_package_with_sub_packages_and_a_custom_anchor(tmp_path: Path) -> None:
    project = make(tmp_path, PACKAGE)
    run = run_cli(project, "init")
    assert run.exit_code == 0, run.stderr
    assert "Without account_id (tenant-scoped unless you declare them shared-tables): plans" in run.stdout
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["schema_guard"]
    assert settings == {
        "src": ["app"],
        "models": ["app.models.billing.invoices", "app.models.people.accounts"],
        "tenant-table": "accounts",
        "tenant-column": "account_id",
    }, "the tests folder is not the project's models"
    assert '# shared-tables = ["plans"]' in (project / "pyproject.toml").read_text(encoding="utf-8")
    assert found_by_check(project) == PACKAGE_FINDINGS


def test_src_layout_with_alembic_keeps_the_existing_pyproject(tmp_path: Path) -> None:
    project = make(tmp_path, SRC_LAYOUT)
    run = run_cli(project, "init")
    assert run.exit_code == 0, run.stderr
    assert "Alembic: alembic.ini" in run.stdout.splitlines()
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(EXISTING_PYPROJECT + "\n[tool.schema_guard]\n"), "nothing of the existing file is lost"
    settings = tomllib.loads(text)["tool"]["schema_guard"]
    assert settings["src"] == ["src/shop"] and settings["models"] == ["shop.models"]
    assert (settings["tenant-table"], settings["tenant-column"]) == ("tenants", "tenant_id")
    assert settings["migrations"] == {"alembic-config": "alembic.ini"}
    assert found_by_check(project) == SRC_FINDINGS
    assert run_cli(project, "check", "--metadata-only", "--format", "json").exit_code == 1, "the models import"


def test_dry_run_prints_the_table_and_writes_nothing(tmp_path: Path) -> None:
    project = make(tmp_path, SRC_LAYOUT)
    run = run_cli(project, "init", "--dry-run")
    assert run.exit_code == 0
    assert "pyproject.toml would get (--dry-run, nothing written):" in run.stdout
    assert '[tool.schema_guard.migrations]\nalembic-config = "alembic.ini"\n' in run.stdout
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == EXISTING_PYPROJECT


def test_an_existing_configuration_is_replaced_only_with_force(tmp_path: Path) -> None:
    project = make(tmp_path, FLAT)
    existing = '[tool.schema_guard]\nsrc = ["old"]\n\n[tool.schema_guard.migrations]\nalembic-config = "x.ini"\n\n[tool.other]\nkeep = 1\n'
    (project / "pyproject.toml").write_text(existing, encoding="utf-8")
    refused = run_cli(project, "init")
    assert refused.exit_code == 2
    assert refused.stderr.endswith("already has [tool.schema_guard]; `schema-guard init --force` replaces it\n")
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == existing
    assert run_cli(project, "init", "--force").exit_code == 0
    document = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert document["tool"]["other"] == {"keep": 1} and document["tool"]["schema_guard"]["src"] == ["models.py"]
    assert "migrations" not in document["tool"]["schema_guard"]


def test_a_project_without_tables_is_told_so(tmp_path: Path) -> None:
    project = make(tmp_path, {"main.py": "print('hello')\n"})
    run = run_cli(project, "init")
    assert run.exit_code == 2 and not (project / "pyproject.toml").exists()
    assert run.stderr == (f"schema-guard: error: {project}: no SQLModel or SQLAlchemy table found in its Python "
                          "files; nothing to configure\n")
