"""Loading configs, with ``--cfg-options`` keys checked instead of silently added.

MMEngine's ``merge_from_dict`` creates any key it is given, so a typo such as
``model.backbone.layer_nrom=True`` would be ignored without a word. predbench accepts a key only
if it exists in the config, or if it names a constructor argument of the ``type`` of the dict it
goes into.
"""
import copy
import difflib
import glob
import inspect
import os.path as osp
from typing import Any, Iterable, Mapping, Optional, Union

from mmengine.config import Config, ConfigDict

from .errors import ConfigError


def _registries() -> Iterable:
    from .. import registry
    return [getattr(registry, name) for name in dir(registry)
            if name.isupper() and hasattr(getattr(registry, name), 'get')]


def _class_of(type_name: Any):
    if not isinstance(type_name, str):
        return type_name if inspect.isclass(type_name) else None
    for reg in _registries():
        try:
            cls = reg.get(type_name)
        except Exception:  # noqa: BLE001 - a registry that cannot import it simply does not hold it
            cls = None
        if cls is not None:
            return cls
    return None


def _accepts_argument(cls, name: str) -> bool:
    """Whether ``cls(...)`` accepts keyword ``name``, following ``**kwargs`` up the MRO."""
    for klass in inspect.getmro(cls) if inspect.isclass(cls) else [cls]:
        init = klass.__init__ if inspect.isclass(klass) else klass
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            continue
        if name in params:
            return True
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return False
    return False


def check_cfg_options(cfg: Config, options: Mapping[str, Any]) -> None:
    """Raise a ConfigError for an option whose key the config does not have."""
    root = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    for key in options:
        node: Any = root
        parts = key.split('.')
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            where = '.'.join(parts[:depth]) or 'the config'
            if isinstance(node, (list, tuple)):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(f'unknown --cfg-options key {key!r}: {where} is a list of '
                                      f'{len(node)} items')
                node = node[int(part)]
                continue
            if not isinstance(node, Mapping):
                raise ConfigError(f'unknown --cfg-options key {key!r}: {where} is not a dict')
            if part in node:
                node = node[part]
                continue
            cls = _class_of(node.get('type')) if 'type' in node else None
            if last and cls is not None and _accepts_argument(cls, part):
                break
            close = difflib.get_close_matches(part, [str(k) for k in node.keys()], n=3)
            hint = f'; did you mean {" or ".join(close)}?' if close else \
                f'; {where} has keys {sorted(str(k) for k in node.keys())[:12]}'
            raise ConfigError(f'unknown --cfg-options key {key!r}{hint}')


def available_configs(root: str = 'configs') -> list:
    return sorted(p for p in glob.glob(osp.join(root, '*.py')))


def load_config(config: Union[str, Config], cfg_options: Optional[Mapping[str, Any]] = None
                ) -> Config:
    """Load a config file (or copy a Config) and apply checked ``cfg_options``."""
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
    elif isinstance(config, (ConfigDict, dict)):
        cfg = Config(copy.deepcopy(dict(config)))
    else:
        if not osp.isfile(config):
            known = available_configs(osp.join(osp.dirname(osp.dirname(config)) or '.',
                                               'configs')) or available_configs()
            names = [osp.basename(k) for k in known]
            # Name the closest configs first: the listing stops at 12 of a growing number.
            close = difflib.get_close_matches(osp.basename(config), names, n=3, cutoff=0.6)
            listing = ', '.join(close + [n for n in names if n not in close][:12 - len(close)])
            raise ConfigError(f'config {config} does not exist' +
                              (f'; available in configs/: {listing}' if listing else ''))
        try:
            cfg = Config.fromfile(config)
        except Exception as err:  # noqa: BLE001 - syntax errors etc. in the user's config
            raise ConfigError(f'cannot read config {config}: {err}') from err
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(dict(cfg_options))
    return cfg
