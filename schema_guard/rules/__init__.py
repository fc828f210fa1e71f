"""The rules: one module per family (keys, tenancy, ORM style, relationships, fields, the tool's own, migrations,
run time), what a rule is (:mod:`~schema_guard.rules.base`) and the registry that gathers them
(:mod:`~schema_guard.rules.registry`)."""
