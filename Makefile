# One-step set-up into a project-local virtual environment (.venv), idempotent: each stage
# leaves a stamp and is redone only when its requirements file changes.
#
#   make quickstart   set up, write the synthetic quickstart data, run the tour of the methods
#   make test         set up (plus test tools) and run the test suite
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

.PHONY: install install-test quickstart quickstart-data quickstart-ood test clean-venv

install: $(STAMPS)/mmopen $(STAMPS)/wordnet
install-test: $(STAMPS)/tests

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
# a wheel kept in $(WHEELHOUSE) (keyed by the torch and mmcv pins and the Python version), so a
# new .venv, a fresh clone or a cleared pip cache installs it in seconds. The compile drops
# debug information (CFLAGS=-g0: Python's own CFLAGS carry -g, which costs ~25% of the compile
# time and nothing at run time); ninja runs cores + 2 jobs (MAX_JOBS=N in the environment
# overrides it).
WHEELHOUSE ?= $(HOME)/.cache/mmopen/wheels
MMCV_KEY = $(shell cat requirements/torch.txt requirements/mmcv.txt | grep -v '^\#' | \
	cksum | cut -d' ' -f1)-$(shell $(BIN)/python -c 'import sys; print("py%d%d" % sys.version_info[:2])')
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

# The synthetic data, the tiny CLIP pre-trained on it, and its negative labels; each step
# leaves what is up to date as it is.
QS_CLIP := $(QS_DIR)/tiny_clip_convnext.safetensors
QS_NEG := $(QS_DIR)/cls/neg_labels.txt
QS_NEG_KNOWN := $(QS_DIR)/cls/neg_labels_known.txt
QS_CSP := $(QS_DIR)/cls/csp_labels.txt
QS_INPAINT := $(QS_DIR)/tiny_inpaint
QS_SYNOOD := $(QS_DIR)/synood
QS_OSDG := $(QS_DIR)/osdg
QS_CLIP_VIT := $(QS_DIR)/tiny_clip_vit_osdg.safetensors
QS_INPAINT_OSDG := $(QS_DIR)/tiny_inpaint_osdg
quickstart-data: install
	$(BIN)/python tools/misc/make_quickstart_data.py $(QS_DIR)
	$(BIN)/python tools/misc/make_tiny_clip.py --model mmopen-tiny-convnext --pretrain-on $(QS_DIR) \
		--out $(QS_CLIP)
	if [ ! -f $(QS_NEG) ] || [ $(QS_NEG) -ot $(QS_CLIP) ]; then \
		$(BIN)/python tools/ood/mine_neg_labels.py --clip-model mmopen-tiny-convnext \
		--clip-weights $(QS_CLIP) --id-vocab $(QS_DIR)/cls/imagenet/meta/classes.txt \
		--out $(QS_NEG); fi
	# CSP's pool: nouns + conjugated "<adjective> <superclass>" labels (about 2 minutes)
	if [ ! -f $(QS_CSP) ] || [ $(QS_CSP) -ot $(QS_CLIP) ]; then \
		$(BIN)/python tools/ood/mine_neg_labels.py --method csp --clip-model mmopen-tiny-convnext \
		--clip-weights $(QS_CLIP) --id-vocab $(QS_DIR)/cls/imagenet/meta/classes.txt \
		--out $(QS_CSP); fi
	# SynOOD: the negatives the tiny CLIP can tell apart (the quickstart's own concepts), and a
	# tiny SD-2-inpainting-compatible model trained on the ID images; images generated with an
	# older model or older negatives are removed (the tour generates them again)
	if [ ! -f $(QS_NEG_KNOWN) ] || [ $(QS_NEG_KNOWN) -ot $(QS_CLIP) ]; then \
		$(BIN)/python tools/ood/mine_neg_labels.py --clip-model mmopen-tiny-convnext \
		--clip-weights $(QS_CLIP) --id-vocab $(QS_DIR)/cls/imagenet/meta/classes.txt \
		--candidates $(QS_DIR)/seg/classes.txt --ratio 1.0 --out $(QS_NEG_KNOWN); fi
	$(BIN)/python tools/misc/make_tiny_inpaint.py --out $(QS_INPAINT) --pretrain-on $(QS_DIR)
	if [ -d $(QS_SYNOOD) ] && { [ $(QS_SYNOOD)/run.json -ot $(QS_INPAINT)/model_index.json ] || \
		[ $(QS_SYNOOD)/run.json -ot $(QS_NEG_KNOWN) ]; }; then rm -rf $(QS_SYNOOD); fi
	# SeeCLIP (open-set domain generalisation): the shapes in four styles, a tiny CLIP ViT and a
	# tiny inpainting model pre-trained on other images of that world
	$(BIN)/python tools/misc/make_osdg_quickstart_data.py $(QS_OSDG)
	$(BIN)/python tools/misc/make_tiny_clip.py --model mmopen-tiny-vit --pretrain-on $(QS_OSDG) \
		--out $(QS_CLIP_VIT)
	$(BIN)/python tools/misc/make_tiny_inpaint.py --out $(QS_INPAINT_OSDG) --pretrain-on $(QS_OSDG)

# The tour: OVSNet trained and evaluated on seen and unseen classes, zero-shot OOD detection,
# SynOOD (generation, two-stage fine-tuning, NegLabel with and without it), SeeCLIP (untrained,
# trained without and with pseudo-unknowns, on a held-out style); ends with a summary table
# (also in $(QS_WORK)/summary.md).
quickstart: quickstart-data
	$(BIN)/python tools/misc/quickstart_tour.py --work-dir $(QS_WORK)

# OOD detection on the synthetic ID / OOD sets (zero-shot: no training, no checkpoint)
quickstart-ood: quickstart-data
	$(BIN)/python tools/test.py configs/ood/quickstart/clip-tiny-convnext_zero-shot-ood_quickstart.py \
		none --work-dir $(QS_WORK)-ood

test: install-test
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest tests $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
