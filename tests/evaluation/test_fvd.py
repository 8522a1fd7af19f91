"""FVD: the Fréchet distance, moments summed over batches, the I3D call, the weight check."""
import argparse
import shlex
import warnings

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from fake_i3d import FakeI3D, register_fake_i3d, save_fake_i3d, save_fake_i3d_state_dict
from predbench.evaluation import (GaussianMoments, VideoMetric, build_fvd_net, check_fvd_weights,
                                  check_metric_weights, compute_metrics, frechet_distance)
from predbench.evaluation.fvd_model import I3D_CHECKPOINT, I3D_URL
from predbench.utils.errors import CheckpointError, ConfigError, DataError
from tool_runner import load_tool

demo_clips = load_tool('analysis/metric_conventions.py').demo_clips
OBSERVED = 2


def scipy_frechet(mu1, sigma1, mu2, sigma2) -> float:
    """The common implementations' formula (StyleGAN-V, fvd-comparison): scipy's sqrtm."""
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)
    return float(np.real(np.square(mu1 - mu2).sum() + np.trace(sigma1 + sigma2 - 2 * root)))


def random_covariance(rng, dims: int) -> np.ndarray:
    a = rng.normal(size=(dims, dims))
    return a @ a.T / dims + 0.1 * np.eye(dims)


# --- the distance ------------------------------------------------------------------------------

def test_frechet_distance_matches_scipy_sqrtm_of_the_covariance_product():
    rng = np.random.default_rng(0)
    for dims in (1, 7, 64):
        mu1, mu2 = rng.normal(size=dims), rng.normal(size=dims)
        sigma1, sigma2 = random_covariance(rng, dims), random_covariance(rng, dims)
        expected = scipy_frechet(mu1, sigma1, mu2, sigma2)
        assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_of_commuting_gaussians_is_the_closed_form():
    # Covariances with the same eigenvectors commute: (S1 S2)^1/2 = S1^1/2 S2^1/2, so the
    # distance is |mu1 - mu2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2 over the eigenvalues.
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.1, 4, 10), rng.uniform(0.1, 4, 10)
    mu1, mu2 = rng.normal(size=10), rng.normal(size=10)
    closed_form = np.square(mu1 - mu2).sum() + np.square(np.sqrt(a) - np.sqrt(b)).sum()
    rotation = np.linalg.qr(rng.normal(size=(10, 10)))[0]
    for basis in (np.eye(10), rotation):  # diagonal, then rotated
        sigma1, sigma2 = basis @ np.diag(a) @ basis.T, basis @ np.diag(b) @ basis.T
        assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(closed_form,
                                                                          rel=1e-12)
    # One dimension: (m1 - m2)^2 + (s1 - s2)^2 with standard deviations s.
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9 + 1, rel=1e-12)


def test_moments_summed_part_by_part_give_the_mean_and_covariance_of_all():
    rng = np.random.default_rng(2)
    features = torch.from_numpy(rng.normal(3, 2, size=(25, 2, 6)))
    parts = [GaussianMoments.of(features[s:s + 7]) for s in range(0, 25, 7)]
    total = GaussianMoments.total_of(parts)
    assert total.count == 25
    for group in (0, 1):
        x = features[:, group].numpy()
        np.testing.assert_allclose(total.mean()[group], x.mean(0), rtol=1e-12)
        np.testing.assert_allclose(total.covariance()[group], np.cov(x, rowvar=False),
                                   rtol=1e-10, atol=1e-12)
    with pytest.raises(DataError, match='at least 2 clips'):
        GaussianMoments.of(features[:1]).covariance()


# --- FVD through the I3D interface --------------------------------------------------------------

@pytest.fixture(scope='module')
def fake_i3d(tmp_path_factory):
    """The path of a random-weight TorchScript network with the I3D file's interface."""
    return save_fake_i3d(tmp_path_factory.mktemp('i3d') / I3D_CHECKPOINT)


@pytest.fixture(scope='module')
def clips():
    """(observed, pred, gt) float32: 7 clips of 2 observed and 3 predicted 32x32 frames."""
    pred, gt = demo_clips(num_sequences=7, length=OBSERVED + 3, size=32, seed=4)
    return gt[:, :OBSERVED], pred[:, OBSERVED:], gt[:, OBSERVED:]


def outputs(observed, pred, gt, indices):
    """What VideoPredictor.predict returns for the clips ``indices``."""
    return [dict(pred=torch.from_numpy(pred[i]), gt=torch.from_numpy(gt[i]),
                 input=torch.from_numpy(observed[i]), index=int(i)) for i in indices]


