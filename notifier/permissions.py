"""Who may do what. One table, read by every route (``web.auth.require``) and by the route x role test.

The four roles come from the people who use the tool on the day of a breach: the DPO records and runs the breach,
legal staff review, approve (four eyes) and export, viewers only read, admins manage accounts and establishments."""

from enum import StrEnum


class Role(StrEnum):
    """One role per account, set by an administrator; it changes only through the admin pages or `notifier user`.

    dpo: the Data Protection Officer, who records and assesses breaches; legal: the legal department, who approves
    letters (four eyes, never their own) and generates reports; viewer: reads the register; admin: manages accounts and
    establishments, reads the audit trail."""

    DPO = "dpo"
    LEGAL = "legal"
    VIEWER = "viewer"
    ADMIN = "admin"
    # The patients' hotline (issue 17): finds one patient by letter reference or last name + birth date, reads the
    # approved call script, logs calls; no breach form, no register, no patient list or export.
    HOTLINE = "hotline"

PERMISSIONS: dict[str, frozenset[str]] = {
    "breach.view": frozenset({Role.DPO, Role.LEGAL, Role.VIEWER, Role.ADMIN}),
    "breach.edit": frozenset({Role.DPO}),
    # Deleting a draft recorded by mistake (never notified, no patients, no documents): the DPO, with a reason.
    "breach.delete": frozenset({Role.DPO}),
    "risk.assess": frozenset({Role.DPO}),
    "report.generate": frozenset({Role.DPO, Role.LEGAL}),
    "patients.view": frozenset({Role.DPO, Role.LEGAL}),
    "patients.import": frozenset({Role.DPO}),
    "patients.fix": frozenset({Role.DPO}),
    "letters.edit": frozenset({Role.DPO}),
    # Four eyes: only legal approves a letter template, and never its own author (checked in the service).
    "letters.approve": frozenset({Role.LEGAL}),
    "letters.generate": frozenset({Role.DPO, Role.LEGAL}),
    "letters.track": frozenset({Role.DPO, Role.LEGAL}),
    "register.view": frozenset({Role.DPO, Role.LEGAL, Role.VIEWER, Role.ADMIN}),
    "register.export": frozenset({Role.DPO, Role.LEGAL}),
    "audit.view": frozenset({Role.LEGAL, Role.ADMIN}),
    # The case (issue 16): the DPO and legal run the plan, the vault, the timeline and the exchanges; only a DPO
    # deletes a piece of evidence; the dossier is exported by the DPO and legal (for a regulator or a court).
    "case.edit": frozenset({Role.DPO, Role.LEGAL}),
    "case.evidence_delete": frozenset({Role.DPO}),
    "case.export": frozenset({Role.DPO, Role.LEGAL}),
    "admin.manage": frozenset({Role.ADMIN}),
    # Own account: the second factor is offered to the roles that handle patient data and approvals.
    "account.manage": frozenset({Role.DPO, Role.LEGAL, Role.VIEWER, Role.ADMIN, Role.HOTLINE}),
    # The hotline desk: search one patient, read the approved call script, log calls.
    "hotline.desk": frozenset({Role.HOTLINE, Role.DPO, Role.LEGAL}),
    # The call script is written by the DPO and approved by legal, never by its author (four eyes, as letters).
    "hotline.script.edit": frozenset({Role.DPO}),
    "hotline.script.approve": frozenset({Role.LEGAL}),
    # Calls counted by reason and day, CSV export (counts only), public-page verifications.
    "hotline.stats": frozenset({Role.DPO, Role.LEGAL}),
}


def role_can(role: str, permission: str) -> bool:
    try:
        return role in PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}") from None
