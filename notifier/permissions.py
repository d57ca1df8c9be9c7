"""Who may do what. One table, read by every route (``web.auth.require``) and by the route x role test.

The four roles come from the people who use the tool on the day of a breach: the DPO records and runs the breach,
legal staff review, approve (four eyes) and export, viewers only read, admins manage accounts and establishments."""

PERMISSIONS: dict[str, frozenset[str]] = {
    "breach.view": frozenset({"dpo", "legal", "viewer", "admin"}),
    "breach.edit": frozenset({"dpo"}),
    "risk.assess": frozenset({"dpo"}),
    "report.generate": frozenset({"dpo", "legal"}),
    "patients.view": frozenset({"dpo", "legal"}),
    "patients.import": frozenset({"dpo"}),
    "patients.fix": frozenset({"dpo"}),
    "letters.edit": frozenset({"dpo"}),
    # Four eyes: only legal approves a letter template, and never its own author (checked in the service).
    "letters.approve": frozenset({"legal"}),
    "letters.generate": frozenset({"dpo", "legal"}),
    "letters.track": frozenset({"dpo", "legal"}),
    "register.view": frozenset({"dpo", "legal", "viewer", "admin"}),
    "register.export": frozenset({"dpo", "legal"}),
    "audit.view": frozenset({"legal", "admin"}),
    "admin.manage": frozenset({"admin"}),
    # Own account: the second factor is offered to the roles that handle patient data and approvals.
    "account.manage": frozenset({"dpo", "legal", "viewer", "admin"}),
}


def role_can(role: str, permission: str) -> bool:
    try:
        return role in PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}") from None
