"""--vis-backend adds MMEngine's dashboard backends beside the local files, or names the extra."""
import argparse
import sys

import pytest
from mmengine.config import Config

from predbench.utils.errors import ConfigError
from predbench.visualization.backends import (VIS_BACKENDS, add_vis_backend_argument,
                                              add_vis_backends, check_vis_backend_installed)


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_vis_backend_argument(parser)
    return parser.parse_args(list(argv))


def types(cfg):
    return [backend['type'] for backend in cfg.visualizer.vis_backends]


def test_flag_is_repeatable_and_offers_three_dashboards():
    assert sorted(VIS_BACKENDS) == ['mlflow', 'tensorboard', 'wandb']
    assert parse().vis_backend == []
    assert parse('--vis-backend', 'tensorboard', '--vis-backend', 'mlflow').vis_backend == [
        'tensorboard', 'mlflow']
    with pytest.raises(SystemExit):
        parse('--vis-backend', 'visdom')


def test_backends_are_added_once_after_the_local_one(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mlflow', object())  # installed or not, the import works
    cfg = Config(dict(visualizer=dict(type='VideoPredictionVisualizer',
                                      vis_backends=[dict(type='LocalVisBackend')])))
    add_vis_backends(cfg, [])
    assert types(cfg) == ['LocalVisBackend']
    add_vis_backends(cfg, ['tensorboard', 'mlflow', 'tensorboard'])
    assert types(cfg) == ['LocalVisBackend', 'TensorboardVisBackend', 'MLflowVisBackend']
    add_vis_backends(cfg, ['tensorboard'])  # already there: not a second one
    assert types(cfg) == ['LocalVisBackend', 'TensorboardVisBackend', 'MLflowVisBackend']
    assert cfg.visualizer.type == 'VideoPredictionVisualizer'


def test_a_config_without_visualizer_gets_predbench_one_with_local_files():
    cfg = Config(dict())
    add_vis_backends(cfg, ['tensorboard'])
    assert cfg.visualizer.type == 'VideoPredictionVisualizer'
    assert types(cfg) == ['LocalVisBackend', 'TensorboardVisBackend']


@pytest.mark.parametrize('name', sorted(VIS_BACKENDS))
def test_missing_package_names_the_extra_to_install(name, monkeypatch):
    monkeypatch.setitem(sys.modules, VIS_BACKENDS[name].module, None)  # import raises
    cfg = Config(dict())
    with pytest.raises(ConfigError) as error:
        add_vis_backends(cfg, [name])
    assert str(error.value) == (f"--vis-backend {name} needs the {name} package: "
                                f"pip install 'predbench[{name}]'")
    assert 'visualizer' not in cfg  # nothing half-applied


def test_tensorboard_is_installed_for_the_tests():
    check_vis_backend_installed('tensorboard')  # `make install` installs the extra
