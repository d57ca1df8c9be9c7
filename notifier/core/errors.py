"""The error a use case raises when a request cannot be met as asked: one line in French and in English, shown in
the user's language by the web and in English by the CLI (`fail(error.message("en"))`)."""


class BilingualError(ValueError):
    """A request that cannot be met; one line in French and in English (the CLI prints the English one)."""

    def __init__(self, fr: str, en: str):
        super().__init__(en)
        self.fr, self.en = fr, en

    def message(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr
