# The two commands a new user needs: `make run` (demo data, dashboard on localhost) and
# `make test` (lint and the whole test suite, the browser smoke test included).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := data/demo
# A portal of your own: PORTAL_CONFIG=/path/portal.toml make run
PORTAL_CONFIG ?= $(DEMO_DIR)/portal.toml
# The dashboard listens on loopback only; put nginx with HTTPS in front (docs/deploy.md)
# rather than setting ADDRESS=0.0.0.0.
ADDRESS ?= 127.0.0.1
PORT ?= 8501

.PHONY: run load demo test lint clean

run: $(BIN)/.installed-run load
	PORTAL_CONFIG=$(PORTAL_CONFIG) $(BIN)/streamlit run app.py \
		--server.address $(ADDRESS) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# The demo is (re)generated when missing or written before it had demo users
# (no `demo = true` under [auth]); after its load, one demo user per role is created.
load: $(BIN)/.installed-run
	@if [ "$(PORTAL_CONFIG)" = "$(DEMO_DIR)/portal.toml" ] && \
		! grep -qx 'demo = true' "$(PORTAL_CONFIG)" 2>/dev/null; then \
		$(BIN)/python -m etl demo --out $(DEMO_DIR) --end-date yesterday; \
	fi
	$(BIN)/python -m etl load --config $(PORTAL_CONFIG)
	@if [ "$(PORTAL_CONFIG)" = "$(DEMO_DIR)/portal.toml" ]; then \
		$(BIN)/python -m dashboard.users --config $(PORTAL_CONFIG) demo; \
	fi

demo: $(BIN)/.installed-run
	$(BIN)/python -m etl demo --out $(DEMO_DIR) --end-date yesterday

test: $(BIN)/.installed-dev lint
	$(BIN)/python -m pytest

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint queries etl/marts

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required; set PYTHON=python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(BIN)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(BIN)/.installed-run

clean:
	rm -rf $(VENV) $(DEMO_DIR) build
