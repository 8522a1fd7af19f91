"""Make every predbench module importable by name from configs."""
import importlib

from mmengine.registry import DefaultScope, init_default_scope

_MODULES = ('predbench.models', 'predbench.datasets', 'predbench.engine',
            'predbench.evaluation', 'predbench.visualization')


def register_all_modules(init_default_scope_: bool = True) -> None:
    """Import predbench's registering modules and make ``predbench`` the default scope."""
    for name in _MODULES:
        importlib.import_module(name)
    if init_default_scope_:
        current = DefaultScope.get_current_instance()
        if current is None or current.scope_name != 'predbench':
            init_default_scope('predbench')
