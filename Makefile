# Akhbar — every target does its own set-up (virtualenv, pinned deps, stack artifacts), idempotently.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help venv run test test-unit lint format stack-up stack-down stack-status status clean \
        train-ner cv-ner train-topics bench lock

help:
	@echo "make run          start the stack and the three services on the offline demo source (Ctrl-C stops)"
	@echo "make test         run the whole test suite against real Kafka + Elasticsearch"
	@echo "make test-unit    tests that need no services"
	@echo "make stack-up     start the local Kafka + Elasticsearch (no Docker)   make stack-down  stop them"
	@echo "make status       topics, lag, dead letters, indices, aliases, model versions (akhbar status)"
	@echo "                  everything else: .venv/bin/akhbar --help"
	@echo "make lint         ruff + mypy"
	@echo "make train-ner    retrain the NER model      make train-topics  retrain the topic model"
	@echo "make entity-aliases  rebuild the canonical-entity alias table (after editing entities/data/seed.tsv)"
	@echo "make bench        run the benchmarks in bench/"
	@echo "make faults       fault-injection suite       make scale  scale-out on a 3-broker + 2-node ES cluster"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade 'pip>=24'
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

venv: $(STAMP)

run: $(STAMP)
	$(PY) scripts/run_pipeline.py

test: $(STAMP)
	scripts/test.sh

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

lint: $(STAMP)
	$(VENV)/bin/ruff check services tests bench scripts
	$(VENV)/bin/ruff format --check services tests bench scripts
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format services tests bench scripts
	$(VENV)/bin/ruff check --fix services tests bench scripts

# through the CLI: the stack starts on the ports KAFKA_BOOTSTRAP_SERVERS / ELASTICSEARCH_URL name
stack-up: $(STAMP)
	$(VENV)/bin/akhbar stack up

stack-down: $(STAMP)
	$(VENV)/bin/akhbar stack down

stack-status: $(STAMP)
	$(VENV)/bin/akhbar stack status

status: $(STAMP)  ## topics, lag, dead letters, indices, aliases, model versions
	$(VENV)/bin/akhbar status

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^akhbar' > constraints.txt

TRAIN_STAMP := $(VENV)/.installed-train
NER_DATA_DIR ?= ../shared/data

$(TRAIN_STAMP): $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,train]'
	@touch $@

train-ner: $(TRAIN_STAMP)  ## retrain the NER tagger reproducibly (word clusters + CRF on ANERcorp's first 5/6 + NewsFANE), ~15 min on 1 core
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 nice -n 10 $(PY) scripts/train_word_clusters.py --data-dir $(NER_DATA_DIR)
	OMP_NUM_THREADS=1 PYTHONHASHSEED=0 nice -n 10 $(PY) scripts/train_ner.py --data-dir $(NER_DATA_DIR) --newsfane 1
	$(PY) -m pytest -q tests/unit/test_ner.py tests/unit/test_ner_rules.py

cv-ner: $(TRAIN_STAMP)  ## blocked 5-fold CV of the NER training recipe over ANERcorp's first 5/6 (~35 min); fold models in build/ner/cv
	mkdir -p build/ner/cvwork && cp services/enricher/models/ner/lexicon.tsv.gz build/ner/cvwork/
	OMP_NUM_THREADS=1 PYTHONHASHSEED=0 nice -n 10 $(PY) scripts/train_ner.py --data-dir $(NER_DATA_DIR) --newsfane 1 \
	  --cv-folds 5 --cv-keep build/ner/cv --out-dir build/ner/cvwork
	$(PY) scripts/eval_ner.py --data-dir $(NER_DATA_DIR) --part cv --cv-dir build/ner/cv

train-topics: $(STAMP)  ## retrain the topic model into services/enricher/models/topics (~5-8 min, 1 core)
	nice -n 10 $(PY) scripts/train_topics.py $(if $(DATA_DIR),--data-dir $(DATA_DIR))
	$(PY) -m pytest -q tests/unit/test_topics.py

.PHONY: entity-aliases
entity-aliases: $(STAMP)  ## rebuild services/enricher/entities/data/aliases.tsv from seed.tsv, CLDR and the NER corpora (D20)
	$(PY) scripts/build_entity_aliases.py --data-dir $(NER_DATA_DIR)
	$(PY) -m pytest -q tests/unit/test_entities.py

clean:
	deploy/local/stack.sh down || true
	rm -rf $(VENV) .stack .state .pytest_cache .mypy_cache .ruff_cache

.PHONY: faults
faults: $(STAMP)  ## the fault-injection suite at full size (N articles per case) → bench/results/faults.md
	scripts/faults.sh $(or $(N),2000)

.PHONY: scale
scale: $(STAMP)  ## scale-out on a 3-broker Kafka + 2-node ES cluster (2 of each service, a broker killed) → bench/results/scale.md
	SCALE_N=$(or $(SCALE_N),1200) SCALE_RATE=$(or $(SCALE_RATE),10) scripts/scale.sh