def fvd_by_hand(path, observed, pred, gt) -> float:
    """A re-statement: whole clips, bilinear 224x224, grey to RGB, [-1, 1], [B, 3, T, H, W];
    the distance from the centred features X1, X2 [n, 400] themselves: with S = X^T X / (n - 1),
    tr((S1 S2)^1/2) is the sum of the singular values of X1 X2^T / (n - 1), an n x n matrix
    (scipy's sqrtm of the rank-deficient 400 x 400 product is off by ~1e-5 relative here)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)  # TorchScript is deprecated in torch 2.9+
        net = torch.jit.load(path)

    def features(frames):
        x = torch.from_numpy(np.concatenate([observed, frames], axis=1))
        b, t = x.shape[:2]
        x = F.interpolate(x.flatten(0, 1), size=(224, 224), mode='bilinear',
                          align_corners=False).reshape(b, t, 1, 224, 224)
        x = x.repeat(1, 1, 3, 1, 1).permute(0, 2, 1, 3, 4) * 2 - 1
        with torch.no_grad():
            return net(x, rescale=False, resize=False, return_features=True).double().numpy()

    real, fake = features(gt), features(np.clip(pred, 0, 1))
    n = len(real)
    x1, x2 = real - real.mean(0), fake - fake.mean(0)
    traces = np.trace(np.cov(real, rowvar=False)) + np.trace(np.cov(fake, rowvar=False))
    trace_sqrt = np.linalg.svd(x1 @ x2.T / (n - 1), compute_uv=False).sum()
    return float(np.square(real.mean(0) - fake.mean(0)).sum() + traces - 2 * trace_sqrt)


def test_fvd_compares_whole_clips_as_the_pytorch_implementations_do(fake_i3d, clips):
    observed, pred, gt = clips
    expected = fvd_by_hand(fake_i3d, observed, pred, gt)
    value = compute_metrics(pred, gt, ('fvd', ), observed=observed, fvd_model=fake_i3d)['fvd']
    assert value.shape == () and float(value) == pytest.approx(expected, rel=1e-6)
    # Without the observed frames it compares the predicted frames alone: another number.
    alone = float(compute_metrics(pred, gt, ('fvd', ), fvd_model=fake_i3d)['fvd'])
    assert abs(alone - expected) > 1e-3 * expected


def test_video_metric_sums_moments_over_batches_to_the_value_of_one_batch(fake_i3d, clips):
    observed, pred, gt = clips
    metric = VideoMetric(metric_names=['mse', 'fvd'], fvd_model=fake_i3d, prefix='p')
    for batch in ([4, 1], [0, 3, 6], [2, 5]):  # any order, batches of any size
        metric.process({}, outputs(observed, pred, gt, batch))
    reported = metric.evaluate(7)
    assert list(reported) == ['p/mse', 'p/fvd', 'p/mse_t01', 'p/mse_t02', 'p/mse_t03']
    one_batch = compute_metrics(pred, gt, ('fvd', ), observed=observed, fvd_model=fake_i3d,
                                chunk_size=7)
    assert reported['p/fvd'] == pytest.approx(float(one_batch['fvd']), rel=1e-6)
    assert reported['p/fvd'] == pytest.approx(fvd_by_hand(fake_i3d, observed, pred, gt),
                                              rel=1e-6)
    # The next evaluation starts from nothing.
    metric.process({}, outputs(observed, gt, gt, range(7)))
    assert abs(metric.evaluate(7)['p/fvd']) < 1e-6


def test_fvd_of_a_set_with_itself_is_zero(fake_i3d, clips):
    observed, pred, gt = clips
    same = float(compute_metrics(gt, gt, ('fvd', ), observed=observed, fvd_model=fake_i3d)['fvd'])
    different = float(compute_metrics(pred, gt, ('fvd', ), observed=observed,
                                      fvd_model=fake_i3d)['fvd'])
    assert abs(same) < 1e-9 * different and different > 0


def test_fvd_needs_the_observed_frames_in_predict_outputs(fake_i3d, clips):
    observed, pred, gt = clips
    metric = VideoMetric(metric_names=['fvd'], fvd_model=fake_i3d)
    samples = outputs(observed, pred, gt, [0, 1])
    for sample in samples:
        del sample['input']
    with pytest.raises(DataError, match='need input'):
        metric.process({}, samples)
    with pytest.raises(DataError, match='observed frames'):
        compute_metrics(pred, gt, ('fvd', ), observed=observed[:, :, :, :16],
                        fvd_model=fake_i3d)


def test_fvd_of_one_clip_is_an_error_not_a_number(fake_i3d, clips):
    observed, pred, gt = clips
    metric = VideoMetric(metric_names=['fvd'], fvd_model=fake_i3d)
    metric.process({}, outputs(observed, pred, gt, [0]))
    with pytest.raises(DataError, match='at least 2 clips'):
        metric.evaluate(1)


# --- the I3D file: checked at start-up ----------------------------------------------------------

def test_a_missing_i3d_file_fails_at_construction_with_one_clear_line(empty_hub):
    with pytest.raises(ConfigError) as err:
        VideoMetric(metric_names=['mse', 'fvd'])
    message = str(err.value)
    assert '\n' not in message
    for part in (I3D_CHECKPOINT, str(empty_hub / 'checkpoints' / I3D_CHECKPOINT), I3D_URL,
                 '.fvd_model=PATH', 'test_evaluator.metric_names="[\'mse\']"'):
        assert part in message
    VideoMetric(metric_names=['mse', 'ssim'])  # no FVD, no file needed


def test_a_state_dict_without_its_network_is_refused_at_construction(tmp_path):
    state_dict = save_fake_i3d_state_dict(tmp_path / 'i3d_pretrained_400.pt')
    with pytest.raises(CheckpointError) as err:
        VideoMetric(metric_names=['fvd'], fvd_model=state_dict)
    message = str(err.value)
    assert '\n' not in message and 'not a TorchScript file' in message and 'fvd_arch' in message


# --- a state dict: a registered network, the checked weights loader ------------------------------

class UnsafePickle:
    """An object whose unpickling would call a function: no weights-only reader accepts it."""

    def __reduce__(self):
        return (print, ('unpickled',))


def test_a_state_dict_loads_into_a_registered_network_and_gives_the_torchscript_value(
        tmp_path, fake_i3d, clips):
    arch = register_fake_i3d()
    observed, pred, gt = clips
    scripted = float(compute_metrics(pred, gt, ('fvd', ), observed=observed,
                                     fvd_model=fake_i3d)['fvd'])
    # The same seeded weights, saved as a plain state dict and as a DDP training checkpoint.
    for wrap in (False, True):
        path = save_fake_i3d_state_dict(tmp_path / f'fake_i3d_{wrap}.pth', wrap=wrap)
        metric = VideoMetric(metric_names=['fvd'], fvd_model=path, fvd_arch=arch, prefix='p')
        metric.process({}, outputs(observed, pred, gt, range(7)))
        assert metric.evaluate(7)['p/fvd'] == pytest.approx(scripted, rel=1e-9)
    assert isinstance(build_fvd_net(path, arch=arch), FakeI3D)


def test_a_state_dict_is_read_weights_only_and_checked_key_by_key(tmp_path, fake_i3d):
    arch = register_fake_i3d()
    unsafe = tmp_path / 'unsafe.pth'
    torch.save({'fc.weight': UnsafePickle()}, str(unsafe))
    wrong = tmp_path / 'wrong.pth'
    torch.save({'conv.weight': torch.zeros(8, 3, 3, 3, 3)}, str(wrong))
    for path, fragment in ((unsafe, 'print'), (wrong, 'missing from the checkpoint: conv.bias')):
        with pytest.raises(CheckpointError) as err:
            build_fvd_net(str(path), arch=arch)
        assert '\n' not in str(err.value) and fragment in str(err.value), str(err.value)
    with pytest.raises(CheckpointError, match='is a TorchScript file.*drop fvd_arch=FakeI3D'):
        VideoMetric(metric_names=['fvd'], fvd_model=fake_i3d, fvd_arch=arch)
    with pytest.raises(ConfigError, match='fvd_arch=FakeI3D needs the file of its weights'):
        VideoMetric(metric_names=['fvd'], fvd_arch=arch)
    with pytest.raises(ConfigError) as err:
        VideoMetric(metric_names=['fvd'], fvd_model=str(tmp_path / 'gone.pth'), fvd_arch=arch)
    assert 'state dict of its network FakeI3D' in str(err.value) and 'gone.pth' in str(err.value)


def test_the_state_dict_loader_is_the_engines_checked_one(monkeypatch, tmp_path):
    from predbench.engine.weights import load_model_weights
    from predbench.evaluation import fvd_model
    arch, path = register_fake_i3d(), save_fake_i3d_state_dict(tmp_path / 'fake.pth')
    calls = []
    monkeypatch.setattr('predbench.engine.weights.load_model_weights',
                        lambda *args: calls.append(args) or load_model_weights(*args))
    build_fvd_net(path, arch=arch)
    assert [(type(c[0]), c[1]) for c in calls] == [(FakeI3D, path)]
    monkeypatch.setattr(fvd_model, '_state_dict_loader', None)  # predbench.engine not imported
    with pytest.raises(ConfigError, match='import predbench.engine first'):
        build_fvd_net(path, arch=arch)


FVD_CONFIG = """
default_scope = 'predbench'
val_evaluator = dict(type='VideoMetric', metric_names=['mse', 'fvd'], prefix='a')
test_evaluator = [dict(type='VideoMetric', metric_names=['ssim', 'fvd'], prefix='b',
                       fvd_model='{model}'),
                  dict(type='VideoMetric', prefix='c', lpips_pretrained_backbone=False)]
