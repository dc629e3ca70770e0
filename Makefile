# The two commands a newcomer needs: `make run` and `make test` (each installs what it needs).
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: run test lint typecheck pytest pytest-fast wheel-check bench clean translations translations-pot screenshots

run:
	@scripts/setup.sh
	@$(VENV)/clearance init
	@$(VENV)/clearance serve

test:
	@scripts/setup.sh test
	@$(MAKE) --no-print-directory lint typecheck pytest wheel-check

lint:
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/lint-imports --no-cache  # contracts in pyproject [tool.importlinter]: an inward import (e.g. `import flows` in clearance/) or a cycle between the core's packages (its layers) fails

typecheck:
	$(VENV)/mypy clearance cli flows webapp

# PostgreSQL is started (where installed) and its URL exported, so the PostgreSQL tests run too.
pytest:
	CLEARANCE_TEST_POSTGRES_URL="$$(scripts/postgres.sh)" $(VENV)/pytest -q -n 2 --dist loadgroup

# Local loop without the slow browser/load/multi-process tests.
pytest-fast:
	$(VENV)/pytest -q -n 2 --dist loadgroup -m "not slow"

# Build the wheel, install it into a fresh venv outside the checkout, run init and demo there.
wheel-check:
	scripts/wheel_check.sh

# UI strings (webapp/translations/README.md): extract the msgids of webapp/ into a template,
# merge it into every <lang>/LC_MESSAGES/messages.po (the files translators edit), compile the
# .mo files (committed, so `make run` and the wheel need no build step; a test keeps them fresh).
TRANSLATIONS := webapp/translations
POT := var/messages.pot
translations-pot:
	@mkdir -p $(dir $(POT))
	@$(VENV)/pybabel -q extract -F webapp/babel.cfg -k _l -k lazy_gettext --no-location \
	  --sort-output --omit-header -o $(POT) webapp

translations: translations-pot
	$(VENV)/pybabel update -i $(POT) -d $(TRANSLATIONS) --ignore-pot-creation-date
	$(VENV)/pybabel compile -d $(TRANSLATIONS) --statistics
	@rm -f $(POT)

# Every page of every role at 1280 and 390 px into docs/screenshots/ (stale shots removed);
# needs the test extras (Playwright) and /usr/bin/chromium.
screenshots:
	@scripts/setup.sh test
	$(VENV)/python scripts/screenshots.py

bench:
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/python $$b; done

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
