# The two commands a new user needs: `make run` (demo data, dashboard on localhost) and
# `make test` (lint and the whole test suite, the browser smoke test included).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := data/demo
# A portal of your own: PORTAL_CONFIG=/path/portal.toml make run
PORTAL_CONFIG ?= $(DEMO_DIR)/portal.toml
ADDRESS ?= 127.0.0.1
PORT ?= 8501

.PHONY: run load demo test lint clean

run: $(BIN)/.installed-run load
	PORTAL_CONFIG=$(PORTAL_CONFIG) $(BIN)/streamlit run app.py \
		--server.address $(ADDRESS) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

load: $(BIN)/.installed-run
	@if [ "$(PORTAL_CONFIG)" = "$(DEMO_DIR)/portal.toml" ] && [ ! -f "$(PORTAL_CONFIG)" ]; then \
		$(BIN)/python -m etl demo --out $(DEMO_DIR) --end-date yesterday; \
	fi
	$(BIN)/python -m etl load --config $(PORTAL_CONFIG)

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
	rm -rf $(VENV) $(DEMO_DIR)
