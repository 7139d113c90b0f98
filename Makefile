# One-step set-up into a project-local virtual environment (.venv), idempotent: each stage
# leaves a stamp and is redone only when its requirements file changes.
#
#   make quickstart   set up, write the synthetic quickstart worlds (3 seeds), run the tour
#   make test         set up (plus test tools) and run the test suite
#   make demo         the web demo on the quickstart's models (after make quickstart)
#   make lint         ruff and isort over the tree (CI runs it before the tests)
#
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMPS := $(VENV)/.mmopen-stamps
QS_DIR ?= data/quickstart
QS_WORK ?= work_dirs/quickstart
PYTEST_ARGS ?=

# pip with the machine's local find-links and extra indexes bypassed: torch and torchvision
# must come from one matching build of the registry (see requirements/torch.txt).
PIP_REGISTRY := env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(BIN)/pip

.PHONY: install install-test test-assets quickstart quickstart-data quickstart-ood test lint clean-venv \
	demo browser

install: $(STAMPS)/mmopen $(STAMPS)/wordnet
install-test: $(STAMPS)/tests $(STAMPS)/demo browser test-assets

$(STAMPS)/venv:
	$(PYTHON) -m venv $(VENV)
	mkdir -p $(STAMPS) && touch $@

$(STAMPS)/build: requirements/build.txt $(STAMPS)/venv
	$(BIN)/pip install -q -r requirements/build.txt
	touch $@

$(STAMPS)/torch: requirements/torch.txt $(STAMPS)/build
	$(PIP_REGISTRY) install -q -r requirements/torch.txt
	touch $@

# mmcv 2.1.0 has no wheel for this torch: it is compiled with its ops, once per machine, into
# a wheel kept in $(WHEELHOUSE) (keyed by the torch and mmcv pins, the Python version and the
# CUDA kernels it holds: FORCE_CUDA / TORCH_CUDA_ARCH_LIST; tools/misc/mmcv_wheel_key.py), so a
# new .venv, a fresh clone or a cleared pip cache installs it in seconds. The compile drops
# debug information (CFLAGS=-g0: Python's own CFLAGS carry -g, which costs ~25% of the compile
# time and nothing at run time); ninja runs cores + 2 jobs (MAX_JOBS=N in the environment
# overrides it).
WHEELHOUSE ?= $(HOME)/.cache/mmopen/wheels
MMCV_KEY = $(shell $(BIN)/python tools/misc/mmcv_wheel_key.py)
$(STAMPS)/mmcv: requirements/mmcv.txt $(STAMPS)/torch
	@dir=$(WHEELHOUSE)/$(MMCV_KEY); \
	if ! ls $$dir/mmcv-*.whl >/dev/null 2>&1; then \
		echo "Compiling mmcv with its ops into $$dir (once per machine; ~10 min on 2 cores)"; \
		rm -rf $$dir.tmp && mkdir -p $$dir.tmp && \
		CFLAGS=-g0 MMCV_WITH_OPS=1 $(BIN)/pip wheel -q --no-deps \
			--no-build-isolation -w $$dir.tmp -r requirements/mmcv.txt && \
		rm -rf $$dir && mv $$dir.tmp $$dir || exit 1; \
	fi; \
	$(BIN)/pip install -q --find-links $$dir -r requirements/mmcv.txt
	touch $@

$(STAMPS)/mmopen: requirements/runtime.txt setup.py $(STAMPS)/mmcv
	$(BIN)/pip install -q -r requirements/runtime.txt
	$(BIN)/pip install -q --no-build-isolation --no-deps -e .
	touch $@

# WordNet 3.0 (nouns, adjectives) for NegLabel's negative-label mining: Debian's wordnet-base.
$(STAMPS)/wordnet: | $(STAMPS)/venv
	@if [ -f /usr/share/wordnet/data.noun ] || [ -f "$$WNHOME/dict/data.noun" ]; then \
		echo "WordNet database present"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wordnet-base; \
	elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wordnet-base; \
	else \
		echo "Install WordNet 3.0: Debian/Ubuntu package wordnet-base, or set WNHOME to a WordNet install"; \
		exit 1; \
	fi
	touch $@

