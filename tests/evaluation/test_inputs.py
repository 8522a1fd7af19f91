"""Metric inputs are checked in one place: every entry point refuses broken inputs in one line."""
import numpy as np
import pytest
import torch

from predbench.evaluation import VideoMetric, compute_metrics, frame_metrics
from predbench.evaluation.inputs import GT_TOLERANCE, PRED_OVERSHOOT
from predbench.utils.errors import DataError


def _via_compute_metrics(pred, gt):
    return compute_metrics(pred, gt, ('mse', 'psnr'))


def _via_frame_metrics(pred, gt):
    return frame_metrics(pred, gt, ('mse', 'psnr'))


def _via_video_metric(pred, gt, tmp_path=None):
    pred, gt = (torch.as_tensor(np.asarray(x)) for x in (pred, gt))
    out_file = None if tmp_path is None else str(tmp_path / 'dump.npz')
    metric = VideoMetric(metric_names=['mse', 'psnr'], out_file=out_file)
    metric.process({}, [dict(pred=p, gt=g, index=i) for i, (p, g) in enumerate(zip(pred, gt))])
    return metric


ENTRY_POINTS = pytest.mark.parametrize(
    'evaluate', [_via_compute_metrics, _via_frame_metrics, _via_video_metric],
    ids=['compute_metrics', 'frame_metrics', 'VideoMetric'])


def one_line_error(evaluate, pred, gt) -> str:
    with pytest.raises(DataError) as err:
        evaluate(pred, gt)
    message = str(err.value)
    assert '\n' not in message
    return message


@pytest.fixture()
def clips(rng_clips):
    """(pred, gt) [2, 3, 1, 16, 16]: truth in [0, 1], predictions a little outside it."""
    return rng_clips(0, (2, 3, 1, 16, 16), spread=0.1)


# --- values -----------------------------------------------------------------------------------

@ENTRY_POINTS
def test_uint8_scale_frames_are_refused_not_scored_minus_43_db(evaluate, clips):
    _, gt = clips
    message = one_line_error(evaluate, gt * 255, gt * 255)
    assert message.startswith(f'gt max {gt.max() * 255:.4g}: frames must be in [0, 1]')
    assert 'divide uint8-scale frames by 255' in message


@ENTRY_POINTS
def test_uint8_scale_predictions_are_refused(evaluate, clips):
    pred, gt = clips
    message = one_line_error(evaluate, pred * 255, gt)
    assert message.startswith('pred max ')
    assert f'[{-PRED_OVERSHOOT:g}, {1 + PRED_OVERSHOOT:g}]' in message
    assert 'divide uint8-scale predictions by 255' in message


@ENTRY_POINTS
@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_non_finite_predictions_are_an_error_not_nan_metrics(evaluate, clips, bad):
    pred, gt = clips
    pred = pred.copy()
    pred[1, 2, 0, 3, :2] = bad
    message = one_line_error(evaluate, pred, gt)
    assert message.startswith('pred holds 2 NaN or infinite values (of 1536)')


@ENTRY_POINTS
def test_non_finite_ground_truth_is_an_error(evaluate, clips):
    pred, gt = clips
    gt = gt.copy()
    gt[0, 0, 0, 0, 0] = float('nan')
    assert one_line_error(evaluate, pred, gt).startswith('gt holds 1 NaN or infinite values')


@ENTRY_POINTS
def test_signed_ground_truth_is_an_error_naming_the_mapping(evaluate, clips):
    pred, gt = clips
    message = one_line_error(evaluate, pred, gt * 2 - 1)
    assert message.startswith('gt min ') and '(x + 1) / 2' in message


def test_normal_overshoot_and_rounding_are_accepted(clips):
    pred, gt = clips
    assert pred.min() < -0.2 and pred.max() > 1.2  # raw model output leaves [0, 1]
    gt = gt.copy()
    gt[0, 0, 0, 0, :2] = (1 + GT_TOLERANCE * 0.99, -GT_TOLERANCE * 0.99)
    openstl = compute_metrics(pred, gt, ('mse', ), 'openstl')
    raw = pred.astype(np.float64) - gt
    np.testing.assert_allclose(openstl['mse'], (raw ** 2).sum(axis=(2, 3, 4)).mean(0), rtol=1e-6)


