"""Checks of a run's config before anything is built: one line per impossible value.

Two kinds of checks, in one place:

* every dict with a ``type`` that a registry resolves is checked against the type hints of that
  class's (or function's) constructor, so ``model.backbone.num_hidden=8`` ("expects a list of
  int") or ``train_cfg.max_iters=abc`` ("expects int") are reported with their key, whatever the
  model or dataset, predbench's own or a user's registered one;
* the runner-level values no constructor checks early: iterations, intervals, batch sizes,
  workers, the learning rate.
"""
import inspect
import numbers
import typing
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence as SequenceABC
from typing import Any, Iterator, Mapping, Optional, Tuple

from .config import accepts_argument, class_of
from .errors import ConfigError

_SEQUENCE_ORIGINS = (list, tuple, SequenceABC, typing.Sequence, typing.List, typing.Tuple,
                     typing.Iterable, set, frozenset)
_MAPPING_ORIGINS = (dict, MappingABC, typing.Mapping, typing.Dict)


def _describe(hint: Any) -> str:
    """A type hint as a person reads it: 'int', 'a list of int', 'int or a list of int'."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        names = [_describe(a) for a in args if a is not type(None)]
        return ' or '.join(names) + (' or None' if type(None) in args else '')
    if origin in _SEQUENCE_ORIGINS or hint in (list, tuple):
        inner = [a for a in args if a is not Ellipsis]
        return f'a list of {_describe(inner[0])}' if inner else 'a list'
    if origin in _MAPPING_ORIGINS or hint is dict:
        return 'a dict'
    return getattr(hint, '__name__', str(hint))


def _matches(value: Any, hint: Any) -> bool:
    """Whether a config value fits a type hint; unknown hints always fit."""
    if hint is inspect.Parameter.empty or hint is Any or isinstance(hint, typing.TypeVar):
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        return any(_matches(value, a) for a in args)
    if hint is type(None):
        return value is None
    if isinstance(value, Mapping) and 'type' in value:
        return True  # a sub-config built by its own registry
    if hint is bool:
        return isinstance(value, bool) or (isinstance(value, numbers.Integral) and value in (0, 1))
    if hint is int:
        return isinstance(value, numbers.Integral) or \
            (isinstance(value, float) and value.is_integer())
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in _SEQUENCE_ORIGINS or hint in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return False
        inner = [a for a in args if a is not Ellipsis]
        if origin in (tuple, typing.Tuple) and args and Ellipsis not in args:
            return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args))
        return not inner or all(_matches(v, inner[0]) for v in value)
    if origin in _MAPPING_ORIGINS or hint is dict:
        return isinstance(value, Mapping)
    return True  # classes, callables, tensors...: left to the constructor


def _type_hints(target: Any) -> Mapping[str, Any]:
    """Type hints of a constructor's arguments, following ``*args, **kwargs`` up the MRO."""
    hints: dict = {}
    for klass in inspect.getmro(target) if inspect.isclass(target) else [target]:
        init = klass.__init__ if inspect.isclass(klass) else klass
        try:
            own = typing.get_type_hints(init)
            params = inspect.signature(init).parameters
        except Exception:  # noqa: BLE001 - unresolvable annotations are not checked
            break
        hints = {**own, **hints}
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            break
    hints.pop('return', None)
    return hints


