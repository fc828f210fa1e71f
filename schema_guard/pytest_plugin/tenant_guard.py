"""The ``tenant_guard`` fixture (SG701) and the hook that judges queries only while the test function runs; the
``cross_tenant`` marker opts a test out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from schema_guard.config import ConfigError
from schema_guard.pytest_plugin.settings import project_config

if TYPE_CHECKING:
    from schema_guard.runtime import TenantGuard

GUARD_KEY = pytest.StashKey["TenantGuard"]()


@pytest.fixture
def tenant_guard(request: pytest.FixtureRequest) -> Iterator[TenantGuard]:
    """The SG701 query guard: ``tenant_guard.install(engine_or_session)``; the test fails if, while it runs, a query
    reads a tenant-scoped table without a tenant predicate or an INSERT leaves the tenant column unset. Fixture
    setup and teardown are not judged; ``with tenant_guard.allow("why"):`` and ``@pytest.mark.cross_tenant`` opt
    out."""
    from schema_guard.runtime import TenantGuard
    from schema_guard.decide import Decider

    try:
        settings = project_config(request.config)
        enabled = Decider.from_config(settings).enabled("SG701")  # `ignore = ["SG701"]` turns the guard off
    except ConfigError as error:
        pytest.fail(f"schema-guard: error: {error}", pytrace=False)
    guard = TenantGuard(settings.tenancy, active=False)
    if enabled:
        request.node.stash[GUARD_KEY] = guard
    try:
        yield guard
    finally:
        guard.uninstall()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Judge queries only while the test function runs; fail it with the guard's report."""
    guard = item.stash.get(GUARD_KEY, None)
    if guard is None or item.get_closest_marker("cross_tenant") is not None:
        return (yield)
    cwd = item.config.invocation_params.dir
    guard.active = True
    try:
        outcome = yield
    except BaseException:
        guard.active = False
        if guard.violations:  # the test failed anyway: show the guard's report next to its error
            item.add_report_section("call", "schema-guard tenant guard", guard.report(cwd))
        raise
    guard.active = False
    if guard.violations:
        pytest.fail(guard.report(cwd), pytrace=False)
    return outcome