def test_predictions_may_overshoot_up_to_the_documented_bound_and_no_further(clips):
    pred, gt = clips
    pred = pred.copy()
    pred[0, 0, 0, 0, :2] = (-PRED_OVERSHOOT, 1 + PRED_OVERSHOOT)
    compute_metrics(pred, gt, ('mse', ))
    pred[0, 0, 0, 0, 0] = -PRED_OVERSHOOT - 0.01
    assert one_line_error(_via_compute_metrics, pred, gt).startswith('pred min -2.01:')


# --- layout -----------------------------------------------------------------------------------

@ENTRY_POINTS
@pytest.mark.parametrize('channels', [1, 3])
def test_channels_last_input_names_the_expected_layout(evaluate, channels):
    frames = np.zeros((2, 3, 16, 16, channels), np.float32)
    message = one_line_error(evaluate, frames, frames)
    assert message == (f'pred has shape [2, 3, 16, 16, {channels}], channels last '
                       f'[B, T, H, W, C]; metrics take [B, T, C, H, W] (channels first, C = 1 '
                       f'or 3): permute it, e.g. x.permute(0, 1, 4, 2, 3)')


@pytest.mark.parametrize('evaluate', [_via_compute_metrics, _via_frame_metrics],
                         ids=['compute_metrics', 'frame_metrics'])
@pytest.mark.parametrize('shape', [(0, 3, 1, 16, 16), (2, 0, 1, 16, 16)])
def test_an_empty_batch_is_an_error(evaluate, shape):
    empty = np.zeros(shape, np.float32)
    message = one_line_error(evaluate, empty, empty)
    assert message == (f'pred is empty (shape {list(shape)}): metrics need at least one clip '
                       f'of one frame')


def test_video_metric_refuses_an_empty_batch():
    with pytest.raises(DataError, match='empty batch'):
        VideoMetric(metric_names=['mse']).process({}, [])


@ENTRY_POINTS
def test_pred_and_gt_of_different_shapes_are_an_error(evaluate, clips):
    pred, gt = clips
    message = one_line_error(evaluate, pred[..., :8], gt)
    assert message == 'pred and gt must have one shape, got [2, 3, 1, 16, 8] and [2, 3, 1, 16, 16]'


def test_clips_of_wrong_rank_are_an_error_that_names_the_layout():
    message = one_line_error(_via_compute_metrics, np.zeros((16, 16)), np.zeros((16, 16)))
    assert 'must be clips [B, T, C, H, W]' in message and '[16, 16]' in message


def test_nested_lists_give_the_numbers_of_numpy_arrays(clips):
    pred, gt = clips
    expected = compute_metrics(pred, gt, ('mse', 'mae', 'psnr', 'ssim'))
    for pred_in, gt_in in ((pred.tolist(), gt.tolist()), (pred.tolist(), gt)):
        got = compute_metrics(pred_in, gt_in, ('mse', 'mae', 'psnr', 'ssim'))
        for name, value in expected.items():
            np.testing.assert_allclose(got[name], value, rtol=1e-12)
    per_sequence = frame_metrics(pred.tolist(), gt.tolist(), ('mse', ))['mse']
    np.testing.assert_allclose(per_sequence.mean(0).numpy(), expected['mse'], rtol=1e-12)


def test_ragged_nested_lists_are_one_line_errors():
    ragged = [[[[[0.0]]], [[[0.0], [0.0]]]]]
    message = one_line_error(_via_compute_metrics, ragged, ragged)
    assert message.startswith('pred is not an array of frames [B, T, C, H, W]')


def test_the_dump_is_not_written_for_refused_inputs(clips, tmp_path):
    pred, gt = clips
    with pytest.raises(DataError, match='pred holds'):
        _via_video_metric(np.full_like(pred, np.nan), gt, tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- observed frames (FVD's clips begin with them): the rule of the true frames ---------------

@pytest.mark.parametrize('change, fragments', [
    (lambda o: o * 255, ['observed max', 'divide uint8-scale frames by 255']),
    (lambda o: o * 2 - 1, ['observed min', '(x + 1) / 2']),
    (lambda o: torch.where(o > 0.5, torch.tensor(float('nan')), o),
     ['observed holds', 'NaN or infinite', 'the data is broken']),
    (lambda o: o[:, :, :, :8], ['observed frames', 'do not match gt']),
])
def test_observed_frames_follow_the_rule_of_the_true_frames(clips, change, fragments):
    pred, gt = (torch.as_tensor(x) for x in clips)
    observed = change(gt[:, :2].clone())
    with pytest.raises(DataError) as err:
        frame_metrics(pred, gt, ('mse', ), observed=observed)
    assert '\n' not in str(err.value)
    for fragment in fragments:
        assert fragment in str(err.value)