$(STAMPS)/tests: requirements/tests.txt $(STAMPS)/mmopen $(STAMPS)/wordnet
	$(BIN)/pip install -q -r requirements/tests.txt
	touch $@

# The web demo's packages (requirements/demo.txt), apart from the core set-up.
$(STAMPS)/demo: requirements/demo.txt $(STAMPS)/mmopen
	$(BIN)/pip install -q -r requirements/demo.txt
	touch $@

# Debian's Chromium and ChromeDriver for the web demo's browser test. Where they cannot be
# installed (no root or no apt-get) this says so and the test skips, naming why.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		echo "Chromium and ChromeDriver present"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver) || echo "Could not install chromium: the browser test skips"; \
	else \
		echo "Chromium not installed (needs root and apt-get: chromium chromium-driver); the browser test skips"; \
	fi

# The test suite's pre-trained inputs (tests/assets.py: the quickstart worlds and the tiny CLIP
# and inpainting models pre-trained on them), built once per machine and code version into
# $MMOPEN_TEST_ASSETS (~/.cache/mmopen/test-assets; ~6 min on 2 cores when none is there) and
# reused while the code that builds them is unchanged.
test-assets: $(STAMPS)/tests
	HF_HUB_OFFLINE=1 $(BIN)/python -m tests.assets

# The quickstart worlds, one per seed (seed 0 in $(QS_DIR), seed s in $(QS_DIR)-seed<s>): the
# synthetic data, the tiny CLIPs and the inpainting model pre-trained on it, the mined negative
# pools; made in parallel, each step redone only when out of date (tools/misc/setup_quickstart.py).
QS_SEEDS ?= 0 1 2
quickstart-data: install
	$(BIN)/python tools/misc/setup_quickstart.py --root $(QS_DIR) --seeds $(QS_SEEDS)

# The tour: every method's chain once per seed, in parallel (OVSNet trained and evaluated on seen
# and unseen classes, zero-shot OOD detection, SynOOD generation and fine-tuning against its
# ablation, SeeCLIP without and with pseudo-unknowns on a held-out style); ends with a summary
# table of mean +- std over the seeds (also in $(QS_WORK)/summary.md).
quickstart: quickstart-data
	$(BIN)/python tools/misc/quickstart_tour.py --work-dir $(QS_WORK) --data $(QS_DIR) \
		--seeds $(QS_SEEDS)

# OOD detection on the synthetic ID / OOD sets (zero-shot: no training, no checkpoint)
quickstart-ood: quickstart-data
	$(BIN)/python tools/test.py configs/ood/quickstart/clip-tiny-convnext_zero-shot-ood_quickstart.py \
		none --work-dir $(QS_WORK)-ood

# The suite on TEST_WORKERS pytest-xdist workers (one file per worker at a time, one compute
# thread each, in tests/conftest.py's order: the longest modules first); TEST_WORKERS=0 runs it
# in this process.
TEST_WORKERS ?= 2
test: install-test
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest tests -n $(TEST_WORKERS) --dist loadfile \
		--no-loadscope-reorder $(PYTEST_ARGS)

# The web demo (demo/web_demo.py) on the quickstart tour's seed-0 models: run make quickstart
# first. Serves http://localhost:8501 until interrupted; DEMO_ARGS passes other models
# (e.g. DEMO_ARGS="--seg-config CONFIG --seg-weights CKPT").
DEMO_ARGS ?=
demo: $(STAMPS)/demo
	$(BIN)/streamlit run demo/web_demo.py --server.headless true \
		--browser.gatherUsageStats false -- $(DEMO_ARGS)

# ruff (ruff.toml: pycodestyle, pyflakes, 99 columns) and isort (.isort.cfg: OpenMMLab's order)
lint: $(STAMPS)/tests
	$(BIN)/ruff check .
	$(BIN)/isort --check-only --diff .

clean-venv:
	rm -rf $(VENV)
