"""Every import inside the package follows the layers of docs/architecture.md."""
import ast
import os
import os.path as osp

from conftest import REPO_ROOT

PACKAGE = osp.join(REPO_ROOT, 'predbench')
ALLOWED = {
    'registry': set(),
    'utils': {'registry'},
    'visualization': {'utils', 'registry'},
    'datasets': {'utils', 'registry'},
    'models': {'utils', 'registry'},
    'evaluation': {'visualization', 'utils', 'registry'},
    'engine': {'models', 'datasets', 'evaluation', 'visualization', 'utils', 'registry'},
    'apis': {'analysis', 'engine', 'models', 'datasets', 'evaluation', 'visualization', 'utils',
             'registry'},
    'analysis': {'apis', 'engine', 'models', 'datasets', 'evaluation', 'visualization', 'utils',
                 'registry'},
}


def _layer_of(path: str) -> str:
    parts = osp.relpath(path, PACKAGE).split(os.sep)
    return osp.splitext(parts[0])[0]


def _imported_layers(path: str):
    """(line, layer) of every predbench module the file imports, relative imports resolved."""
    tree = ast.parse(open(path).read())
    package = osp.relpath(osp.dirname(path), REPO_ROOT).split(os.sep)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                names = base + (node.module.split('.') if node.module else [])
                if not node.module:  # from .. import registry
                    for alias in node.names:
                        yield node.lineno, (names + [alias.name])[1]
                    continue
            else:
                names = (node.module or '').split('.')
            if names[0] == 'predbench' and len(names) > 1:
                yield node.lineno, names[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names = alias.name.split('.')
                if names[0] == 'predbench' and len(names) > 1:
                    yield node.lineno, names[1]


def test_every_import_goes_down_the_layers():
    violations = []
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            layer = _layer_of(path)
            if layer in ('__init__', 'version'):
                continue
            for line, target in _imported_layers(path):
                if target != layer and target not in ALLOWED[layer] and target != 'version':
                    violations.append(f'{osp.relpath(path, REPO_ROOT)}:{line} ({layer}) imports '
                                      f'{target}')
    assert not violations, '\n'.join(violations)


def test_the_table_covers_every_package():
    packages = {name for name in os.listdir(PACKAGE)
                if osp.isdir(osp.join(PACKAGE, name)) and not name.startswith('__')}
    assert packages | {'registry'} == set(ALLOWED)
