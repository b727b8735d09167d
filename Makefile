# One task file; CI calls `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8000
DEMO    := build/demo
STORE   := build/store

.PHONY: install run demo test lint bench bench-quick clean messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	test ! -f package.json || npm install --no-audit --no-fund --silent
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/hvp demo --out $(DEMO) --force
	rm -rf $(STORE) $(dir $(STORE)).$(notdir $(STORE)).hvp
	$(BIN)/hvp --store $(STORE) ingest $(DEMO)
	$(BIN)/hvp --store $(STORE) indicators --years 2020-2024 --by nation
	# the pages' default date, with its evidence (the indicators keep only each patent's interval)
	$(BIN)/hvp --store $(STORE) classify --as-of 2024-12-31 -o /dev/null

run: demo
	$(BIN)/hvp --store $(STORE) serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check kg web tests bench
	$(BIN)/mypy

BENCHES := ingest classify indicators timeline validate web load pages engines scale search

bench: $(STAMP)
	for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; done

bench-quick: $(STAMP)
	for b in $(BENCHES); do echo "== bench/$$b.py --quick"; $(BIN)/python bench/$$b.py --quick || exit 1; done

clean:
	rm -rf build $(VENV) node_modules

# The errors whose message (a template, kg/errors.py) the interface translates, and kg.Word (an
# English phrase given as a value): NAME[:ARGUMENT].
ERROR_KEYWORDS = -k KGError -k InputError -k RowError:4 -k CompileError -k QueryError -k Refused \
	-k QueryTimeout -k LimitExceeded -k Busy -k Queued -k TooLarge -k NotFound -k StoreError \
	-k StoreInUse -k Problem:3 -k BadValue -k Broken -k Word -k ServiceFailed

# New interface strings into the translators' catalogue (web/translations/*/LC_MESSAGES/messages.po).
messages: $(STAMP)
	mkdir -p build
	PYTHONPATH=. $(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output $(ERROR_KEYWORDS) \
		-o build/messages.pot web kg
	$(BIN)/pybabel -q update -i build/messages.pot -d web/translations -w 100 --no-fuzzy-matching --ignore-obsolete
