"""The roles an account can have: defined with what each may do, in notifier/permissions.py."""

from notifier.permissions import Role

__all__ = ["Role"]
