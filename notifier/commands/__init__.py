"""`notifier` sub-commands, one module per domain; each module lists its commands in COMMANDS."""
