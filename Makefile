# PyTorch: Principles and Practice. The commands a reader needs:
#   make book   set up from nothing, build the site, print (and open) where it is
#   make test   set up from nothing, prepare offline data, run every test (what CI runs)
#   make lab    set up from nothing, open JupyterLab on the notebooks to run them yourself
# Everything else here is a step of those two, or a maintainer's tool (execute, test-gpu).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
SHARED_DATA ?= ../shared/data
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SITE := _build/html
APT_INSTALL := $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q

# The data root, and the environment notebooks are executed and tested in (tools/notebook.env,
# shared with tools/gpu_lane.sh). With the offline mirror beside the project nothing is ever
# downloaded; without it (a public CI host) the loaders download.
export TORCHBOOK_DATA ?= $(CURDIR)/data
OFFLINE := $(if $(wildcard $(SHARED_DATA)),1,0)
NB_ENV := TORCHBOOK_OFFLINE=$(OFFLINE) $(shell grep -v '^\#' tools/notebook.env | sed 's|^IPYTHONDIR=|IPYTHONDIR=$(CURDIR)/|')
NBVAL := $(PY) -m pytest --nbval  # nbval's settings: addopts in pyproject.toml
MODE ?= full
NB ?=

.PHONY: book test lab venv node sysdeps data lint unit i18n nbval build build-en build-zh catalogs site pdf execute lane-cpu test-gpu clean help

help:
	@echo "make book      build the book (English and 中文) and print where to open it"
	@echo "make test      run every test: lint, unit, notebooks (nbval, fast mode), build, built site"
	@echo "make lab       JupyterLab on the notebooks, to run them yourself (MODE=fast for small runs)"
	@echo "make pdf       the whole book as one PDF per edition: _build/pdf/book-en.pdf, book-zh.pdf (and their test)"
	@echo "make catalogs  after editing English text: update the zh catalogs and zh notebooks"
	@echo "make execute   execute notebooks in place (MODE=full|fast, NB=path to choose one)"
	@echo "make lane-cpu  every notebook in full mode under nbval on the CPU: reports/cpu-full-lane.md"
	@echo "make test-gpu  nbval in full mode on a CUDA machine, with a report in reports/"

# ----------------------------------------------------------------------------- setup
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt code/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# Debian packages the tests need: Chromium for the site checks, npm for the site's browser
# assets, Noto CJK for the Chinese in screenshots and the PDF, poppler-utils to read the PDFs
# back (pdftotext), Fashion-MNIST (exact copy).
sysdeps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	[ -d /usr/share/datasets/fashion-mnist ] || missing="$$missing dataset-fashion-mnist"; \
	if [ -n "$$missing" ]; then \
		echo "apt-get install:$$missing"; \
		$(APT_INSTALL) $$missing; \
	fi

# The site's assets from npm (package.json): KaTeX, which typesets the maths when the site is built
# (run by node: _ext/torchbook_site/maths.py), and axe-core for the accessibility test.
# npm itself comes from Debian when it is missing (make test installs it with the other packages).
node: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "apt-get install: npm"; $(APT_INSTALL) npm; }
	npm ci --no-audit --no-fund --loglevel=error

# Offline copies laid out where the loaders look (readers online need none of this).
data: venv
	@if [ -d "$(SHARED_DATA)" ]; then \
		$(PY) -m torchbook.mirror prepare --from "$(SHARED_DATA)"; \
	else \
		echo "No offline mirror at $(SHARED_DATA): downloading the data sets."; \
		$(PY) -m torchbook.mirror download; \
	fi

# ----------------------------------------------------------------------------- the book
# Both editions, side by side (one core each): _build/html/en/, _build/html/zh/ (the same
# notebooks, the prose from locales/zh_CN), and _build/html/index.html to choose between them.
build: venv node
	$(MAKE) --no-print-directory -j2 build-en build-zh
	$(PY) -c 'import sys; sys.path.insert(0, "tools"); import book; print(book.write_chooser())'

build-en build-zh: build-%: venv node
	$(PY) tools/book.py html $*

book: build
	@echo
	@echo "The book is built. Open it in a browser:"
	@echo "  English:  file://$(CURDIR)/$(SITE)/en/intro.html"
	@echo "  中文版:   file://$(CURDIR)/$(SITE)/zh/intro.html"
	@echo "  (both, to choose: file://$(CURDIR)/$(SITE)/index.html)"
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ] || [ "$$(uname)" = Darwin ]; then \
		$(PY) -m webbrowser -t "file://$(CURDIR)/$(SITE)/index.html" >/dev/null 2>&1 || true; \
	fi

