# dataiku_gitops.dss — everything runs from a local virtualenv created from pinned requirements.
#   make demo   start local emulator nodes and run the main job against them (installs only what that needs)
#   make test   the whole suite (sanity, lint, unit, emulator fidelity, integration through ansible-playbook, molecule)
#   make test-fast   the developer loop: unit tests (module logic on the in-process emulator) and emulator fidelity
#   make test-packaging   the collection as an artifact: Galaxy build, EE, docsite, molecule, AWX, CI templates
#   make ci   what CI runs (.ci/run): make test, and make matrix-ci beside it
#   make demo-venv   the virtualenv of make demo (run-time requirements, the emulator's, ansible-core) and the link
#   make venv   the same plus the development tools of requirements-dev.txt (every other target runs it)
#   make test-guides   every guide of docs/ run as written (before a release: too long for CI's budget)
#   make docsite-guides   regenerate the docsite pages of the guides (docs/docsite/rst) after editing docs/*.md
SHELL := /bin/bash
PYTHON ?= python3
# A clone keeps its virtualenv in .venv. An installed collection (no .git) must stay byte-identical to what
# ansible-galaxy installed (`ansible-galaxy collection verify`): its virtualenv goes to the user's cache and Python
# writes no bytecode next to the installed files.
ifneq ($(wildcard .git),)
VENV ?= .venv
# A clone keeps bytecode (git ignores __pycache__, the Galaxy build leaves it out) even where the environment says
# otherwise: each emulator node, scenario subprocess and helper the tests start would compile its sources again.
unexport PYTHONDONTWRITEBYTECODE
else
VENV ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dataiku_gitops.dss/venv
export PYTHONDONTWRITEBYTECODE := 1
endif
BIN := $(VENV)/bin
# Two stamps: `make demo` installs requirements-demo.txt (the modules' run-time requirements, the emulator's and
# ansible-core), every other target requirements-dev.txt (that plus the development tools, several hundred MB).
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed
DEMO_REQUIREMENTS := requirements.txt requirements-demo.txt tests/dss_emulator/requirements.txt
# Outside the checkout: inside it, ansible-test would list files through git and find none in an ignored dir.
COLLECTION_COPY := $(or $(TMPDIR),/tmp)/dataiku_gitops_dss-sanity/ansible_collections/dataiku_gitops/dss
PYTEST_WORKERS ?= 2

.PHONY: help venv demo-venv test test-fast test-packaging ci suite logged-sanity logged-lint logged-test-packaging test-guides docsite-guides sanity units emulator-tests integration lint demo bench clean

help:
	@grep -E '^#   make' Makefile | sed 's/^#   //'

define install_requirements
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==24.2
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(1)
	touch $@
endef

$(DEMO_STAMP): $(DEMO_REQUIREMENTS)
	$(call install_requirements,requirements-demo.txt)

$(STAMP): $(DEMO_REQUIREMENTS) requirements-dev.txt
	$(call install_requirements,requirements-dev.txt)

# ansible.cfg finds the collection through the link .build/collections/ansible_collections/dataiku_gitops/dss.
LINK_COLLECTION := $(BIN)/python -c "import sys; sys.path.insert(0, '.'); from tests.support.collection import ensure_collection_link; ensure_collection_link()"

venv: $(STAMP)
	$(LINK_COLLECTION)

demo-venv: $(DEMO_STAMP)
	$(LINK_COLLECTION)

# ansible-test only runs inside .../ansible_collections/<ns>/<name>: test a copy of the tracked files there (one cp
# per batch of files: a cp per file cost about a CPU second per copy). Each ansible-core minor of the support matrix
# gets a copy of its own, so that their sanity runs can go at the same time. The virtualenv `--venv` runs ansible-test
# in (tests/output/.tmp/delegation: a bare venv and pip, about 4 CPU seconds to make) outlives the copy while its
# Python still starts: only the files under test are copied afresh.
define copy_collection
	keep=$(abspath $(1)/../../..)/delegation-venv; rm -rf $$keep; \
		if $(1)/tests/output/.tmp/delegation/python*/bin/python -c '' 2>/dev/null; then \
			mv $(1)/tests/output/.tmp/delegation $$keep; fi; \
		rm -rf $(1) && mkdir -p $(1) && \
		if [ -d $$keep ]; then mkdir -p $(1)/tests/output/.tmp && mv $$keep $(1)/tests/output/.tmp/delegation; fi
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 cp --parents -P -t $(1)/ 2>/dev/null || true
endef
$(COLLECTION_COPY): FORCE
	$(call copy_collection,$(COLLECTION_COPY))
FORCE:

sanity: venv $(COLLECTION_COPY)
	$(BIN)/python tests/support/seed_get_pip.py
	cd $(COLLECTION_COPY) && PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/ansible-test sanity --venv --python 3.11 --color no

