# The two commands a newcomer needs: `make run` and `make test` (each installs what it needs).
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: run test lint typecheck pytest pytest-fast bench clean

run:
	@scripts/setup.sh
	@$(VENV)/clearance init
	@$(VENV)/clearance serve

test:
	@scripts/setup.sh test
	@$(MAKE) --no-print-directory lint typecheck pytest

lint:
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

typecheck:
	$(VENV)/mypy clearance cli flows webapp

pytest:
	$(VENV)/pytest -q -n 2 --dist loadgroup

# Local loop without the slow browser/load/multi-process tests.
pytest-fast:
	$(VENV)/pytest -q -n 2 --dist loadgroup -m "not slow"

bench:
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/python $$b; done

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