"""


def test_the_config_aware_check_names_each_file_and_the_option_that_turns_fvd_off(
        empty_hub, tmp_path, fake_i3d):
    config = tmp_path / 'with_fvd.py'
    config.write_text(FVD_CONFIG.format(model=tmp_path / 'nowhere.pt'))
    cfg = Config.fromfile(str(config))
    with pytest.raises(ConfigError) as err:
        check_metric_weights(cfg, ('val_evaluator', ))
    assert str(empty_hub / 'checkpoints' / I3D_CHECKPOINT) in str(err.value)
    with pytest.raises(ConfigError) as err:
        check_fvd_weights(cfg, ('test_evaluator', ))
    message = str(err.value)
    assert str(tmp_path / 'nowhere.pt') in message and 'test_evaluator.0.fvd_model' in message
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    off = message[message.index('turn FVD off with ') + len('turn FVD off with '):]
    cfg.merge_from_dict(parser.parse_args(shlex.split(off)).cfg_options)
    assert cfg.test_evaluator[0].metric_names == ['ssim']
    assert check_fvd_weights(cfg, ('test_evaluator', )) == []
    # Pointing the metric at a file is the other way out.
    cfg.val_evaluator.fvd_model = fake_i3d
    assert check_fvd_weights(cfg, ('val_evaluator', )) == [fake_i3d]


def test_a_run_asking_for_fvd_stops_before_training(empty_hub, tiny_runner_cfg):
    cfg = tiny_runner_cfg(val_evaluator=dict(type='VideoMetric', metric_names=['mse', 'fvd'],
                                             prefix='tiny'))
    runner = Runner(**cfg)
    with pytest.raises(ConfigError, match=I3D_CHECKPOINT):
        runner.train()
    assert runner.iter == 0


def test_fvd_of_a_trained_models_outputs_runs_through_the_runner(tiny_runner_cfg, fake_i3d):
    cfg = tiny_runner_cfg(test_evaluator=dict(type='VideoMetric', metric_names=['mse', 'fvd'],
                                              prefix='tiny', fvd_model=fake_i3d))
    metrics = Runner(**cfg).test()
    assert np.isfinite(metrics['tiny/fvd']) and metrics['tiny/fvd'] > 0


# --- tools/analysis/fvd_sensitivity.py -----------------------------------------------------------

class TinyVideoNet(torch.nn.Module):
    """A fast stand-in for the tool's random I3D-like network (any frame size)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv3d(3, 4, kernel_size=3, stride=(1, 8, 8), padding=1)
        self.fc = torch.nn.Linear(4 * 8, 400)

    def forward(self, x, rescale=False, resize=False, return_features=True):
        return self.fc(F.adaptive_avg_pool3d(torch.relu(self.conv(x)), (2, 2, 2)).flatten(1))


def test_the_sensitivity_tool_starts_from_predbenchs_fvd(monkeypatch):
    tool = load_tool('analysis/fvd_sensitivity.py')
    net = TinyVideoNet().eval()
    monkeypatch.setattr(tool, 'RandomI3DLike', lambda: net)
    tables = tool.main(['--num-sequences', '8'])
    pred, gt = demo_clips(8, length=20, seed=0)
    expected = float(compute_metrics(pred[:, 10:], gt[:, 10:], ('fvd', ), observed=gt[:, :10],
                                     fvd_net=net)['fvd'])
    for table, row in (('clips', '8'), ('clip', 'observed + predicted (20, predbench)'),
                       ('resize', 'bilinear 224 (predbench)')):
        assert tables[table][row] == pytest.approx(expected, rel=1e-9)
    # Covariances divided by N instead of N - 1: both scaled by 7/8, the distance moves.
    assert tables['clip']['covariances divided by N (StyleGAN-V)'] != pytest.approx(expected)
    assert all(np.isfinite(v) and v > 0 for t in tables.values() for v in t.values())
