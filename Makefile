# Territoires task runner. `make demo` and `make test` work on a fresh machine with
# Python 3.11: they bootstrap uv (into .tools/) and install the locked dependencies.

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
# the README's commands are `.venv/bin/territoires …`: the environment is always ./.venv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
PORT ?= 8501
POSTS ?= 20000

.PHONY: demo serve test test-fast lint typecheck bench clean FORCE

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

# SYNC_EXTRAS="--extra spark" adds pyspark (`--engine spark`, needs Java; .ci/run sets it).
# The stamp holds the extras it was synced with: asking for other extras syncs again (a
# `make demo` before `.ci/run` in one checkout left pyspark out of the CI's environment).
SYNC_EXTRAS ?=
.venv/.synced: pyproject.toml uv.lock FORCE | $(UV)
	@if [ ! -f $@ ] || [ pyproject.toml -nt $@ ] || [ uv.lock -nt $@ ] \
	    || [ "$$(cat $@)" != "$(SYNC_EXTRAS)" ]; then \
	  $(UV) sync --frozen $(SYNC_EXTRAS) && echo "$(SYNC_EXTRAS)" > $@; fi

demo: .venv/.synced  ## build the demo warehouse and open the dashboard on http://localhost:$(PORT)
	$(UV) run territoires demo --posts $(POSTS) --port $(PORT)

serve: .venv/.synced
	$(UV) run territoires serve --port $(PORT)

# the sign-in tests' local OpenID Connect provider, as locked (without npm they skip, saying so)
tests/oidc/node_modules/.package-lock.json: tests/oidc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the sign-in browser tests will be skipped"; fi

test: .venv/.synced tests/oidc/node_modules/.package-lock.json  ## the whole test suite (browser tests need Debian's chromium)
	$(UV) run pytest

test-fast: .venv/.synced
	$(UV) run pytest -m "not browser and not slow"

lint: .venv/.synced
	$(UV) run ruff check .

typecheck: .venv/.synced
	$(UV) run mypy

bench: .venv/.synced
	$(UV) run python -m bench --posts 1000000

clean:
	rm -rf .venv .tools artifacts .pytest_cache
FORCE:
