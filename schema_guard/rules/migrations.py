"""SG6xx: the migration gate — the revision graph, the migrated database, and each revision's lock safety.

SG601-SG604 and SG606 are judged by running the migrations on a throwaway PostgreSQL (``schema_guard.gate``); they
are documented here so that ``schema-guard rules``/``explain`` and ``--select`` know them. SG605, SG607 and
SG651-SG656 are per-revision rules (:class:`~schema_guard.rules.revision.RevisionRule`): data plus one check over
the revision's operations (:mod:`schema_guard.revision_facts`), in the context of that revision — a table created
earlier in the same ``upgrade()`` is new, every other table is existing, possibly large and serving traffic. Their
examples are revision files, run through their rule by :mod:`schema_guard.testing` like every rule's
(``tests/test_rule_examples.py``), and the fixture trees under ``tests/gate/fixtures`` prove the database rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from schema_guard.revision_facts import Operation, RevisionFacts
from schema_guard.rules.base import Invalid, Rule, Valid, register
from schema_guard.rules.revision import RevisionContext, RevisionRule, Violation

MIGRATION_READERS = ("migrations",)
DATABASE_READERS = ("migrations", "database")


def revision(upgrade: str, downgrade: str = "    pass\n", *, header: str = "") -> str:
    """An example revision file: imports, identifiers, and the given function bodies."""
    return (
        f'"""Example revision."""\n{header}import sqlalchemy as sa\nfrom alembic import op\n\n'
        'revision = "0002_example"\ndown_revision = "0001_students_exams"\n\n\n'
        f"def upgrade() -> None:\n{upgrade}\n\ndef downgrade() -> None:\n{downgrade}"
    )


def named(value: str | None, what: str) -> str:
    """A name from the revision, or what it is when the revision computes it at run time (a loop, an f-string)."""
    return value if value else f"({what} named at run time)"


# --- documented gate rules ----------------------------------------------------------------------------------------


@register
class MigrationsDriftFromModels(Rule):
    code = "SG601"
    name = "migrations-drift-from-models"
    summary = "The migrated database differs from the models (autogenerate would emit operations)"
    rationale = (
        "The models are what the code expects; the migrations are what production gets. When `upgrade head` does "
        "not produce what the models declare, a missing index, a nullable column or a wrong type reaches "
        "production unnoticed, and the next `alembic revision --autogenerate` picks up somebody else's change."
    )
    how_to_fix = (
        "Run `alembic revision --autogenerate -m '...'`, review the generated operations, and commit the revision "
        "(or change the models back if the database is right)."
    )
    readers = DATABASE_READERS
    examples = (
        Valid(revision(
            '    op.create_index("ix_exams_title", "exams", ["title"])\n',
            '    op.drop_index("ix_exams_title", table_name="exams")\n',
        ), title="the index the model declares is created by a revision"),
        Invalid(revision(
            '    op.add_column("exams", sa.Column("title", sa.String(), nullable=False))  # expect: SG601\n',
            '    op.drop_column("exams", "title")\n',
        ), title="the model declares Field(index=True) on title, no revision creates the index"),
    )


@register
class MultipleHeads(Rule):
    code = "SG602"
    name = "multiple-migration-heads"
    summary = "More than one migration head"
    rationale = (
        "Two heads mean two branches were merged in git but not in Alembic: `alembic upgrade head` refuses to run, "
        "and the order the two branches' revisions apply in is undefined."
    )
    how_to_fix = "Rebase the newer revision onto the other head (edit its `down_revision`), or `alembic merge heads`."
    readers = MIGRATION_READERS
    examples = (
        Valid('revision = "0003_b"\ndown_revision = "0002_a"\n', title="a linear chain"),
        Invalid('revision = "0003_b"\ndown_revision = "0001_base"  # expect: SG602\n',
                title="0002_a and 0003_b both revise 0001_base"),
    )


@register
class DowngradeRoundTrip(Rule):
    code = "SG603"
    name = "downgrade-round-trip"
    summary = "Upgrade → downgrade → upgrade fails or leaves a different schema"
    rationale = (
        "A downgrade is the rollback plan. One that leaves a type, index or table behind makes the next upgrade "
        "fail (`type \"status\" already exists`) exactly when a rollback has already gone wrong."
    )
    how_to_fix = (
        "Make `downgrade()` undo everything `upgrade()` did, in reverse order (drop indexes, constraints, tables, "
        "then enum types with `sa.Enum(name=...).drop(op.get_bind())`)."
    )
    readers = DATABASE_READERS
    examples = (
        Valid(revision(
            '    status = sa.Enum("draft", "done", name="exam_status")\n'
            '    op.add_column("exams", sa.Column("status", status, nullable=True))\n',
            '    op.drop_column("exams", "status")\n    sa.Enum(name="exam_status").drop(op.get_bind())\n',
        )),
        Invalid(revision(
            '    status = sa.Enum("draft", "done", name="exam_status")  # expect: SG603\n'
            '    op.add_column("exams", sa.Column("status", status, nullable=True))\n',
            '    op.drop_column("exams", "status")  # the enum type stays behind\n',
        )),
    )


@register
class EnvWithoutTargetMetadata(Rule):
    code = "SG604"
    name = "env-target-metadata"
    summary = "`env.py` does not set `target_metadata` to the models' metadata"
    rationale = (
        "Without the models' metadata, `alembic revision --autogenerate` produces empty revisions and "
        "`alembic check` passes whatever the database looks like."
    )
    how_to_fix = (
        "In env.py, import the model modules and set `target_metadata = SQLModel.metadata`; pass it to "
        "`context.configure(target_metadata=target_metadata)`."
    )
    readers = MIGRATION_READERS
    examples = (
        Valid("from sqlmodel import SQLModel\nimport app.models  # noqa: F401\n\ntarget_metadata = SQLModel.metadata\n"),
        Invalid("target_metadata = None  # expect: SG604\n"),
    )


@register
class MigratedSchemaBreaksRule(Rule):
    code = "SG606"
    name = "migrated-schema-breaks-rule"
    summary = (
        "The schema at head, reflected from PostgreSQL, breaks SG101, SG104, SG201, SG202, SG203, SG204, SG205 or "
        "SG505 (and SG206, SG207 when selected)"
    )
    rationale = (
        "The models can be right while the migrations are not: what production has is what the revisions create. "
        "Every rule that can read a database — SG101, SG104, SG201, SG202, SG203, SG204, SG205 and SG505, plus the "
        "opt-in SG206 and SG207 when selected — runs once more on the reflected database; each violation is "
        "reported as SG606 at the revision that created the table, with the rule's code in the message."
    )
    how_to_fix = "Fix the revision (or add one) so the database has what the rule asks for; the message names the rule."
    readers = DATABASE_READERS
    examples = (
        Valid(revision(
            '    op.create_table("notes", sa.Column("id", sa.Uuid(), primary_key=True),\n'
            '                    sa.Column("student_id", sa.Uuid(), sa.ForeignKey("students.id"), nullable=False))\n'
            '    op.create_index("ix_notes_student_id", "notes", ["student_id"])\n',
            '    op.drop_table("notes")\n',
        )),
        Invalid(revision(
            '    op.create_table("notes", sa.Column("id", sa.Uuid(), primary_key=True),  # expect: SG606\n'
            '                    sa.Column("student_id", sa.Uuid(), sa.ForeignKey("students.id"), nullable=False))\n',
            '    op.drop_table("notes")\n',
        ), title="SG203 at head: no index leads with student_id"),
    )


# --- per-revision rules -------------------------------------------------------------------------------------------


@register
class MissingDowngrade(RevisionRule):
    code = "SG607"
    name = "empty-downgrade"
    summary = "A revision with an empty or missing `downgrade()`"
    rationale = (
        "An empty downgrade reports success while undoing nothing: the rollback runs, the version table moves back, "
        "and the schema stays as it was, so the next upgrade fails. A downgrade that cannot be written should say so "
        "by failing loudly in review, not at 3 a.m. A revision that only changes rows (every op is `op.execute` or "
        "`op.bulk_insert`, and every SQL it runs, also through `op.get_bind()`, parses as UPDATE/INSERT/DELETE/SELECT) "
        "has nothing to undo in the schema and is not reported."
    )
    how_to_fix = (
        "Write the inverse operations in `downgrade()` (autogenerate writes them); for a truly irreversible change, "
        "split it so that the irreversible step is its own, reviewed revision and suppress this finding there."
    )
    readers = MIGRATION_READERS
    examples = (
        Valid(revision('    op.add_column("exams", sa.Column("notes", sa.Text(), nullable=True))\n',
                       '    op.drop_column("exams", "notes")\n')),
        Valid(revision("    pass\n", "    pass\n"), title="a merge revision does nothing either way"),
        Valid(revision("    op.execute(\"UPDATE exams SET notes = '' WHERE notes IS NULL\")\n"
                       "    conn = op.get_bind()\n"
                       "    conn.execute(sa.text(\"DELETE FROM exams WHERE score < :floor\"), {\"floor\": 0})\n"),
              title="data only: rows change, the schema does not"),
        Invalid(revision('    op.execute("ALTER TABLE exams ADD COLUMN notes text")\n', "    pass\n")
                .replace("def downgrade() -> None:", "def downgrade() -> None:  # expect: SG607"),
                title="DDL in op.execute"),
        Invalid(revision('    op.add_column("exams", sa.Column("notes", sa.Text(), nullable=True))\n',
                         "    pass\n").replace("def downgrade() -> None:", "def downgrade() -> None:  # expect: SG607")),
        Invalid(revision('    op.add_column("exams", sa.Column("notes", sa.Text(), nullable=True))\n',
                         '    raise NotImplementedError("irreversible")\n')
                .replace("def downgrade() -> None:", "def downgrade() -> None:  # expect: SG607"),
                title="irreversible"),
    )

    def check_revision(self, revision: RevisionFacts, context: RevisionContext) -> Iterator[Violation]:
        if not revision.irreversible:
            return
        kind = revision.downgrade_body
        what = {"missing": "has no downgrade()", "empty": "has an empty downgrade()",
                "raises": "has a downgrade() that only raises"}[kind]
        yield Violation(f"revision {what} although its upgrade() changes the schema", detail=kind,
                        location=revision.downgrade_location)


@register
class TenancyWeakened(RevisionRule):
    code = "SG605"
    name = "revision-weakens-tenancy"
    summary = "A revision weakens tenancy: drops the tenant index/FK/column, or makes it nullable"
    rationale = (
        "The tenant column is what keeps one student's rows away from another's. A revision that drops its index, "
        "its foreign key or the column, or lets it be NULL, removes that guarantee for every row written afterwards, "
        "and the models may never show it."
    )
    how_to_fix = (
        "Keep student_id NOT NULL, indexed (as the leading column) and a foreign key to students.id; when replacing "
        "its index or foreign key, create the new one in the same revision."
    )
    readers = MIGRATION_READERS
    operations = frozenset({"drop_column", "alter_column", "drop_index", "drop_constraint"})
    examples = (
        Valid(revision(
            '    op.create_index("ix_exams_student_id_created_at", "exams", ["student_id", "created_at"])\n'
            '    op.drop_index("ix_exams_student_id", table_name="exams")\n',
        ), title="replacing the tenant index with a composite that leads with it"),
        Valid(revision('    op.alter_column("subjects", "student_id", nullable=True)\n'),
              config=(("shared-tables", ["subjects"]),), title="a shared table"),
        Valid(revision(
            '    with op.batch_alter_table("exams") as batch_op:\n'
            '        batch_op.drop_index("ix_exams_student_id")\n'
            '    op.drop_table("exams")  # schema-guard: ignore[SG655]\n',
        ), title="the index goes with its table"),
        Invalid(revision('    op.alter_column("exams", "student_id", nullable=True)  # expect: SG605\n')),
        Invalid(revision('    op.drop_index("ix_exams_student_id", table_name="exams")  # expect: SG605\n')),
        Invalid(revision('    op.drop_constraint("exams_student_id_fkey", "exams", type_="foreignkey")  # expect: SG605\n')),
        Invalid(revision('    op.drop_column("exams", "student_id")  # expect: SG605\n')),
        Invalid(revision(
            '    with op.batch_alter_table("exams") as batch_op:\n'
            '        batch_op.alter_column("student_id", nullable=True)  # expect: SG605\n'
        ), title="batch"),
    )

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        tenant = context.tenant_column
        if context.drops_table(operation.table):
            return  # dropping the table's index, key or column first weakens nothing: the table goes
        if operation.kind in {"drop_column", "alter_column"}:
            table, column = operation.table, operation.text("column_name")
            if column != tenant or not context.is_tenant_table(table):
                return
            if operation.kind == "drop_column":
                yield Violation(f"drops the tenant column {table}.{tenant}", table, tenant, "drop-column")
                return
            if operation.flag("nullable") is True:
                yield Violation(
                    f"makes the tenant column {table}.{tenant} nullable: rows without a tenant become possible",
                    table, tenant, "nullable",
                    fix=f"Keep {table}.{tenant} NOT NULL (and the model's annotation `uuid.UUID`, not Optional).",
                )
            type_code = operation.code("type_")
            if type_code is not None and "uuid" not in type_code.lower():
                yield Violation(f"changes the tenant column {table}.{tenant} to {type_code}, not a UUID", table,
                                tenant, "type")
        elif operation.kind == "drop_index":
            yield from self._dropped_index(operation, context)
        elif operation.kind == "drop_constraint":
            yield from self._dropped_foreign_key(operation, context)

    def _dropped_index(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        name, tenant = operation.text("index_name"), context.tenant_column
        known = context.index(name)
        table = operation.table or (known[0] if known else None)
        leads = known[1][:1] == (tenant,) if known and known[1] else bool(name and f"_{tenant}" in name)
        if context.drops_table(table):
            return
        if leads and context.is_tenant_table(table) and not (table and context.keeps_tenant_index(table, name)):
            yield Violation(
                f"drops {name}, the index that leads with the tenant column {table}.{tenant}, without a replacement",
                table, tenant, f"index:{name}",
            )

    def _dropped_foreign_key(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        name, tenant, table = operation.text("constraint_name"), context.tenant_column, operation.table
        kind = operation.text("type_")
        known = context.constraint(name)
        on_tenant = tenant in known[1] if known else bool(name and tenant in name and (kind in {None, "foreignkey"}))
        if kind not in {None, "foreignkey"} or not on_tenant or not context.is_tenant_table(table):
            return
        if table and context.creates_tenant_foreign_key(table):
            return
        yield Violation(
            f"drops {name}, the foreign key from {table}.{tenant} to the tenant anchor, without a replacement",
            table, tenant, f"fk:{name}",
        )


@register
class IndexWithoutConcurrently(RevisionRule):
    code = "SG651"
    name = "index-without-concurrently"
    summary = "Index created or dropped on an existing table without `CONCURRENTLY` (in an `autocommit_block`)"
    rationale = (
        "`CREATE INDEX` holds a SHARE lock on the table for the whole build and `DROP INDEX` an ACCESS EXCLUSIVE "
        "one: on a large, live table every write (or every query) waits. `CONCURRENTLY` avoids the lock, but "
        "PostgreSQL refuses it inside a transaction, so it must run in Alembic's autocommit block."
    )
    how_to_fix = (
        "Create (or drop) the index with `postgresql_concurrently=True` inside "
        "`with op.get_context().autocommit_block():`."
    )
    readers = MIGRATION_READERS
    operations = frozenset({"create_index", "drop_index", "create_unique_constraint", "execute"})
    examples = (
        Valid(revision(
            '    with op.get_context().autocommit_block():\n'
            '        op.create_index("ix_exams_title", "exams", ["title"], postgresql_concurrently=True)\n',
        )),
        Valid(revision(
            '    op.create_table("notes", sa.Column("id", sa.Uuid(), primary_key=True), sa.Column("title", sa.Text()))\n'
            '    op.create_index("ix_notes_title", "notes", ["title"])\n',
        ), title="a table created in the same revision"),
        Invalid(revision('    op.create_index("ix_exams_title", "exams", ["title"])  # expect: SG651\n')),
        Invalid(revision('    op.create_index("ix_exams_title", "exams", ["title"], postgresql_concurrently=True)'
                         '  # expect: SG651\n'), title="concurrently outside an autocommit block"),
        Invalid(revision('    op.drop_index("ix_exams_title", table_name="exams")  # expect: SG651\n')),
        Invalid(revision('    op.execute("CREATE INDEX ix_exams_title ON exams (title)")  # expect: SG651\n'),
                title="SQL, read by PostgreSQL's parser"),
        Valid(revision('    with op.get_context().autocommit_block():\n'
                       '        op.execute("CREATE INDEX CONCURRENTLY ix_exams_title ON exams (title)")\n'),
              title="SQL with CONCURRENTLY"),
        Invalid(revision('    op.execute("CREATE INDEX ix_exams_title ON exams (title)")  # expect: SG651\n')),
        Invalid(revision('    op.create_unique_constraint("uq_exams_code", "exams", ["code"])  # expect: SG651\n')),
    )

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        if operation.kind == "execute":
            yield from self._check_sql(operation, context)
            return
        table = operation.table
        if operation.kind == "drop_index" and table is None:
            known = context.index(operation.text("index_name"))
            table = known[0] if known else None
        if context.is_new(table) or (operation.kind == "drop_index" and context.drops_table(table)):
            return
        if operation.kind == "create_unique_constraint":
            name = operation.text("constraint_name")
            yield Violation(
                f"adds unique constraint {name} to existing table {table}, building its index under an ACCESS "
                "EXCLUSIVE lock",
                table, detail=f"unique:{name}",
                fix=(f"Create a unique index with postgresql_concurrently=True in an autocommit block, then "
                     f"op.execute('ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX <index>')."),
            )
            return
        name = named(operation.text("index_name"), "index")
        table = named(table, "table")
        verb = "creates" if operation.kind == "create_index" else "drops"
        if operation.flag("postgresql_concurrently") is not True:
            lock = "a SHARE lock (blocking writes)" if verb == "creates" else "an ACCESS EXCLUSIVE lock"
            yield Violation(
                f"{verb} index {name} on existing table {table} without CONCURRENTLY, holding {lock} on the table",
                table, detail=f"{operation.kind}:{name}",
                fix=(f"with op.get_context().autocommit_block(): op.{operation.kind}({name!r}, ..., "
                     "postgresql_concurrently=True)"),
            )
        elif not operation.in_autocommit_block:
            yield Violation(
                f"{verb} index {name} CONCURRENTLY inside the migration's transaction, which PostgreSQL refuses",
                table, detail=f"{operation.kind}:{name}",
                fix="Wrap the call in `with op.get_context().autocommit_block():`.",
            )

    def _check_sql(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        for statement in operation.statements:
            if statement.kind == "create_index" and not statement.concurrently and not context.is_new(statement.table):
                yield Violation(
                    f"creates index {named(statement.name, 'index')} on existing table "
                    f"{named(statement.table, 'table')} without CONCURRENTLY (in op.execute)",
                    statement.table, detail="execute:create-index",
                    fix="Use CREATE INDEX CONCURRENTLY inside `with op.get_context().autocommit_block():`.",
                )
            elif statement.kind == "drop_index" and not statement.concurrently:
                known = context.index(statement.name)
                table = known[0] if known else None
                if context.is_new(table) or context.drops_table(table):
                    continue
                yield Violation(f"drops index {named(statement.name, 'index')} without CONCURRENTLY (in op.execute)",
                                table, detail="execute:drop-index",
                                fix="Use DROP INDEX CONCURRENTLY inside `with op.get_context().autocommit_block():`.")


@register
class ConstraintWithoutNotValid(RevisionRule):
    code = "SG652"
    name = "constraint-without-not-valid"
    summary = "Foreign key or check constraint added to an existing table without `NOT VALID` + separate `VALIDATE`"
    rationale = (
        "Adding a foreign key or check constraint scans the whole table to validate it while holding a lock that "
        "blocks writes (for a foreign key, on both tables). Added `NOT VALID`, the constraint applies to new rows at "
        "once; `VALIDATE CONSTRAINT` later checks the old ones under a lock that lets writes through."
    )
    how_to_fix = (
        "op.create_foreign_key(..., postgresql_not_valid=True) in this revision, then "
        "op.execute('ALTER TABLE t VALIDATE CONSTRAINT name') in the next one (or in an autocommit block)."
    )
    readers = MIGRATION_READERS
    operations = frozenset({"create_foreign_key", "create_check_constraint", "add_column", "execute"})
    examples = (
        Valid(revision(
            '    op.create_foreign_key("fk_exams_subject_id", "exams", "subjects", ["subject_id"], ["id"],\n'
            '                          postgresql_not_valid=True)\n'
            '    with op.get_context().autocommit_block():\n'
            '        op.execute("ALTER TABLE exams VALIDATE CONSTRAINT fk_exams_subject_id")\n',
        )),
        Invalid(revision(
            '    op.create_foreign_key("fk_exams_subject_id", "exams", "subjects", ["subject_id"], ["id"])'
            '  # expect: SG652\n')),
        Invalid(revision('    op.create_check_constraint("ck_exams_score", "exams", "score >= 0")  # expect: SG652\n')),
        Invalid(revision(
            '    op.add_column("exams", sa.Column("subject_id", sa.Uuid(), sa.ForeignKey("subjects.id")))'
            '  # expect: SG652\n'), title="a new column with a foreign key"),
        Invalid(revision(
            '    op.create_foreign_key("fk_exams_subject_id", "exams", "subjects", ["subject_id"], ["id"],\n'
            '                          postgresql_not_valid=True)\n'
            '    op.execute("ALTER TABLE exams VALIDATE CONSTRAINT fk_exams_subject_id")  # expect: SG652\n',
        ), title="validated in the same transaction"),
    )

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        if operation.kind == "execute":
            yield from self._check_sql(operation, context)
            return
        table = operation.table
        if context.is_new(table):
            return
        if operation.kind == "add_column":
            spec = operation.column
            if spec is not None and spec.has_foreign_key:
                yield Violation(
                    f"adds column {table}.{spec.name} with a foreign key, validated at once under a lock that blocks "
                    "writes", table, spec.name, "add-column-fk",
                    fix=("Add the column without the foreign key, then op.create_foreign_key(..., "
                         "postgresql_not_valid=True) and VALIDATE CONSTRAINT separately."),
                )
            return
        if operation.flag("postgresql_not_valid") is True:
            return
        kind = "foreign key" if operation.kind == "create_foreign_key" else "check constraint"
        name = operation.text("constraint_name")
        yield Violation(
            f"adds {kind} {name} to existing table {table} without NOT VALID: the whole table is scanned under a lock "
            "that blocks writes", table, detail=f"{operation.kind}:{name}",
        )

    def _check_sql(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        for statement in operation.statements:
            table = statement.table
            if statement.kind == "add_constraint" and statement.constraint in {"foreign key", "check"} \
                    and not statement.not_valid and not context.is_new(table):
                yield Violation(
                    f"adds {statement.constraint} constraint {named(statement.name, 'constraint')} to existing table "
                    f"{named(table, 'table')} without NOT VALID (in op.execute): the whole table is scanned under a "
                    "lock that blocks writes", table, detail="execute:add-constraint",
                )
            elif statement.kind == "validate_constraint" and statement.name and not operation.in_autocommit_block \
                    and self._added_not_valid_here(statement.name, context):
                yield Violation(
                    f"validates {statement.name} in the same transaction that added it NOT VALID, so the scan still "
                    "runs under the adding lock", table, detail=f"validate:{statement.name}",
                    fix="Validate in a later revision, or inside `with op.get_context().autocommit_block():`.",
                )

    @staticmethod
    def _added_not_valid_here(name: str, context: RevisionContext) -> bool:
        for operation in context.operations:
            if operation.in_autocommit_block:
                continue
            if operation.kind in {"create_foreign_key", "create_check_constraint"} and operation.name == name:
                return True
            if any(s.kind == "add_constraint" and s.name == name and s.not_valid for s in operation.statements):
                return True
        return False


@register
class NotNullOnExistingTable(RevisionRule):
    code = "SG653"
    name = "not-null-on-existing-table"
    summary = ("NOT NULL column without a default added to an existing table, or `SET NOT NULL` on an existing "
               "column")
    rationale = (
        "Adding a NOT NULL column without a default fails on any table that has rows. `SET NOT NULL` scans the whole "
        "table under an ACCESS EXCLUSIVE lock, blocking every query until it finishes."
    )
    how_to_fix = (
        "Add the column nullable (or with a constant server_default), backfill in batches, add "
        "`CHECK (c IS NOT NULL) NOT VALID`, VALIDATE it, then SET NOT NULL (PostgreSQL 12+ skips the scan)."
    )
    readers = MIGRATION_READERS
    operations = frozenset({"add_column", "alter_column"})
    examples = (
        Valid(revision('    op.add_column("exams", sa.Column("attempts", sa.Integer(), nullable=False,\n'
                       '                                     server_default="0"))\n')),
        Valid(revision('    op.add_column("exams", sa.Column("notes", sa.Text(), nullable=True))\n')),
        Invalid(revision('    op.add_column("exams", sa.Column("notes", sa.Text(), nullable=False))'
                         '  # expect: SG653\n')),
        Invalid(revision('    op.alter_column("exams", "title", nullable=False)  # expect: SG653\n')),
        Valid(revision('    op.alter_column("exams", "title", new_column_name="name", nullable=False,\n'
                       '                    existing_nullable=False)\n'),
              title="already NOT NULL (autogenerate repeats it on a rename): PostgreSQL scans nothing"),
    )

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        table = operation.table
        if context.is_new(table):
            return
        if operation.kind == "add_column":
            spec = operation.column
            if spec is not None and spec.nullable is False and spec.server_default is None:
                yield Violation(
                    f"adds NOT NULL column {table}.{spec.name} without a server default: it fails on a table with "
                    "rows", table, spec.name, "add-column",
                    fix=(f"Add {spec.name} nullable (or with a constant server_default), backfill it, then make it "
                         "NOT NULL in a later revision."),
                )
        elif operation.flag("nullable") is False and operation.flag("existing_nullable") is not False:
            column = operation.text("column_name")
            yield Violation(
                f"sets {table}.{column} NOT NULL, scanning the whole table under an ACCESS EXCLUSIVE lock",
                table, column, "set-not-null",
            )


@register
class ColumnTypeChange(RevisionRule):
    code = "SG654"
    name = "column-type-change"
    summary = "Column type changed on an existing table (rewrite + exclusive lock)"
    rationale = (
        "Most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock; running code also "
        "still reads and writes the old type while the deploy rolls out."
    )
    how_to_fix = (
        "Add a new column of the new type, write both, backfill in batches, switch reads, then drop the old column "
        "in a later release. Widening a VARCHAR (or VARCHAR → TEXT) is safe and not reported."
    )
    readers = MIGRATION_READERS
    operations = frozenset({"alter_column"})
    examples = (
        Valid(revision('    op.alter_column("exams", "title", type_=sa.String(length=400),\n'
                       '                    existing_type=sa.String(length=200))\n'), title="widening"),
        Invalid(revision('    op.alter_column("exams", "score", type_=sa.Numeric(), existing_type=sa.Integer())'
                         '  # expect: SG654\n')),
    )

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        table = operation.table
        new_type = operation.code("type_")
        if new_type is None or context.is_new(table) or _widening(operation.code("existing_type"), new_type):
            return
        column = operation.text("column_name")
        yield Violation(
            f"changes the type of {named(table, 'table')}.{named(column, 'column')} to {new_type}, rewriting the "
            "table under an ACCESS EXCLUSIVE lock",
            table, column, "type",
        )


def _widening(old: str | None, new: str) -> bool:
    """VARCHAR(n) → VARCHAR(m ≥ n), VARCHAR → TEXT, VARCHAR(n) → VARCHAR: no rewrite in PostgreSQL."""
    if old is None:
        return False
    string = re.compile(r"(?:sa\.)?(?:String|VARCHAR|Unicode)\((?:length=)?(\d+)?\)", re.IGNORECASE)
    old_match = string.fullmatch(old.replace(" ", ""))
    if not old_match:
        return False
    if re.fullmatch(r"(?:sa\.)?(?:Text|TEXT|UnicodeText)\(\)", new.replace(" ", "")):
        return True
    new_match = string.fullmatch(new.replace(" ", ""))
    if not new_match:
        return False
    if new_match.group(1) is None:
        return True
    return old_match.group(1) is not None and int(new_match.group(1)) >= int(old_match.group(1))


@register
class DestructiveChange(RevisionRule):
    code = "SG655"
    name = "drop-or-rename"
    summary = "Column or table dropped or renamed (destructive / breaks running code)"
    rationale = (
        "During a deploy the old code keeps running against the new schema: a dropped or renamed column or table "
        "breaks it at once, and a drop loses the data for good."
    )
    how_to_fix = (
        "Expand and contract: stop using the column/table in the code and deploy that first; drop it in a later "
        "release. For a rename, add the new column, write both, backfill, switch, then drop the old one."
    )
    readers = MIGRATION_READERS
    operations = frozenset({"drop_column", "drop_table", "rename_table", "alter_column", "execute"})
    examples = (
        Valid(revision(
            '    op.create_table("drafts", sa.Column("id", sa.Uuid(), primary_key=True))\n'
            '    op.drop_table("drafts")\n'), title="a table created in the same revision"),
        Invalid(revision('    op.drop_column("exams", "title")  # expect: SG655\n')),
        Invalid(revision('    op.drop_table("exams")  # expect: SG655\n')),
        Invalid(revision('    op.rename_table("exams", "tests")  # expect: SG655\n')),
        Invalid(revision('    op.execute("ALTER TABLE exams DROP COLUMN notes")  # expect: SG655\n'),
                title="SQL, read by PostgreSQL's parser"),
        Valid(revision("    op.execute(\"UPDATE exams SET notes = 'drop table tomorrow'\")\n"),
              title="words in a string are data, not a statement"),
        Invalid(revision('    op.alter_column("exams", "title", new_column_name="name")  # expect: SG655\n')),
    )

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        table = operation.table
        if operation.kind == "execute":
            yield from self._check_sql(operation, context)
            return
        if context.is_new(table):
            return
        if operation.kind == "drop_column":
            if context.drops_table(table):
                return  # the table goes in this revision: its drop_table is the finding
            column = operation.text("column_name")
            yield Violation(f"drops column {named(table, 'table')}.{named(column, 'column')}: running code breaks and "
                            "the data is gone", table, column, "drop-column")
        elif operation.kind == "drop_table":
            yield Violation(f"drops table {table}: running code breaks and the data is gone", table,
                            detail="drop-table")
        elif operation.kind == "rename_table":
            yield Violation(f"renames table {table} to {operation.text('new_table_name')}: running code breaks", table,
                            detail="rename-table")
        elif operation.kind == "alter_column" and "new_column_name" in operation.arguments:
            column = operation.text("column_name")
            new_name = operation.text("new_column_name")
            yield Violation(f"renames column {table}.{column} to {new_name}: running code breaks",
                            table, column, "rename-column")


    def _check_sql(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        for statement in operation.statements:
            table = statement.table
            if context.is_new(table):
                continue
            shown = named(table, "table")
            if statement.kind == "drop_table":
                yield Violation(f"drops table {shown} (in op.execute): running code breaks and the data is gone",
                                table, detail="execute:drop-table")
            elif statement.kind == "drop_column" and not context.drops_table(table):
                yield Violation(f"drops column {shown}.{statement.name} (in op.execute): running code breaks and the "
                                "data is gone", table, statement.name, "execute:drop-column")
            elif statement.kind == "rename_table":
                yield Violation(f"renames table {shown} to {statement.name} (in op.execute): running code breaks",
                                table, detail="execute:rename-table")
            elif statement.kind == "rename_column":
                yield Violation(f"renames column {shown}.{statement.name} (in op.execute): running code breaks",
                                table, statement.name, "execute:rename-column")


VOLATILE_DEFAULTS = ("gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4", "random", "clock_timestamp",
                     "timeofday", "nextval", "uuid_generate_v1mc", "gen_random_bytes")


@register
class VolatileDefaultOnExistingTable(RevisionRule):
    code = "SG656"
    name = "volatile-default-on-existing-table"
    summary = "Column added with a volatile server default (e.g. `gen_random_uuid()`) to an existing table (rewrite)"
    rationale = (
        "PostgreSQL 11+ adds a column with a constant default instantly, but a volatile default "
        "(`gen_random_uuid()`, `clock_timestamp()`, `random()`) must be computed per row: the whole table is "
        "rewritten under an ACCESS EXCLUSIVE lock."
    )
    how_to_fix = (
        "Add the column without a default (nullable), set the default with a separate ALTER COLUMN ... SET DEFAULT, "
        "and backfill existing rows in batches."
    )
    readers = MIGRATION_READERS
    operations = frozenset({"add_column"})
    examples = (
        Valid(revision('    op.add_column("exams", sa.Column("created_at", sa.DateTime(timezone=True),\n'
                       '                                     server_default=sa.text("now()"), nullable=False))\n'),
              title="now() is stable, not volatile"),
        Invalid(revision('    op.add_column("exams", sa.Column("token", sa.Uuid(),  # expect: SG656\n'
                         '                                     server_default=sa.text("gen_random_uuid()")))\n')),
    )

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        spec = operation.column
        table = operation.table
        if spec is None or spec.server_default is None or context.is_new(table):
            return
        function = re.match(r"\s*(\w+)\s*\(", spec.server_default)
        if function and function.group(1).lower() in VOLATILE_DEFAULTS:
            yield Violation(
                f"adds column {table}.{spec.name} with the volatile default {spec.server_default}, rewriting the "
                "whole table under an ACCESS EXCLUSIVE lock", table, spec.name, "volatile-default",
            )
