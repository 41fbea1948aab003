"""What each role may do, in one table.

A permission is ``<resource>:<action>``; actions are ``read``, ``write`` and, for state machines,
``transition``. A grant may use ``*`` for the action or for both parts. Row visibility is a
separate matter, enforced by the session scope (:mod:`somp.core.tenancy`): a grant here never
reaches another tenant's rows.
"""

from __future__ import annotations

from functools import cache

from somp.core.identity import Role

ROLE_GRANTS: dict[Role, frozenset[str]] = {
    Role.platform_admin: frozenset(
        # the marketplace operator: runs the scheduler, reads its runs and the demand analysis
        {"tenants:*", "users:*", "terminology:read", "shared_mfg:schedule", "shared_mfg:runs", "shared_mfg:analyse"}
    ),
    Role.tenant_admin: frozenset(
        {
            "tenants:read",
            "tenants:update",
            "users:*",
            "tokens:*",
            "catalog:*",
            "customers:*",
            "assets:*",
            "contracts:*",
            "workorders:*",
            "invoices:*",
            "kpis:read",
            "terminology:read",
            "data:*",
            "telemetry:*",
            "lifecycle:*",
            "self_assessment:*",
            "pss:*",
            "aftersales:*",
            "tickets:*",
            "customization:*",
            "shared_mfg:read",
            "shared_mfg:write",
            "shared_mfg:progress",
            "shared_mfg:runs",
            "shared_mfg:analyse",
        }
    ),
    Role.service_manager: frozenset(
        {
            "tenants:read",
            "tokens:*",
            "catalog:*",
            "customers:*",
            "assets:*",
            "contracts:*",
            "workorders:*",
            "invoices:*",
            "kpis:read",
            "terminology:read",
            "data:*",
            "telemetry:*",
            "lifecycle:*",
            "self_assessment:*",
            "pss:*",
            "aftersales:*",
            "tickets:*",
            "customization:*",
            "shared_mfg:read",
            "shared_mfg:write",
            "shared_mfg:progress",
            "shared_mfg:runs",
            "shared_mfg:analyse",
        }
    ),
    Role.engineer: frozenset(
        {
            "tenants:read",
            "tokens:*",
            "catalog:read",
            "customers:read",
            "assets:read",
            "assets:transition",
            "contracts:read",
            "workorders:*",
            "terminology:read",
            "telemetry:read",
            "lifecycle:read",
            "lifecycle:acknowledge",
            "aftersales:read",
            "tickets:*",
            "customization:read",
            "shared_mfg:read",
            "shared_mfg:progress",
            "shared_mfg:runs",
        }
    ),
    Role.customer_user: frozenset(
        {
            "tokens:*",
            "catalog:read",
            "assets:read",
            "contracts:read",
            "workorders:read",
            "invoices:read",
            "terminology:read",
            # the customer portal (2.1.6): own tickets (raise, comment, reopen), answer surveys
            "portal:read",
            "tickets:read",
            "tickets:raise",
            "surveys:answer",
            "customization:read",
            # the portal's delivery projects (2.1.5): own projects with their stages, read-only
            "delivery:read",
        }
    ),
    # the evaluator reads evaluation data across enterprises and reviews submitted evaluations
    Role.evaluator: frozenset({"tokens:*", "evaluation:read", "evaluation:review", "terminology:read"}),
}


@cache
def _grants(roles: frozenset[Role]) -> frozenset[str]:
    out: set[str] = set()
    for r in roles:
        out |= ROLE_GRANTS.get(r, frozenset())
    return frozenset(out)


def allows(roles: frozenset[Role], permission: str) -> bool:
    resource, _, action = permission.partition(":")
    grants = _grants(roles)
    return (
        permission in grants
        or f"{resource}:*" in grants
        or "*:*" in grants
        or (action == "read" and f"{resource}:write" in grants)
    )
