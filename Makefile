# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench score gallery install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/athena-bot demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# one PNG per chart shape, drawn from real answers on the sample lake, into charts-out/ (ignored by git)
gallery: $(STAMP)
	$(BIN)/python -m bench.gallery --out charts-out

# accuracy and answered-but-wrong rate of question sets through the jsonl CLI, with the misses
score: $(STAMP)
	$(BIN)/python -m tests.dev_set.score $(or $(SETS),dev blind saas hr)

clean:
	rm -rf $(VENV) .lake .athena-bot build *.egg-info
