"""Run-time checks: the tenant query guard (SG701) that ``pytest``'s ``tenant_guard`` fixture installs.

No static check can see which queries an application runs; the guard watches the SQL an engine executes during a
test and reports every SELECT, UPDATE or DELETE that reads a tenant-scoped table without pinning its tenant column,
and every INSERT that does not set it. Tenant-scoped tables are decided by the same
:class:`~schema_guard.tenancy.TenantPolicy` as the rules.
"""

from __future__ import annotations

from schema_guard.runtime.guard import TenantGuard, TenantGuardError, Violation

__all__ = ["TenantGuard", "TenantGuardError", "Violation"]
