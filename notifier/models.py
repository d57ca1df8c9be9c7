"""Every table of the application, from each feature's models.py: importing them registers them with SQLAlchemy
(and Alembic's autogenerate). The one place that knows every feature's tables."""


def register_models() -> None:
    from notifier.accounts import models as accounts  # noqa: F401
    from notifier.audit import models as audit  # noqa: F401
    from notifier.breaches import models as breaches  # noqa: F401
    from notifier.cases import models as cases  # noqa: F401
    from notifier.hotline import models as hotline  # noqa: F401
    from notifier.letters import models as letters  # noqa: F401
    from notifier.patients import models as patients  # noqa: F401
    from notifier.reports import models as reports  # noqa: F401
    from notifier.risk import models as risk  # noqa: F401
    from notifier.verification import models as verification  # noqa: F401
