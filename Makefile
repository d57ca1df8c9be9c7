# Two commands: `make run` (set up and serve on http://127.0.0.1:5000) and `make test` (set up and run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export NOTIFIER_SESSION_COOKIE_SECURE ?= false

.PHONY: run test setup system-deps system-deps-test lint bench clean translations

$(BIN)/notifier: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: system-deps $(BIN)/notifier

system-deps:
	@sh scripts/system-deps.sh

system-deps-test:
	@sh scripts/system-deps.sh --test

run: setup
	$(BIN)/notifier db upgrade
	$(BIN)/notifier demo
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C to stop)"
	$(BIN)/notifier run --host 127.0.0.1 --port 5000

test: system-deps-test $(BIN)/notifier
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest

bench: setup
	$(BIN)/notifier bench letters --patients 20000
	$(BIN)/notifier bench import --rows 100000

# After changing French UI strings: refresh the English catalog, translate the new entries, then compile.
translations: $(BIN)/notifier
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k lazy_gettext -k _l -k N_ --no-location --omit-header \
		-o notifier/translations/messages.pot .
	$(BIN)/pybabel update -i notifier/translations/messages.pot -d notifier/translations -l en --no-fuzzy-matching \
		--width 120
	$(BIN)/pybabel compile -d notifier/translations

clean:
	rm -rf $(VENV) instance test-output
