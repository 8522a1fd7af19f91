# Set-up and checks. `make demo` and `make test` install what they need by themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.predbench-installed
# The only torch/torchvision pair that is on disk offline here (x86_64); users elsewhere may
# override: make install TORCH_PKGS="torch==2.5.1 torchvision==0.20.1"
TORCH_PKGS ?= torch==2.14.1 torchvision==0.29.1
PYTEST_ARGS ?= -q

.PHONY: install test demo clean-venv

install: $(STAMP)

$(STAMP): setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install $(TORCH_PKGS)
	$(PY) -m pip install -e '.[dev,tensorboard]'
	touch $(STAMP)

test: install
	$(PY) -m pytest $(PYTEST_ARGS) tests

demo: install
	$(PY) tools/demo.py

clean-venv:
	rm -rf $(VENV)
