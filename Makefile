# vanban — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_PACKAGES := python3-venv tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd poppler-utils \
	fonts-dejavu-core fonts-noto-core hunspell-vi chromium
SAMPLES ?= samples
DATA ?= data

.PHONY: run test setup system venv lint typecheck bench repro clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

setup: system venv  ## install system packages and the virtual environment

system:  ## apt packages (Tesseract with Vietnamese, poppler, fonts, chromium) when missing
	@bash scripts/install-system.sh $(APT_PACKAGES)

LM_MODEL := dictionaries/restore/lm-default.pkl
LM_INPUTS := pipeline/lm_build.py pipeline/lm.py pipeline/lmtables.py pipeline/vnsyllable.py \
	$(wildcard dictionaries/restore/*.txt dictionaries/restore/*.tsv samples/*.txt)

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/pip || { rm -rf $(VENV) && python3 -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# The restoration model is built from package data (offline) and rebuilt when its inputs change.
$(LM_MODEL): $(STAMP) $(LM_INPUTS)
	$(PY) -m pipeline.lm_build

venv: $(STAMP) $(LM_MODEL)  ## the .venv with the package installed, and the language model

run: setup  ## the main job: samples/ -> data/
	$(VENV)/bin/vanban run $(SAMPLES) --out $(DATA)

test: setup  ## the test suite (lint, types, tests)
	$(VENV)/bin/ruff check pipeline tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -n 2 --durations=15

lint: venv
	$(VENV)/bin/ruff check pipeline tests benchmarks
	$(VENV)/bin/ruff format --check pipeline tests benchmarks

bench: setup  ## benchmarks: baseline beside the project, one table each
	$(PY) benchmarks/extract.py
	$(PY) benchmarks/restore.py
	$(PY) benchmarks/ocr.py
	$(PY) benchmarks/scale.py

repro: setup  ## the DVC pipeline
	$(VENV)/bin/dvc repro

clean:
	rm -rf $(DATA)/*.parquet $(DATA)/text $(DATA)/.work
