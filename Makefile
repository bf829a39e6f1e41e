# The two commands of the README: `make run` and `make test`. Everything else is a helper for them.
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: install run test bench browser-deps clean

$(VENV)/bin/python:
	$(PYTHON_BIN) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

run: install
	PORT=$(PORT) $(PY) -m config.devrun

# A throwaway PostgreSQL and Redis around the whole suite, unless DATABASE_URL / REDIS_URL point at real ones.
# Browser tests (pytest -m browser) drive Debian's Chromium through Playwright; installed only when missing.
# Debian's Chromium for the browser tests (Playwright's own browser download needs the internet).
browser-deps:
	@test -x /usr/bin/chromium || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver; }

test: install browser-deps
	$(PY) -m config.embedded -- $(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m config.embedded -- $(PY) -m bench

clean:
	rm -rf $(VENV) var
