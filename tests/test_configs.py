"""Configs state only what differs from their bases, and every config passes the run checks."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO_ROOT
from predbench.utils.config import load_config
from predbench.utils.config_checks import check_run_config

CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '*.py')))


def _flat(tree, prefix=''):
    out = {}
    for key, value in tree.items():
        path = f'{prefix}.{key}' if prefix else key
        if isinstance(value, dict) and '_delete_' not in value:
            out.update(_flat(value, path))
        else:
            out[path] = value
    return out


def _own_values(path):
    """The keys a config file sets itself (without its bases), flattened."""
    namespace = {}

    class BaseReference:  # stands for ``{{_base_.key}}`` (a value the base gives)
        def __getattr__(self, name):
            return f'<base {name}>'

    source = open(path).read().replace('{{_base_.', '(_BASE_REFERENCE.').replace('}}', ')')
    exec(compile(source, path, 'exec'), {'_BASE_REFERENCE': BaseReference()}, namespace)
    bases = namespace.pop('_base_', [])
    bases = [bases] if isinstance(bases, str) else bases
    own = {k: v for k, v in namespace.items() if not k.startswith('_') and not callable(v)}
    return own, [osp.join(osp.dirname(path), b) for b in bases]


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_a_config_does_not_restate_its_bases(path):
    own, bases = _own_values(path)
    inherited = {}
    for base in bases:
        inherited.update(_flat(Config.fromfile(base).to_dict()))
    restated = sorted(key for key, value in _flat(own).items()
                      if key in inherited and inherited[key] == value)
    assert not restated, f'{osp.basename(path)} restates {restated} of its bases'


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_every_config_passes_the_run_checks(path):
    check_run_config(load_config(path))
