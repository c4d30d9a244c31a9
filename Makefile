# `make demo` and `make test` work on a fresh Debian machine as root: they install what is missing first.
VENV := .venv
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint test-slow system-demo system-test services clean

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml scripts/install-venv.sh scripts/install-mrz-model.sh
	bash scripts/install-venv.sh
	touch $@

system-demo:
	bash scripts/install-system.sh demo

system-test:
	bash scripts/install-system.sh test

services: system-test
	bash scripts/start-services.sh

demo: system-demo $(STAMP)
	$(VENV)/bin/idv demo

# The linter and the type checker (configured in pyproject.toml; strict on the domain) before the tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: services lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Accuracy evaluations on ../shared/data (minutes).
test-slow: services $(STAMP)
	$(VENV)/bin/pytest -m slow $(PYTEST_ARGS)

clean:
	rm -rf var .pytest_cache
