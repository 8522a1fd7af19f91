"""Every name a script imports from predbench exists, including imports a test never runs.

Scripts import some names only under ``if __name__ == '__main__':`` (e.g. ``run_cli``), which
tests that load a script as a module never execute; a renamed module then breaks the command
line alone. This reads every ``from predbench... import ...`` of the scripts and resolves it.
"""
import ast
import glob
import importlib
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPTS = sorted(p for folder in ('tools', 'benchmarks', 'examples')
                 for p in glob.glob(osp.join(REPO, folder, '**', '*.py'), recursive=True))


def predbench_imports(path: str):
    """(line, module, name) of every ``from predbench... import name`` anywhere in the file."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split('.')[0] == 'predbench':
            for alias in node.names:
                yield node.lineno, node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'predbench':
                    yield node.lineno, alias.name, None


def test_the_scripts_are_found():
    names = {osp.relpath(p, REPO) for p in SCRIPTS}
    assert {'tools/train.py', 'tools/test.py', 'tools/analysis/metric_conventions.py',
            'examples/tutorial.py'} <= names


@pytest.mark.parametrize('path', SCRIPTS, ids=lambda p: osp.relpath(p, REPO))
def test_every_predbench_name_a_script_imports_exists(path):
    missing = []
    for line, module, name in predbench_imports(path):
        try:
            imported = importlib.import_module(module)
        except ImportError as e:
            missing.append(f'line {line}: {module} ({e})')
            continue
        if name is not None and name != '*' and not hasattr(imported, name):
            try:  # a submodule imported by name
                importlib.import_module(f'{module}.{name}')
            except ImportError:
                missing.append(f'line {line}: {module}.{name}')
    assert not missing, missing