# The loop to run while developing (CONTRIBUTING.md): no ansible-playbook run, about a minute on 2 cores.
test-fast: venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --durations=10 --cpu-report=10 -m "unit or emulator" tests/unit tests/emulator

units: venv
	$(BIN)/pytest -q -p no:cacheprovider --durations=10 tests/unit

emulator-tests: venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --durations=10 tests/emulator

integration: venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --durations=20 tests/integration tests/benchmarks

# ansible-lint resolves the collection's own FQCNs through the link .build/collections (made by `make venv`). A
# warning it prints (of Ansible's, or a Python warning of a dependency) fails the target too: a clean run prints none.
lint: venv
	@mkdir -p .build
	set -o pipefail; ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/.build/collections" PATH="$(abspath $(BIN)):$$PATH" \
		$(BIN)/ansible-lint --offline --profile production 2>&1 | tee .build/ansible-lint.out
	@! grep -n "WARNING" .build/ansible-lint.out || { echo "ansible-lint printed the warnings above"; exit 1; }

# Sanity, ansible-lint and the packaging tier are mostly single-threaded: they run beside the pytest suite rather
# than before it, which keeps both cores busy. Their output goes to .build/<part>.log, printed whole when the part
# ends; any failure fails the target.
test: venv
	$(MAKE) --no-print-directory -j4 suite logged-test-packaging logged-sanity logged-lint PACKAGING_WORKERS=1

# The banner gives each part's wall time and CPU seconds (user + sys of everything it ran), so that what sanity and
# lint cost stays visible beside the suite's and the packaging tier's --cpu-report.
logged-sanity logged-lint logged-test-packaging: logged-%: venv
	@mkdir -p .build; TIMEFORMAT="%0R s wall, %0U s user + %0S s sys"; \
		{ time $(MAKE) --no-print-directory $* > .build/$*.log 2>&1; } 2> .build/$*.time; rc=$$?; \
		echo; echo "==== make $* (exit $$rc; $$(cat .build/$*.time)) ===="; cat .build/$*.log; exit $$rc

# worksteal: a worker with no test left takes from the others' queues, each share ending on short tests
# (tests/support/run_order.py). One worker more than
# PYTEST_WORKERS: a promotion test spends part of its time waiting (its scenario runs polled, a landscape another
# worker is building, a lease lapsing), and the extra worker uses the core meanwhile.
SUITE_WORKERS ?= $(shell echo $$(($(PYTEST_WORKERS) + 1)))
suite: venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(SUITE_WORKERS) --dist worksteal --durations=30 --cpu-report=30 \
		-m "not guides and not packaging" tests/unit tests/emulator tests/integration tests/benchmarks

# The packaging tier (tests/conftest.py names its files): builds, installs and lints the collection as an artifact.
PACKAGING_WORKERS ?= $(PYTEST_WORKERS)
test-packaging: venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(PACKAGING_WORKERS) --dist loadfile --durations=10 --cpu-report=10 \
		-m "packaging and not guides" \
		tests/integration

# What CI runs: make test with make matrix-ci beside it (.ci/run says how).
ci:
	.ci/run

# Every guide of docs/ run as written against fresh emulator nodes (a few promotions each); about 15 min
# on 2 cores, so CI does not run it: run it before a release or after editing a guide.
test-guides: venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --durations=10 -m guides tests/integration/test_doc_commands.py

# The Markdown guides are the source; antsibull-docs reads the reStructuredText pages generated from them.
docsite-guides: venv
	$(BIN)/python tests/support/guide_pages.py

demo: demo-venv
	$(BIN)/python tests/demo/demo.py

bench: venv
	$(BIN)/python tests/benchmarks/bench_bundle_import.py --size-mib 1024

clean:
	rm -rf .build tests/output .pytest_cache

# ---- Support matrix (README "Support matrix", docs/testing.md) --------------------------------------------------
# Each ansible-core minor the collection supports gets a virtualenv .build/venv-<minor> made from
# tests/requirements/ansible-core-<minor>.txt with a Python that minor supports. 2.19 is the development .venv.
MATRIX_MINORS := 2.17 2.18 2.20 2.21
OLDEST := 2.17
NEWEST := 2.21
PYTHON_2.17 ?= python3.11
PYTHON_2.18 ?= python3.11
# python3.12 from PATH, else pyenv's newest 3.12 (pyenv's shim answers only for its selected versions).
PYTHON_3.12 := $(or $(shell command -v python3.12 >/dev/null 2>&1 && python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null),$(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python3.12))),python3.12)
PYTHON_2.20 ?= $(PYTHON_3.12)
PYTHON_2.21 ?= $(PYTHON_3.12)
# Full sanity on the oldest, the development and the newest minor; on the minors between (and on every minor with
# SANITY_SCOPE=selected, as CI runs it), the tests that depend on the ansible-core version (module documentation and
# argument specs, compilation, import).
SANITY_SELECTED := --test validate-modules --test ansible-doc --test compile --test import
INTEGRATION_NEWEST := tests/integration/test_dataiku_project.py tests/integration/test_dataiku_bundle.py \
	tests/integration/test_dataiku_connection_remap.py tests/integration/test_dataiku_scenario_run.py \
	tests/integration/test_promotion.py tests/integration/test_tls.py

