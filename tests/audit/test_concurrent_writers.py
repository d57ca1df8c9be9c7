"""The audit trail under concurrent writers: every request that records an entry commits it, in one chain.

On SQLite the writers' lock must be taken before the chain's last entry is read (PostgreSQL takes an advisory
lock): otherwise two requests read the same last entry, chain onto it, and the second fails on the id (a 500 for
the user, and the change it recorded is lost with it)."""
import threading

from notifier.audit import services as audit
from notifier.audit.models import AuditEntry
from notifier.extensions import db

WRITERS = 6
ENTRIES_EACH = 15


def test_concurrent_writers_all_commit_into_one_unbroken_chain(app):
    failures: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        with app.app_context():
            start.wait()
            try:
                for count in range(ENTRIES_EACH):
                    audit.record("test.concurrent", details={"writer": number, "count": count})
                    db.session.commit()
            except BaseException as error:  # collected: the assertion below names it
                failures.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert db.session.query(AuditEntry).count() == WRITERS * ENTRIES_EACH
    report = audit.verify()
    assert report.first_bad_id is None, report.problem
    assert report.entries == WRITERS * ENTRIES_EACH