def _typed_nodes(node: Any, path: str) -> Iterator[Tuple[str, Mapping]]:
    """(key path, dict) of every dict with a ``type`` inside ``node``."""
    if isinstance(node, Mapping):
        if 'type' in node:
            yield path, node
        for key, value in node.items():
            yield from _typed_nodes(value, f'{path}.{key}' if path else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _typed_nodes(value, f'{path}.{i}' if path else str(i))


def check_argument_types(cfg: Mapping, root: str = '') -> None:
    """ConfigError for the first argument of a typed dict that does not fit its type hint."""
    for path, node in _typed_nodes(cfg, root):
        target = class_of(node['type'])
        if target is None:
            continue
        hints = _type_hints(target)
        name = getattr(target, '__name__', str(node['type']))
        if _built_from_its_arguments(target):
            unknown = [k for k in node if k not in ('type', '_scope_')
                       and not accepts_argument(target, k)]
            if unknown:
                where = f'{path}.{unknown[0]}' if path else unknown[0]
                raise ConfigError(
                    f'{where}: {name} takes no argument {unknown[0]!r} (the config still holds '
                    f'it from another type?); remove it, e.g. replace the whole dict with '
                    f'"{path}=dict(_delete_=True, type={name!r}, ...)" or use a config of {name}')
        for key, value in node.items():
            if key == 'type' or key not in hints or _matches(value, hints[key]):
                continue
            where = f'{path}.{key}' if path else key
            raise ConfigError(f'{where}={value!r}: {name} expects {_describe(hints[key])}, got '
                              f'{type(value).__name__}')


def _built_from_its_arguments(target: Any) -> bool:
    """Models, datasets and metrics: built straight from their dict (every key an argument).

    Other dicts (optimizer wrappers, schedulers, hooks of MMEngine) may carry keys that MMEngine
    consumes before the constructor, so unknown keys are only reported for these.
    """
    from .. import registry
    return any(target in reg.module_dict.values()
               for reg in (registry.MODELS, registry.DATASETS, registry.METRICS))


def _check_int(value: Any, key: str, minimum: int, allowed: Tuple[int, ...] = ()) -> None:
    if value is None:
        return
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and \
        (value >= minimum or value in allowed)
    if not ok:
        extra = f' (or {", ".join(map(str, allowed))})' if allowed else ''
        raise ConfigError(f'{key}={value!r}: must be an integer >= {minimum}{extra}')


def _loaders(cfg: Mapping) -> Iterator[Tuple[str, Mapping]]:
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if isinstance(loader, Mapping):
            yield f'{split}_dataloader', loader


def check_runner_values(cfg: Mapping) -> None:
    """ConfigError for iterations, intervals, batch sizes, workers or a lr that cannot work."""
    train_cfg = cfg.get('train_cfg') or {}
    if isinstance(train_cfg, Mapping):
        for key in ('max_iters', 'max_epochs', 'val_interval'):
            _check_int(train_cfg.get(key), f'train_cfg.{key}', 1)
        _check_int(train_cfg.get('val_begin'), 'train_cfg.val_begin', 0)
    for name, loader in _loaders(cfg):
        _check_int(loader.get('batch_size'), f'{name}.batch_size', 1)
        _check_int(loader.get('num_workers'), f'{name}.num_workers', 0)
    hooks = cfg.get('default_hooks') or {}
    checkpoint = hooks.get('checkpoint') if isinstance(hooks, Mapping) else None
    if isinstance(checkpoint, Mapping):
        _check_int(checkpoint.get('interval'), 'default_hooks.checkpoint.interval', 1, (-1,))
        _check_int(checkpoint.get('max_keep_ckpts'), 'default_hooks.checkpoint.max_keep_ckpts',
                   1, (-1,))
    logger = hooks.get('logger') if isinstance(hooks, Mapping) else None
    if isinstance(logger, Mapping):
        _check_int(logger.get('interval'), 'default_hooks.logger.interval', 1)
    optimizer = (cfg.get('optim_wrapper') or {}).get('optimizer') \
        if isinstance(cfg.get('optim_wrapper'), Mapping) else None
    if isinstance(optimizer, Mapping) and 'lr' in optimizer:
        lr = optimizer['lr']
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0:
            raise ConfigError(f'optim_wrapper.optimizer.lr={lr!r}: must be a number > 0')


def check_run_config(cfg: Any) -> None:
    """All checks of a run's config (an MMEngine Config or a dict); raises the first one."""
    root = getattr(cfg, '_cfg_dict', cfg)  # a Config is not a Mapping, its content is
    check_runner_values(root)
    check_argument_types(root)


def check_model_config(model_cfg: Optional[Mapping]) -> None:
    """Type checks of a ``model`` config alone (``init_model``)."""
    if model_cfg is not None:
        check_argument_types(model_cfg, 'model')
