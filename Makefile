# dataiku_gitops.dss — everything runs from a local virtualenv created from pinned requirements.
#   make demo   start local emulator nodes and run the main job against them
#   make test   the whole suite (sanity, lint, unit, emulator fidelity, integration through ansible-playbook, molecule)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Outside the checkout: inside it, ansible-test would list files through git and find none in an ignored dir.
COLLECTION_COPY := $(or $(TMPDIR),/tmp)/dataiku_gitops_dss-sanity/ansible_collections/dataiku_gitops/dss
PYTEST_WORKERS ?= 2

.PHONY: help venv test sanity units emulator-tests integration lint demo bench clean

help:
	@grep -E '^#   make' Makefile | sed 's/^#   //'

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==24.2
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# ansible-test only runs inside .../ansible_collections/<ns>/<name>: test a copy of the tracked files there.
$(COLLECTION_COPY): FORCE
	rm -rf $(COLLECTION_COPY) && mkdir -p $(COLLECTION_COPY)
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 -I{} cp --parents -P {} $(COLLECTION_COPY)/ 2>/dev/null || true
FORCE:

sanity: venv $(COLLECTION_COPY)
	$(BIN)/python tests/support/seed_get_pip.py
	cd $(COLLECTION_COPY) && PATH="$(CURDIR)/$(BIN):$$PATH" $(CURDIR)/$(BIN)/ansible-test sanity --venv --python 3.11 --color no

units: venv
	$(BIN)/pytest -q -p no:cacheprovider tests/unit

emulator-tests: venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) tests/emulator

integration: venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) tests/integration tests/benchmarks

# ansible-lint resolves the collection's own FQCNs through the link .build/collections (made by the test harness).
lint: venv
	$(BIN)/python -c "import sys; sys.path.insert(0, '.'); from tests.support.collection import ensure_collection_link; ensure_collection_link()"
	ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/.build/collections" PATH="$(CURDIR)/$(BIN):$$PATH" \
		$(BIN)/ansible-lint --offline --profile production

test: venv sanity lint
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) tests/unit tests/emulator tests/integration tests/benchmarks

demo: venv
	$(BIN)/python tests/demo/demo.py

bench: venv
	$(BIN)/python tests/benchmarks/bench_bundle_import.py --size-mib 1024

clean:
	rm -rf .build tests/output .pytest_cache
