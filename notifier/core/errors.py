"""The error a use case raises when a request cannot be met as asked: one line in French and in English, shown in
the user's language by the web and in English by the CLI (`fail(error.message("en"))`)."""


class BilingualError(ValueError):
    """A request that cannot be met; one line in French and in English (the CLI prints the English one)."""

    def __init__(self, fr: str, en: str):
        super().__init__(en)
        self.fr, self.en = fr, en

    def message(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr


class Refusal(Exception):
    """A change refused by a rule of the application (a closed breach, ...): ``message(lang)`` says why. Every
    command shows it as its one `error:` line (core.cli.Command), in the language of ``cli_language()``."""

    reference: str | None = None

    def message(self, lang: str = "fr") -> str:
        return str(self)