# JupyterLab on the notebooks, to run them yourself: the English pages in chapters/, the Chinese
# edition's in locales/zh_CN/notebooks/chapters/. Kernels are the book's environment (the
# venv's kernel spec comes first on JUPYTER_PATH) with the data root (TORCHBOOK_DATA), no downloads
# when the offline mirror is beside the project, and the run mode MODE (full unless MODE=fast).
# The server listens on loopback only and prints its URL with the token. LAB_PORT is the first
# port tried (0: any free one); LAB_ARGS adds jupyter-lab options (the browser test: --no-browser).
LAB_PORT ?= 8888
LAB_ARGS ?=
lab: venv data
	@case "$(MODE)" in full|fast) ;; *) echo "MODE=$(MODE) is not a run mode: use MODE=full or MODE=fast"; exit 2;; esac
	@echo
	@echo "JupyterLab on the book, run mode $(MODE)$(if $(filter full,$(MODE)), (for small, fast runs: make lab MODE=fast)). Open a page and choose Run > Run All Cells:"
	@echo "  English:  chapters/          (start with chapters/01_background/01_2_running_the_book.ipynb)"
	@echo "  中文版:   locales/zh_CN/notebooks/chapters/"
	@echo "Open the URL with its token printed below (http://127.0.0.1:...). Ctrl-C stops the server."
	@echo
	@open=False; root=""; \
	if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ] || [ "$$(uname)" = Darwin ]; then open=True; fi; \
	if [ "$$(id -u)" = 0 ]; then root=--allow-root; fi; \
	TORCHBOOK_MODE=$(MODE) TORCHBOOK_OFFLINE=$(OFFLINE) JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter \
	exec $(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) --ServerApp.ip=127.0.0.1 \
		--ServerApp.port=$(LAB_PORT) --ServerApp.open_browser=$$open $$root $(LAB_ARGS)

# The Chinese edition's catalogs after an English edit: new strings enter untranslated, edited
# ones fuzzy (translate them: CONTRIBUTING.md), then regenerate the zh notebooks.
catalogs: venv
	$(PY) tools/i18n.py extract
	$(PY) tools/i18n.py notebooks

# ----------------------------------------------------------------------------- tests
# Steps that use one core each run two at a time: pip beside apt-get, then the data, lint and
# i18n checks; the tests and the builds use both cores themselves.
PAIRED := $(MAKE) --no-print-directory -j2 --output-sync=target
test:
	$(PAIRED) venv sysdeps
	$(MAKE) --no-print-directory node
	$(PAIRED) data lint i18n
	$(MAKE) --no-print-directory unit nbval build site
	@echo "make test: all lanes passed"

# ruff (configured in pyproject.toml [tool.ruff]): lint and formatting of the Python code
lint: venv
	$(PY) -m ruff check code tests tools bench _ext
	$(PY) -m ruff format --check code tests tools bench _ext

# The Chinese edition: every string of the current sources translated (fuzzy counts as not),
# each translation consistent with its English, the zh notebooks generated from both.
i18n: venv
	$(PY) tools/i18n.py check --current
	$(PY) tools/i18n.py notebooks --check

# Two workers, one test file each (tests/test_broken_variants.py executes notebooks; tests/ext
# builds small books, whose maths KaTeX typesets: node).
unit: venv node
	$(PY) -m pytest tests --ignore=tests/site -n 2 --dist loadfile --durations=8

# Notebooks in parallel, one per worker (each kernel has one CPU thread: NB_ENV).
NBVAL_WORKERS ?= 2
nbval: venv
	$(NB_ENV) TORCHBOOK_MODE=fast $(NBVAL) -n $(NBVAL_WORKERS) --dist loadfile $(or $(NB),chapters)

# Internal links and #anchors of every page of both editions and of the page that chooses the
# edition (tools/check_links.py; external URLs are not fetched: CI has no internet; the two PDFs of
# every page's download menu exist after `make pdf`: tests/site/test_pdf.py); then the browser
# checks of tests/site, one file per worker.
site: venv node
	$(PY) tools/check_links.py $(SITE)/en $(SITE)/zh $(SITE)/index.html --ignore '.*/pdf/book-(en|zh)\.pdf$$'
	$(PY) -m pytest tests/site --ignore=tests/site/test_pdf.py -n 2 --dist loadfile --durations=8

# The whole book as one PDF per edition: each edition's single-page build printed by headless
# Chromium (_build/pdf/book-en.pdf, book-zh.pdf), then checked.
pdf: venv node sysdeps
	$(PY) _ext/print_pdf.py en zh
	$(PY) -m pytest tests/site/test_pdf.py -q

execute: venv
	$(NB_ENV) TORCHBOOK_MODE=$(MODE) $(PY) tools/execute.py $(NB)

# The CPU full lane: every notebook (or NB=...) in full mode under nbval on the CPU, two workers,
# one notebook each, then the report reports/cpu-full-lane.{md,json} (tools/gpu_report.py: per page
# its seconds, result and the hash of what was checked, which the pages' stamps compare).
# LANE_OUT=/tmp/x.md writes the report elsewhere (a try on a few pages).
LANE_OUT ?= reports/cpu-full-lane.md
LANE_JUNIT ?= $(basename $(LANE_OUT))-junit.xml
lane-cpu: venv data
	mkdir -p $(dir $(LANE_OUT)) $(dir $(LANE_JUNIT))
	$(NB_ENV) TORCHBOOK_MODE=full $(NBVAL) -n $(NBVAL_WORKERS) --dist loadfile --junitxml=$(LANE_JUNIT) \
		$(or $(NB),chapters) || status=$$?; \
	$(NB_ENV) $(PY) tools/gpu_report.py $(LANE_JUNIT) --out $(LANE_OUT) --mode full --title "Full-mode lane report (CPU)"; \
	rm -f $(LANE_JUNIT); exit $${status:-0}

# GPU lane: every notebook in full mode on CUDA, compared by nbval, with a report.
test-gpu: venv data
	mkdir -p reports
	$(NB_ENV) TORCHBOOK_MODE=full TORCHBOOK_DEVICE=cuda $(NBVAL) chapters \
		--junitxml=reports/gpu-junit.xml || status=$$?; \
	$(NB_ENV) $(PY) tools/gpu_report.py reports/gpu-junit.xml --out reports/gpu-lane.md; \
	exit $${status:-0}

clean:
	rm -rf _build
