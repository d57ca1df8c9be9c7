"""Fixtures of the public page's tests: letters stored as a final generation job leaves them (a number, a status,
the events of the print shop and La Poste), without rendering any PDF."""

import pytest


@pytest.fixture(autouse=True)
def counts_written_with_each_request(app):
    """Production keeps counts a second in the process (VERIFY_COUNT_FLUSH_SECONDS); the tests read them at once."""
    app.config["VERIFY_COUNT_FLUSH_SECONDS"] = 0
