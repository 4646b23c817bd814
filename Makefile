# Two commands set everything up on a fresh machine:
#   make demo   runs mxa demo on the bundled sample mailbox (sample_data/)
#   make test   runs the whole test suite (lint, format check, pytest, a minute of fuzzing
#               the parser and a minute of fuzzing the analysis)
# Each creates the virtual environment it needs in .venv. make demo needs only Python (and a
# C compiler if there is one: without it, mxa runs its pure-Python fallback); make test also
# installs the test tools: pytest, ruff and the fuzzers into .venv, and, with apt-get if
# missing, GnuPG, Chromium, gcc and Dovecot, which the tests run.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mxa-installed
TEST_TOOLS := $(VENV)/.mxa-test-tools
BUILT := $(VENV)/.mxa-built
DEMO_OUT ?= mxa-demo
FUZZ_CI_SECONDS ?= 60
FUZZ_SECONDS ?= 3600
TEST_WORKERS ?= auto

.PHONY: demo test lint format fuzz bench bench-quick bench-throughput bench-cost-curve bench-imap bench-pst screenshots clean

# mxa and what it imports: all that make demo needs.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[outlook]'
	touch $(STAMP)

# What the tests, the fuzzers and the benchmarks need besides: the dev extra, and the programs
# they start (GnuPG for the sample's keys, headless Chromium for the report, gcc for the C
# module, Dovecot for IMAP on loopback).
$(TEST_TOOLS): $(STAMP)
	@command -v gpg >/dev/null && command -v chromium >/dev/null && command -v gcc >/dev/null \
	  && command -v dovecot >/dev/null \
	  || (apt-get update -qq && apt-get install -y -qq gnupg chromium gcc dovecot-imapd)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(TEST_TOOLS)

# The C half of the hot path, rebuilt in place when its source changes.
$(BUILT): $(STAMP) analyzer/_fast.c
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(BUILT)

demo: $(BUILT)
	$(BIN)/mxa demo --out $(DEMO_OUT)
	@echo "mxa is installed in $(VENV): run '. $(VENV)/bin/activate' to have it on your PATH"

# One PNG per report section, as a reader sees it in Chromium: the demo's report and the
# redacted archive report of a real mailing list (from the real corpora: tests/real_mail.py).
# Then whole pages at 1280 and 390 px wide, in $(FULL_PAGE): those two reports
# (sample-report-*, linux-mips-report-*) and what the terminal shows of an audit given a
# mistyped --me, which stops with exit 2 (mistyped-me-*, its page mistyped-me.html).
MXA_CORPORA ?= ../shared/corpora
MIPS := $(MXA_CORPORA)/list-linux-mips-1996-1999/linux-mips-1996-1999.mbox
FULL_PAGE := $(DEMO_OUT)/screenshots/full-page
SHOT_WIDTHS := 1280,390
SHOT := $(BIN)/python tools/report_screenshots.py
screenshots: $(TEST_TOOLS) demo
	$(SHOT) $(DEMO_OUT)/report.html --out $(DEMO_OUT)/screenshots
	$(BIN)/mxa audit $(MIPS) --out mxa-mips --redact --quiet
	$(SHOT) mxa-mips/redacted/report.html --out mxa-mips/screenshots
	$(SHOT) $(DEMO_OUT)/report.html --full-page --widths $(SHOT_WIDTHS) \
	  --name sample-report --out $(FULL_PAGE)
	$(SHOT) mxa-mips/redacted/report.html --full-page --widths $(SHOT_WIDTHS) \
	  --name linux-mips-report --out $(FULL_PAGE)
	PATH="$(abspath $(BIN)):$$PATH" $(SHOT) --expect-exit 2 --widths $(SHOT_WIDTHS) \
	  --terminal "mxa audit sample_data --me maya.lindqvist@gmial.com --out $(DEMO_OUT)/mistyped-me" \
	  --name mistyped-me --out $(FULL_PAGE)

lint: $(TEST_TOOLS) $(BUILT)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The test files are spread over the machine's cores (pytest-xdist; a file's tests stay
# together, so its fixtures are made once): TEST_WORKERS=0 runs them in this one process.
test: lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)

# Fuzzing, FUZZ_SECONDS, both fuzzers side by side: the per-message pipeline
# (coverage-guided; the log is fuzz/.last-run.log, a crashing input lands in fuzz/crashes/
# and the end of the log says which), and the analysis with every document over damaged
# stores (fuzz/.last-analysis-run.log, a failing store kept in fuzz/crashes/analysis-seed-N/).
fuzz: $(TEST_TOOLS) $(BUILT)
	@echo "fuzzing the per-message pipeline and the analysis for $(FUZZ_SECONDS) s"
	@$(BIN)/python fuzz/fuzz_pipeline.py --seconds $(FUZZ_SECONDS) > fuzz/.last-run.log 2>&1 & \
	  pipeline=$$!; \
	  $(BIN)/python fuzz/fuzz_analysis.py --seconds $(FUZZ_SECONDS) \
	    > fuzz/.last-analysis-run.log 2>&1; analysis=$$?; \
	  wait $$pipeline || { tail -40 fuzz/.last-run.log; exit 1; }; \
	  [ $$analysis = 0 ] || { tail -40 fuzz/.last-analysis-run.log; exit 1; }
	@grep -a "^stat::number_of_executed_units\|^stat::new_units_added" fuzz/.last-run.log
	$(BIN)/python fuzz/account.py
	@tail -1 fuzz/.last-analysis-run.log

format: $(TEST_TOOLS) $(BUILT)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Slow measurements, outside the test suite: see benchmarks/README.md.
bench: $(TEST_TOOLS) $(BUILT)
	$(BIN)/python benchmarks/ingest_speed.py
	$(BIN)/python benchmarks/components.py

# The throughput targets: mxa ingest against a pure split and two readers, 200,000 messages.
bench-throughput: $(TEST_TOOLS) $(BUILT)
	$(BIN)/python benchmarks/throughput.py

bench-quick: $(TEST_TOOLS) $(BUILT)
	$(BIN)/python benchmarks/ingest_speed.py --messages 2000

# Ingest and analysis at 10,000, 100,000 and 1,000,000 messages (about 40 minutes, 20 GB of
# generated mbox in benchmarks/.cache): the table and plot in benchmarks/README.md.
# IMAP on loopback: a Dovecot started for the run, 20,000 generated messages in one folder.
bench-imap: $(TEST_TOOLS) $(BUILT)
	$(BIN)/python benchmarks/imap_throughput.py

# Outlook PSTs: copies of the real samples against the same messages as an mbox (a minute).
bench-pst: $(TEST_TOOLS) $(BUILT)
	$(BIN)/python benchmarks/pst_throughput.py

bench-cost-curve: $(TEST_TOOLS) $(BUILT)
	$(BIN)/python benchmarks/cost_curve.py --plot benchmarks/cost-curve.png

clean:
	rm -rf $(VENV) $(DEMO_OUT) mxa-mips .pytest_cache .ruff_cache
