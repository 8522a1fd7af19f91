"""Turn MMEngine's "X is not in the registry" KeyError into a line that lists what exists."""
import difflib
import re
from typing import Optional

from .errors import ConfigError

_UNKNOWN = re.compile(r'`?(?P<name>[\w.]+)`? is not in the (?P<scope>[\w]+)::(?P<registry>[\w ]+) '
                      r'registry')


def _registered_names(registry_name: str) -> list:
    from .. import registry as ours
    for attr in dir(ours):
        reg = getattr(ours, attr)
        if (attr.isupper() and not attr.startswith('MMENGINE_')
                and getattr(reg, 'name', None) == registry_name):
            reg.import_from_location()
            names = set(reg.module_dict)
            parent = reg.parent
            while parent is not None:
                names |= set(parent.module_dict)
                parent = parent.parent
            return sorted(names)
    return []


def explain_unknown_type(err: BaseException) -> Optional[ConfigError]:
    """A ConfigError naming the close matches and the registered names, or None."""
    match = _UNKNOWN.search(str(err))
    if match is None:
        return None
    name, registry_name = match.group('name'), match.group('registry')
    names = _registered_names(registry_name)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f'did you mean {" or ".join(close)}? ' if close else ''
    custom = ('registered names: ' + ', '.join(names)) if names else ''
    return ConfigError(
        f'unknown {registry_name} type {name!r}: {hint}{custom}. A {registry_name} of your own '
        f'must be registered in predbench.registry and imported by the config '
        f'(custom_imports = dict(imports=[...])); see docs/adding_a_model.md')
