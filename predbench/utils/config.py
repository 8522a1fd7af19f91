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
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Union

from mmengine.config import Config, ConfigDict, DictAction

from .errors import ConfigError


def _registries() -> Iterable:
    from .. import registry
    return [getattr(registry, name) for name in dir(registry)
            if name.isupper() and hasattr(getattr(registry, name), 'get')]


def class_of(type_name: Any):
    """The class (or function) a config ``type`` names in predbench's registries, or None."""
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


def accepts_argument(cls, name: str) -> bool:
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
        if not inspect.isclass(cls):
            return True  # a function with **kwargs (e.g. a factory) checks them itself
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
            cls = class_of(node.get('type')) if 'type' in node else None
            if last and cls is not None and accepts_argument(cls, part):
                break
            close = difflib.get_close_matches(part, [str(k) for k in node.keys()], n=3)
            hint = f'; did you mean {" or ".join(close)}?' if close else \
                f'; {where} has keys {sorted(str(k) for k in node.keys())[:12]}'
            raise ConfigError(f'unknown --cfg-options key {key!r}{hint}')


def default_work_dir(config_path: str) -> str:
    """work_dirs/<config file name without its suffix>."""
    return osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


def available_configs(root: str = 'configs') -> list:
    return sorted(p for p in glob.glob(osp.join(root, '*.py')))


CONFIG_SUFFIXES = ('.py', '.yaml', '.yml', '.json')


def _one_line(err: BaseException) -> str:
    """An exception's message on one line (YAML and syntax errors span several)."""
    text = ' '.join(part.strip() for part in str(err).splitlines() if part.strip())
    return text or type(err).__name__


def read_config_file(config: str) -> Config:
    """``Config.fromfile`` with one-line errors naming the file and what is wrong."""
    if osp.isdir(config):
        raise ConfigError(f'config {config} is a folder; give a config file, e.g. '
                          f'configs/predrnn_v2_mmnist.py')
    if not osp.isfile(config):
        known = available_configs(osp.join(osp.dirname(osp.dirname(config)) or '.',
                                           'configs')) or available_configs()
        listing = ', '.join(osp.basename(k) for k in known[:12])
        raise ConfigError(f'config {config} does not exist' +
                          (f'; available in configs/: {listing}' if listing else ''))
    suffix = osp.splitext(config)[1].lower()
    if suffix not in CONFIG_SUFFIXES:
        raise ConfigError(f'config {config}: unknown file type {suffix or "(none)"}; predbench '
                          f'reads Python configs (.py, see configs/) or MMEngine\'s .yaml/.json')
    try:
        cfg = Config.fromfile(config)
    except Exception as err:  # noqa: BLE001 - syntax errors etc. in the user's config
        raise ConfigError(f'cannot read config {config}: {_one_line(err)}') from err
    if not isinstance(cfg._cfg_dict, Mapping):
        raise ConfigError(f'config {config} does not hold a mapping of keys to values')
    return cfg


def load_config(config: Union[str, Config], cfg_options: Optional[Mapping[str, Any]] = None
                ) -> Config:
    """Load a config file (or copy a Config) and apply checked ``cfg_options``."""
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
    elif isinstance(config, (ConfigDict, dict)):
        cfg = Config(copy.deepcopy(dict(config)))
    else:
        cfg = read_config_file(str(config))
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(dict(cfg_options))
    return cfg


def _unbalanced(text: str) -> bool:
    """Whether ``text`` opens more brackets or quotes than it closes."""
    depth = sum(text.count(o) - text.count(c) for o, c in ('[]', '()', '{}'))
    return depth > 0 or text.count('"') % 2 == 1 or text.count("'") % 2 == 1


def join_split_options(items: Sequence[str]) -> List[str]:
    """Re-join ``key=[4,`` ``4]``: a value with spaces that the shell split into several words.

    An item without ``=`` that does not continue an open bracket or quote is an error.
    """
    joined: List[str] = []
    for item in items:
        if joined and _unbalanced(joined[-1]):
            joined[-1] = f'{joined[-1]} {item}'
        elif '=' not in item:
            raise ConfigError(f'--cfg-options item {item!r} is not key=value; quote a value that '
                              f'holds spaces, e.g. "model.backbone.num_hidden=[4, 4]"')
        else:
            joined.append(item)
    for item in joined:
        if _unbalanced(item):
            raise ConfigError(f'--cfg-options item {item!r} has unclosed brackets or quotes')
    return joined


class CfgOptionsAction(DictAction):
    """MMEngine's ``--cfg-options`` parser with one-line errors (``ConfigError``).

    Values the shell split at spaces (``num_hidden=[4, 4]``) are joined back first.
    """

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        values = join_split_options(values)
        options = {}
        for item in values:
            key, value = item.split('=', maxsplit=1)
            try:
                options[key] = self._parse_iterable(value)
            except Exception as err:  # noqa: BLE001 - MMEngine's parser asserts
                raise ConfigError(f'--cfg-options {item!r}: cannot parse the value '
                                  f'({_one_line(err)})') from err
        merged = dict(getattr(namespace, self.dest, None) or {})
        merged.update(options)
        setattr(namespace, self.dest, merged)