.PHONY: matrix matrix-ci matrix-units matrix-venvs matrix-venv-build $(addprefix sanity-,$(MATRIX_MINORS)) $(addprefix units-,$(MATRIX_MINORS)) integration-newest

# A clean clone (CI) would build both virtualenvs of matrix-ci on every run: about 30 CPU-s and 3 minutes each. They
# are kept in MATRIX_CACHE instead, one per content of the minor's requirement files and Python version (the key), and
# .build/venv-<minor> links to it; the same requirements reuse it, changed ones build a new one. MATRIX_CACHE= (empty)
# builds in .build as before. flock: two runs building the same key take turns (a virtualenv cannot be moved).
MATRIX_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dataiku_gitops.dss/matrix-venvs
MATRIX_REQUIREMENTS = tests/requirements/ansible-core-$(1).txt tests/requirements/common.txt tests/dss_emulator/requirements.txt
matrix_key = $(shell { cat $(call MATRIX_REQUIREMENTS,$(1)); $(PYTHON_$(1)) -VV; } 2>&1 | sha256sum | cut -c1-16)
MATRIX_VENV_DIR = $(if $(MATRIX_CACHE),$(MATRIX_CACHE)/venv-$(1)-$(call matrix_key,$(1)),$(CURDIR)/.build/venv-$(1)-local)

define build_matrix_venv
	test -f $(1)/.installed || { rm -rf $(1) && $(PYTHON_$(2)) -m venv $(1) && \
		$(1)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip==24.2 && \
		$(1)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements/ansible-core-$(2).txt && \
		touch $(1)/.installed; }
endef

.build/venv-%/.installed: tests/requirements/ansible-core-%.txt tests/requirements/common.txt tests/dss_emulator/requirements.txt
	mkdir -p .build $(dir $(call MATRIX_VENV_DIR,$*)) && flock $(call MATRIX_VENV_DIR,$*).lock \
		$(MAKE) --no-print-directory matrix-venv-build MINOR=$* VENV_DIR=$(call MATRIX_VENV_DIR,$*)
	rm -rf .build/venv-$* && ln -sfn $(call MATRIX_VENV_DIR,$*) .build/venv-$*
	touch $@

# Called under the lock by the rule above (MINOR, VENV_DIR).
matrix-venv-build:
	$(call build_matrix_venv,$(VENV_DIR),$(MINOR))

matrix-venvs: $(foreach m,$(MATRIX_MINORS),.build/venv-$(m)/.installed)

MATRIX_COPY = $(or $(TMPDIR),/tmp)/dataiku_gitops_dss-sanity-$(1)/ansible_collections/dataiku_gitops/dss

$(addprefix sanity-,$(MATRIX_MINORS)): sanity-%: .build/venv-%/.installed FORCE
	.build/venv-$*/bin/python tests/support/seed_get_pip.py
	$(call copy_collection,$(call MATRIX_COPY,$*))
	cd $(call MATRIX_COPY,$*) && PATH="$(CURDIR)/.build/venv-$*/bin:$$PATH" $(CURDIR)/.build/venv-$*/bin/ansible-test sanity \
		--venv --python $$($(PYTHON_$*) -c 'import sys; print("%d.%d" % sys.version_info[:2])') --color no \
		$(if $(filter selected,$(SANITY_SCOPE)),$(SANITY_SELECTED),$(if $(filter $*,$(OLDEST) $(NEWEST)),,$(SANITY_SELECTED)))

$(addprefix units-,$(MATRIX_MINORS)): units-%: .build/venv-%/.installed
	.build/venv-$*/bin/pytest -q -p no:cacheprovider tests/unit

integration-newest: .build/venv-$(NEWEST)/.installed venv
	.build/venv-$(NEWEST)/bin/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) $(INTEGRATION_NEWEST)

matrix-units: $(addprefix units-,$(MATRIX_MINORS))

# What CI adds to make test: the version-dependent sanity tests and the unit tests on the oldest and the newest
# minor, which bracket the development one (make matrix runs them on the minors between too). Each minor's sanity runs
# in a copy of its own, so with make -j they run side by side.
matrix-ci: units-$(OLDEST) units-$(NEWEST)
	$(MAKE) --no-print-directory SANITY_SCOPE=selected sanity-$(OLDEST) sanity-$(NEWEST)

matrix: $(addprefix sanity-,$(MATRIX_MINORS)) matrix-units integration-newest
