"""Two-admin confirmation of policy and role changes (core: no Flask).

One administrator proposes a change, a different administrator confirms it; the change is applied
and written to the audit log only on confirmation. Public API lives in ``clearance.admin.service``.
"""
