"""Shared test set-up: the tests folder is importable (for the reference implementation)."""
import os
import os.path as osp
import sys

import pytest

TESTS_DIR = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(TESTS_DIR)
sys.path.insert(0, TESTS_DIR)
sys.path.insert(0, REPO_ROOT)
SHARED_MNIST = osp.join(REPO_ROOT, '..', 'shared', 'data', 'mnist')

# Keep CPU tests fast and repeatable on small CI machines.
os.environ.setdefault('OMP_NUM_THREADS', '2')
# numpy's OpenBLAS threads spin while they wait: on 2 shared cores a 400x400 eigh (FVD's
# covariances) takes seconds with 2 threads, 20 ms with 1. Set before numpy is imported.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')


@pytest.fixture(autouse=True)
def _predbench_scope():
    from predbench.utils.setup_env import register_all_modules
    register_all_modules()
    yield
