"""Loading configs, with ``--cfg-options`` keys checked instead of silently added.

MMEngine's ``merge_from_dict`` creates any key it is given, so a typo such as
``model.backbone.layer_nrom=True`` would be ignored without a word. predbench accepts a key only
if it exists in the config, or if it names a constructor argument of the ``type`` of the dict it
goes into.

Two settings are stated once and flow where they are needed (:func:`load_config` applies both):

* ``data_root`` (``--cfg-options data_root=DIR`` or the tools' ``--data-root DIR``) points the
  dataset of every dataloader at ``DIR`` (:func:`apply_data_root`);
* the frame shape: the backbone's ``img_size`` / ``img_channel`` come from the datasets'
  ``image_size`` / ``channels`` when the model leaves them out or sets them to None; a value
  the model states explicitly is kept and must agree with what a dataset config states
  (:func:`fill_frame_shape`).
"""
import copy
import difflib
import glob
import inspect
import os.path as osp
from typing import Any, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

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
        names = [osp.basename(k) for k in known]
        # Name the closest configs first: the listing stops at 12 of a growing number.
        close = difflib.get_close_matches(osp.basename(config), names, n=3, cutoff=0.6)
        listing = ', '.join(close + [n for n in names if n not in close][:12 - len(close)])
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
    """Load a config file (or copy a Config), apply checked ``cfg_options`` and ``data_root``,
    and fill the model's frame shape from the datasets (:func:`fill_frame_shape`)."""
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
    elif isinstance(config, (ConfigDict, dict)):
        cfg = Config(copy.deepcopy(dict(config)))
    else:
        cfg = read_config_file(str(config))
    options = dict(cfg_options or {})
    data_root = options.pop(DATA_ROOT_KEY, None)
    if options:
        check_cfg_options(cfg, options)
        cfg.merge_from_dict(options)
    if data_root is not None:
        apply_data_root(cfg, data_root)
    fill_frame_shape(cfg)
    return cfg


# -- settings stated once -------------------------------------------------------------------

DATA_ROOT_KEY = 'data_root'
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
#: (dataset argument, backbone argument): the frame shape a dataset gives and a model must take.
FRAME_SHAPE_KEYS = (('image_size', 'img_size'), ('channels', 'img_channel'))


def _leaf_datasets(node: Any, path: str) -> Iterator[Tuple[str, Any]]:
    """(key path, dict) of the datasets inside ``node``, through wrappers (``dataset``,
    ``datasets``) such as MMEngine's ConcatDataset or RepeatDataset."""
    if not isinstance(node, Mapping):
        return
    inner = node.get('dataset')
    many = node.get('datasets')
    if isinstance(inner, Mapping):
        yield from _leaf_datasets(inner, f'{path}.dataset')
    elif isinstance(many, (list, tuple)):
        for i, child in enumerate(many):
            yield from _leaf_datasets(child, f'{path}.datasets.{i}')
    else:
        yield path, node


def dataset_configs(cfg: Any) -> List[Tuple[str, Any]]:
    """(key path, dict) of every dataloader's dataset, e.g. ('train_dataloader.dataset', {...})."""
    found = []
    for loader in DATALOADERS:
        node = cfg.get(loader)
        if isinstance(node, Mapping) and isinstance(node.get('dataset'), Mapping):
            found.extend(_leaf_datasets(node['dataset'], f'{loader}.dataset'))
    return found


def apply_data_root(cfg: Any, data_root: str) -> None:
    """Point the dataset of every dataloader (and the config's own ``data_root``) at a folder."""
    changed = 0
    for _, dataset in dataset_configs(cfg):
        cls = class_of(dataset.get('type'))
        if DATA_ROOT_KEY in dataset or cls is None or accepts_argument(cls, DATA_ROOT_KEY):
            dataset[DATA_ROOT_KEY] = data_root
            changed += 1
    if not changed:
        raise ConfigError(f'data_root={data_root!r}: no dataloader of this config has a dataset '
                          f'that takes data_root')
    if DATA_ROOT_KEY in cfg:
        cfg[DATA_ROOT_KEY] = data_root


def _constructor_default(cls: Any, name: str) -> Any:
    """The default of argument ``name`` of ``cls``, or None if it has none."""
    try:
        parameter = inspect.signature(cls).parameters.get(name)
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default


def _frame_value(value: Any) -> Any:
    """A frame size or channel count in one form for comparing: an int size is a square."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value


def _same_frame_value(a: Any, b: Any, square: bool) -> bool:
    if square:
        a, b = ((v, v) if isinstance(v, int) and not isinstance(v, bool) else v for v in (a, b))
    return _frame_value(a) == _frame_value(b)


def _dataset_frame_values(cfg: Any, key: str) -> Tuple[List[Tuple[str, Any]], List[Any]]:
    """(``(where, value)`` of every dataset that states ``key``, the constructor defaults of
    those that take it without stating it); None values (e.g. each video's own size) left out."""
    stated, defaults = [], []
    for path, dataset in dataset_configs(cfg):
        cls = class_of(dataset.get('type'))
        if key in dataset:
            if dataset[key] is not None:
                stated.append((f'{path}.{key}', dataset[key]))
        elif cls is not None and accepts_argument(cls, key):
            default = _constructor_default(cls, key)
            if default is not None:
                defaults.append(default)
    return stated, defaults


def fill_frame_shape(cfg: Any) -> None:
    """Give the backbone the datasets' frame shape: ``img_size`` from ``image_size`` and
    ``img_channel`` from ``channels``, where the model leaves them out or sets them to None.

    The value a dataset config states is used, else its constructor's default. A value the
    model states is kept; if it differs from one a dataset states, or two datasets state
    different values, a one-line ConfigError names both keys. Configs without a backbone dict
    are left alone.
    """
    model = cfg.get('model')
    backbone = model.get('backbone') if isinstance(model, Mapping) else None
    if not isinstance(backbone, Mapping):
        return
    cls = class_of(backbone.get('type'))
    for data_key, model_key in FRAME_SHAPE_KEYS:
        where = f'model.backbone.{model_key}'
        square = data_key == 'image_size'
        takes = cls is not None and accepts_argument(cls, model_key)
        if not takes and backbone.get(model_key) is None:
            continue
        stated, defaults = _dataset_frame_values(cfg, data_key)
        for other, value in stated[1:]:
            first, first_value = stated[0]
            if not _same_frame_value(value, first_value, square):
                raise ConfigError(f'{other}={value!r} differs from {first}={first_value!r}: one '
                                  f'model takes one frame shape; make them equal')
        model_value = backbone.get(model_key)
        if model_value is None:
            values = [v for _, v in stated] + defaults
            if values:
                value = values[0]
                backbone[model_key] = tuple(value) if isinstance(value, (list, tuple)) else value
            elif model_key in backbone:
                raise ConfigError(f'{where}=None takes the value from the dataset\'s {data_key}, '
                                  f'but no dataloader\'s dataset has one: set {where}')
            continue
        if stated and not _same_frame_value(model_value, stated[0][1], square):
            key, value = stated[0]
            raise ConfigError(f'{where}={model_value!r} does not match {key}={value!r}: state it '
                              f'once, in the dataset (set {where}=None to take the dataset\'s), '
                              f'or make them equal')


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
