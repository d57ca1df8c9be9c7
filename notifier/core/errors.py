"""The one error a use case raises when a request cannot be met as asked (a closed breach, an unknown document, a
template not approved...): a French msgid of the catalog with its ``%(name)s`` values, shown in the user's
language by the web (``message(lang)``) and in ``cli_language()`` by every command (core.cli.Command)."""

from typing import Any

from notifier.core.i18n import translate


class Refusal(ValueError):
    """A request that cannot be met, told in one line. ``str()`` stays the English line, as logs and tracebacks had
    it; ``reference``, when set (a breach's), prefixes the command's `error:` line."""

    reference: str | None = None

    def __init__(self, message: str, **params: Any):
        self.msgid, self.params = message, params
        super().__init__(self.message("en"))

    def message(self, lang: str = "fr") -> str:
        return translate(self.msgid, lang, **self.params)
