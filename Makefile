# fundanalysis — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
OLDEST := .venv-oldest
STAMP  := $(VENV)/.installed-dev
YEARS  ?=
YEAR   ?= 2019
FUND   ?=
LAB_ARGS ?=
FUND_ARG = $(if $(FUND),--fund $(FUND),)

# Some machines (this one) set PYTHONDONTWRITEBYTECODE=1: then every process
# compiles the package again and pytest re-rewrites its plugins' modules
# (about 3 s per test process). Let Python cache bytecode (__pycache__ is git-ignored).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install report charts summary export test test-fast test-oldest typecheck lint lab bench extract-eval browser-deps clean-outputs

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) ## Create .venv and install the package with its test tools

report: $(STAMP) ## Build the HTML reports of every fund and year under data/raw (FUND=…, YEARS="2019 2020" to choose)
	$(BIN)/fundanalysis report $(FUND_ARG) $(foreach y,$(YEARS),--year $(y))
	@echo "Open outputs/index.html"

charts: $(STAMP) ## Export every chart of a year as PNG and SVG for briefings (YEAR=2019, FUND=…)
	$(BIN)/fundanalysis charts $(FUND_ARG) --year $(YEAR) --format png --format svg --dpi 300

summary: $(STAMP) ## Print a year's key figures as JSON (YEAR=2019, FUND=…)
	$(BIN)/fundanalysis summary $(FUND_ARG) --year $(YEAR)

export: $(STAMP) ## Write a year's computed tables to Excel, linked from its index page (YEAR=2019, FUND=…)
	$(BIN)/fundanalysis export $(FUND_ARG) --year $(YEAR) --xlsx

browser-deps: ## Install Debian's chromium + chromedriver for the browser test (needs root)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
	  echo "chromium and chromedriver present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
	  echo "WARNING: chromium/chromedriver missing and not root: the browser test will be skipped"; \
	fi

test: $(STAMP) browser-deps ## Set up, then run ruff, mypy and every test
	$(BIN)/ruff check $(wildcard src tests benchmarks)
	$(BIN)/mypy src/fundanalysis
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) ## The edit loop: ruff and the unit tests (no builds, no browser), under a minute
	$(BIN)/ruff check $(wildcard src tests benchmarks)
	HYPOTHESIS_PROFILE=fast $(BIN)/python -m pytest -q -m "not slow and not browser" -n 2 -p no:cacheprovider

test-oldest: $(STAMP) ## The unit tests on the oldest versions pyproject.toml allows (.venv-oldest; pins in ci/oldest.txt)
	$(BIN)/python ci/oldest.py
	@test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -c ci/oldest.txt -e '.[dev]'
	HYPOTHESIS_PROFILE=fast $(OLDEST)/bin/python -m pytest -q -m "not slow and not browser" -n 2 -p no:cacheprovider

typecheck: $(STAMP) ## mypy on the package (settings in pyproject.toml)
	$(BIN)/mypy src/fundanalysis

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check $(wildcard src tests benchmarks)
	$(BIN)/mypy src/fundanalysis

lab: $(STAMP) ## Install JupyterLab (the lab extra) and start it on the project (kernel "fundanalysis"; LAB_ARGS="--no-browser --port 8890")
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	$(BIN)/python -m ipykernel install --sys-prefix --name fundanalysis --display-name "fundanalysis (Python 3.11)" >/dev/null
	$(BIN)/python -m ipykernel install --user --name fundanalysis --display-name "fundanalysis (Python 3.11)" >/dev/null
	@if [ -d .git ]; then $(BIN)/nbstripout --install --attributes .gitattributes && \
	  git config filter.nbstripout.clean "'$(abspath $(BIN))/python' -m nbstripout --keep-id"; fi
	$(BIN)/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

extract-eval: $(STAMP) ## Quality of fundanalysis extract: 2019, the synthetic texts and the corpus of real reports (both sides)
	$(BIN)/python benchmarks/extract_eval.py

bench: $(STAMP) ## Benchmarks (medians and ratios, side by side); the figures go to benchmarks/results/latest.json
	@mkdir -p benchmarks/results
	$(BIN)/python benchmarks/run.py --json benchmarks/results/latest.json

clean-outputs: ## Remove everything generated (data/processed, outputs)
	rm -rf data/processed/* data/processed/.versions outputs/* outputs/.versions outputs/.locks
	@touch data/processed/.gitkeep outputs/.gitkeep
