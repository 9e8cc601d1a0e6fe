# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# checkov pins boto3 1.35 (below the project's range), so it lives in a venv of its own
CHECKOV_VENV  := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CHECKOV_SPEC  := checkov>=3.2,<4

.PHONY: demo test bench score gallery screenshots install browser clean checkov

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

test: $(STAMP) $(CHECKOV_STAMP) browser
	$(BIN)/python -m pytest -n auto --dist loadgroup --durations=15

# deploy/ scanned by checkov alone (make test runs it too, in tests/deploy/test_lint.py)
checkov: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

# The web chat's browser test drives Debian's chromium with chromium-driver. Installed here when
# missing and we are root with apt (CI); elsewhere the test is skipped and says why.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium and chromium-driver for the browser test (apt-get) ..."; \
		export DEBIAN_FRONTEND=noninteractive; \
		{ apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends chromium chromium-driver; } \
			>/tmp/athena-bot-apt.log 2>&1 \
			|| echo "Could not install chromium (see /tmp/athena-bot-apt.log); the browser test will say so."; \
	fi

bench: $(STAMP)
	$(BIN)/python -m bench

# one PNG per chart shape, drawn from real answers on the sample lake, into charts-out/ (ignored by git)
gallery: $(STAMP)
	$(BIN)/python -m bench.gallery --out charts-out

# the README's pictures of an answer in Slack and in Teams: real blocks and card as HTML, captured
# with headless Chromium into docs/images/ (committed)
screenshots: $(STAMP) browser
	$(BIN)/python -m bench.screens --out docs/images

# accuracy and answered-but-wrong rate of question sets through the jsonl CLI, with the misses
score: $(STAMP)
	$(BIN)/python -m tests.dev_set.score $(or $(SETS),dev blind saas hr clauses clauses_saas)

clean:
	rm -rf $(VENV) .lake .athena-bot build *.egg-info
