"""compute_metrics against independent computations, for each of the three conventions."""
import lpips
import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from predbench.evaluation import DEFAULT_METRIC_NAMES, compute_metrics
from predbench.utils.errors import ConfigError, DataError


def _gray3(x: np.ndarray) -> torch.Tensor:
    """One image [C, H, W] as a [1, 3, H, W] float32 tensor (grayscale repeated)."""
    t = torch.as_tensor(np.asarray(x, np.float32))[None]
    return t.repeat(1, 3 // t.shape[1], 1, 1)


# --- 'predbench' ---------------------------------------------------------------------------

def test_predbench_convention_matches_numpy_skimage_and_lpips(digit_clips, random_lpips):
    pred, gt = digit_clips
    out = compute_metrics(pred, gt, DEFAULT_METRIC_NAMES, 'predbench', lpips_net=random_lpips)
    p = np.clip(pred, 0, 1).astype(np.float64)
    g = gt.astype(np.float64)
    n, steps = pred.shape[:2]
    np.testing.assert_allclose(out['mse'], ((p - g) ** 2).sum(axis=(2, 3, 4)).mean(0), rtol=1e-6)
    np.testing.assert_allclose(out['mae'], np.abs(p - g).sum(axis=(2, 3, 4)).mean(0), rtol=1e-6)
    psnr = [[peak_signal_noise_ratio(g[i, t], p[i, t], data_range=1) for t in range(steps)]
            for i in range(n)]
    np.testing.assert_allclose(out['psnr'], np.mean(psnr, axis=0), rtol=1e-6)
    ssim = [[structural_similarity(p[i, t], g[i, t], data_range=1, channel_axis=0)
             for t in range(steps)] for i in range(n)]
    np.testing.assert_allclose(out['ssim'], np.mean(ssim, axis=0), atol=1e-4)
    with torch.no_grad():
        lp = [[random_lpips(_gray3(g[i, t]), _gray3(p[i, t]), normalize=True).item()
               for t in range(steps)] for i in range(n)]
    np.testing.assert_allclose(out['lpips'], np.mean(lp, axis=0), rtol=1e-4, atol=1e-6)


def test_predbench_convention_on_rgb_non_square_frames(rgb_clips, random_lpips):
    pred, gt = rgb_clips
    out = compute_metrics(torch.from_numpy(pred), torch.from_numpy(gt),
                          DEFAULT_METRIC_NAMES, lpips_net=random_lpips)
    p = np.clip(pred, 0, 1).astype(np.float64)
    ssim = [[structural_similarity(p[i, t], gt[i, t].astype(np.float64), data_range=1,
                                   channel_axis=0) for t in range(2)] for i in range(4)]
    np.testing.assert_allclose(out['ssim'], np.mean(ssim, axis=0), atol=1e-4)
    with torch.no_grad():
        lp = [[random_lpips(_gray3(gt[i, t]), _gray3(p[i, t]), normalize=True).item()
               for t in range(2)] for i in range(4)]
    np.testing.assert_allclose(out['lpips'], np.mean(lp, axis=0), rtol=1e-4, atol=1e-6)


# --- 'thuml': a literal re-statement of the original release's test loop -------------------

def batch_psnr(gen_frames, gt_frames):
    """The original's core/utils/metrics.py, as released."""
    if gen_frames.ndim == 3:
        axis = (1, 2)
    elif gen_frames.ndim == 4:
        axis = (1, 2, 3)
    x = np.int32(gen_frames)
    y = np.int32(gt_frames)
    num_pixels = float(np.size(gen_frames[0]))
    mse = np.sum((x - y) ** 2, axis=axis, dtype=np.float32) / num_pixels
    psnr = 20 * np.log10(255) - 10 * np.log10(mse)
    return np.mean(psnr)


def thuml_test_loop(pred, gt, batch_size, loss_fn):
    """The original trainer.test() on [N, T, C, H, W] clips, batch by batch, image by image."""
    pred = pred.transpose(0, 1, 3, 4, 2)  # the original's frames are [B, T, H, W, C]
    gt = gt.transpose(0, 1, 3, 4, 2)
    steps = pred.shape[1]
    img_mse, ssim, psnr, lp = [0] * steps, [0] * steps, [0] * steps, [0] * steps
    batch_id = 0
    for start in range(0, len(pred), batch_size):
        batch_id += 1
        test_ims, img_out = gt[start:start + batch_size], pred[start:start + batch_size]
        for i in range(steps):
            x = test_ims[:, i]
            gx = np.minimum(np.maximum(img_out[:, i], 0), 1)
            img_mse[i] += np.square(x - gx).sum()
            repeat = 3 // x.shape[-1]  # grayscale to the 3 channels AlexNet takes
            img_x = torch.FloatTensor(np.repeat(x, repeat, axis=-1).transpose(0, 3, 1, 2))
            img_gx = torch.FloatTensor(np.repeat(gx, repeat, axis=-1).transpose(0, 3, 1, 2))
            with torch.no_grad():
                lp[i] += torch.mean(loss_fn(img_x, img_gx)).item()
            real_frm = np.uint8(x * 255)
            pred_frm = np.uint8(gx * 255)
            psnr[i] += batch_psnr(pred_frm, real_frm)
            for b in range(len(x)):
                # compare_ssim(pred, real, multichannel=True) of old scikit-image on uint8.
                ssim[i] += structural_similarity(pred_frm[b], real_frm[b], data_range=255,
                                                 channel_axis=-1)
    n = batch_id * batch_size
    return {'mse': np.array(img_mse) / n, 'ssim': np.asarray(ssim, np.float32) / n,
            'psnr': np.asarray(psnr, np.float32) / batch_id,
            'lpips': np.asarray(lp, np.float32) / batch_id}


def test_thuml_convention_reproduces_the_original_test_loop(digit_clips, random_lpips):
    pred, gt = digit_clips
    expected = thuml_test_loop(pred, gt, batch_size=2, loss_fn=random_lpips)
    out = compute_metrics(pred, gt, ('mse', 'psnr', 'ssim', 'lpips'), 'thuml',
                          thuml_batch_size=2, lpips_net=random_lpips)
    np.testing.assert_allclose(out['mse'], expected['mse'], rtol=1e-5)
    np.testing.assert_allclose(out['psnr'], expected['psnr'], rtol=1e-5)
    np.testing.assert_allclose(out['ssim'], expected['ssim'], atol=1e-5)
    np.testing.assert_allclose(out['lpips'], expected['lpips'], rtol=1e-4, atol=1e-6)


def test_thuml_convention_reproduces_the_original_on_rgb(rgb_clips, random_lpips):
    pred, gt = rgb_clips
    expected = thuml_test_loop(pred, gt, batch_size=4, loss_fn=random_lpips)
    out = compute_metrics(pred, gt, ('mse', 'psnr', 'ssim', 'lpips'), 'thuml',
                          thuml_batch_size=4, lpips_net=random_lpips)
    for name in out:
        np.testing.assert_allclose(out[name], expected[name], rtol=1e-4, atol=1e-5)


def test_thuml_uses_truncation_to_uint8_not_rounding():
    gt = np.full((2, 1, 1, 16, 16), 200 / 255, np.float32)
    pred = gt - np.float32(1e-4)  # 199.97: truncates to 199, would round to 200
    out = compute_metrics(pred, gt, ('psnr', 'ssim'), 'thuml')
    # Every pixel one grey level off: MSE 1 on the uint8 scale.
    np.testing.assert_allclose(out['psnr'], [20 * np.log10(255)], rtol=1e-6)
    float_psnr = compute_metrics(pred, gt, ('psnr', ), 'predbench')['psnr']
    np.testing.assert_allclose(float_psnr, [80.0], rtol=1e-3)  # -10 log10(1e-8)

    gt_digits = np.zeros((1, 1, 1, 16, 16), np.float32)
    gt_digits[..., 4:12, 4:12] = 0.9999
    out = compute_metrics(gt_digits, gt_digits, ('psnr', ), 'thuml')
    assert np.isinf(out['psnr']).all()  # identical inputs: identical truncation


def test_thuml_partial_last_batch_counts_as_one_batch_for_psnr_and_lpips(digit_clips,
                                                                        random_lpips):
    pred, gt = digit_clips[0][:5], digit_clips[1][:5]  # batches of 2: [0, 1], [2, 3], [4]
    per_clip = {i: compute_metrics(pred[i:i + 1], gt[i:i + 1], ('mse', 'psnr', 'lpips'),
                                   'thuml', lpips_net=random_lpips) for i in range(5)}
    out = compute_metrics(pred, gt, ('mse', 'psnr', 'lpips'), 'thuml', thuml_batch_size=2,
                          lpips_net=random_lpips)
    for name in ('psnr', 'lpips'):
        batches = [[0, 1], [2, 3], [4]]
        expected = np.mean([np.mean([per_clip[i][name] for i in b], axis=0) for b in batches],
                           axis=0)
        np.testing.assert_allclose(out[name], expected, rtol=1e-6)
    # MSE (and SSIM, MAE) stay means over clips.
    np.testing.assert_allclose(out['mse'], np.mean([per_clip[i]['mse'] for i in range(5)], 0),
                               rtol=1e-6)


# --- 'openstl': a literal re-statement of openstl/core/metrics.py metric() -----------------

def openstl_metric(pred, true, loss_fn=None):
    """OpenSTL's metric(pred, true, metrics=[mae, mse, ssim, psnr, lpips]) under old skimage."""
    res = {'mae': np.mean(np.abs(pred - true), axis=(0, 1)).sum(),
           'mse': np.mean((pred - true) ** 2, axis=(0, 1)).sum()}
    pred = np.minimum(np.maximum(pred, 0), 1)
    ssim = psnr = lp = 0
    for b in range(pred.shape[0]):
        for f in range(pred.shape[1]):
            # cal_ssim(..., multichannel=True) on floats: old skimage took data_range = 2.
            ssim += structural_similarity(pred[b, f].swapaxes(0, 2).astype(np.float64),
                                          true[b, f].swapaxes(0, 2).astype(np.float64),
                                          data_range=2, channel_axis=-1)
            mse = np.mean((pred[b, f].astype(np.float32) - true[b, f].astype(np.float32)) ** 2)
            psnr += 20. * np.log10(1. / np.sqrt(mse))
            if loss_fn is not None:
                img1 = lpips.im2tensor(pred[b, f].transpose(1, 2, 0) * 255)
                img2 = lpips.im2tensor(true[b, f].transpose(1, 2, 0) * 255)
                with torch.no_grad():
                    lp += loss_fn.forward(img1, img2).squeeze().numpy()
    count = pred.shape[0] * pred.shape[1]
    return dict(res, ssim=ssim / count, psnr=psnr / count, lpips=lp / count)


def test_openstl_convention_reproduces_its_metric_function(digit_clips, random_lpips):
    pred, gt = digit_clips
    out = compute_metrics(pred, gt, DEFAULT_METRIC_NAMES, 'openstl', lpips_net=random_lpips)
    for t in range(pred.shape[1]):
        expected = openstl_metric(pred[:, t:t + 1], gt[:, t:t + 1], random_lpips)
        for name in DEFAULT_METRIC_NAMES:
            np.testing.assert_allclose(out[name][t], expected[name], rtol=1e-4, atol=1e-6,
                                       err_msg=f'{name} at frame {t + 1}')
    # Its single summary value is our mean over predicted frames.
    whole = openstl_metric(pred, gt, loss_fn=None)
    for name in ('mse', 'mae', 'psnr', 'ssim'):
        np.testing.assert_allclose(out[name].mean(), whole[name], rtol=1e-5)


def test_openstl_errors_are_taken_before_clipping(rng_clips):
    pred, gt = rng_clips(3, (4, 2, 1, 16, 16), spread=0.5)
    openstl = compute_metrics(pred, gt, ('mse', 'mae'), 'openstl')
    ours = compute_metrics(pred, gt, ('mse', 'mae'), 'predbench')
    raw = pred.astype(np.float64) - gt
    np.testing.assert_allclose(openstl['mse'], (raw ** 2).sum(axis=(2, 3, 4)).mean(0), rtol=1e-6)
    assert (openstl['mse'] > ours['mse']).all() and (openstl['mae'] > ours['mae']).all()
    inside = np.clip(pred, 0, 1)
    np.testing.assert_allclose(compute_metrics(inside, gt, ('mse', ), 'openstl')['mse'],
                               compute_metrics(inside, gt, ('mse', ))['mse'], rtol=1e-12)


# --- inputs and errors ----------------------------------------------------------------------

def test_numpy_torch_uint8_chunking_and_single_clip_inputs_agree(digit_clips):
    pred, gt = digit_clips
    gt_u8 = np.round(gt * 255).astype(np.uint8)
    base = compute_metrics(pred, gt_u8 / np.float32(255))
    for other in (compute_metrics(torch.from_numpy(pred), torch.from_numpy(gt_u8)),
                  compute_metrics(pred, gt_u8, chunk_size=4)):
        for name in base:
            np.testing.assert_allclose(other[name], base[name], rtol=1e-6)
    one = compute_metrics(pred[0], gt[0])
    assert one['mse'].shape == (3, )


def test_unknown_convention_metric_or_shapes_are_one_line_errors(rng_clips):
    pred, gt = rng_clips(0, (1, 2, 1, 8, 8))
    with pytest.raises(ConfigError, match='convention must be one of'):
        compute_metrics(pred, gt, convention='pytorch')
    with pytest.raises(ConfigError, match='drawn from'):
        compute_metrics(pred, gt, metrics=('mse', 'fid'))
    with pytest.raises(DataError, match='one shape'):
        compute_metrics(pred, gt[..., :4])
    with pytest.raises(DataError, match='1- or 3-channel'):
        compute_metrics(np.zeros((1, 1, 2, 32, 32)), np.zeros((1, 1, 2, 32, 32)), ('lpips', ),
                        lpips_pretrained_backbone=False)


def test_half_precision_predictions_are_evaluated_in_float32(digit_clips):
    pred, gt = digit_clips
    half = torch.from_numpy(pred).half()
    for convention in ('predbench', 'thuml'):
        out = compute_metrics(half, gt, convention=convention)
        expected = compute_metrics(half.float(), gt, convention=convention)
        for name in out:
            np.testing.assert_allclose(out[name], expected[name], rtol=1e-12)
