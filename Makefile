# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# checkov pins boto3 1.35 (below the project's range), so it lives in a venv of its own
CHECKOV_VENV  := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CHECKOV_SPEC  := checkov>=3.2,<4

.PHONY: demo test bench score install clean checkov

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHECKOV_STAMP): | $(STAMP)
	test -x $(CHECKOV_VENV)/bin/python || $(BIN)/python -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet '$(CHECKOV_SPEC)'
	touch $(CHECKOV_STAMP)

install: $(STAMP) $(CHECKOV_STAMP)

demo: $(STAMP)
	$(BIN)/athena-bot demo

test: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/python -m pytest

# deploy/ scanned by checkov alone (make test runs it too, in tests/deploy/test_lint.py)
checkov: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

bench: $(STAMP)
	$(BIN)/python -m bench

# accuracy and answered-but-wrong rate of question sets through the jsonl CLI, with the misses
score: $(STAMP)
	$(BIN)/python -m tests.dev_set.score $(or $(SETS),dev blind saas hr)

clean:
	rm -rf $(VENV) .lake .athena-bot build *.egg-info
