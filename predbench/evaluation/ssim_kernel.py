"""Per-image SSIM and error sums of image batches on CPUs in one compiled pass (numba).

Torch computes SSIM as some thirty whole-array operations, each a pass through memory; this
kernel keeps, per image, the running column sums of x, y, xy and x² + y² over the current
``win_size`` rows, derives the window sums of one output row from them and averages that row's
SSIM map while the row is in the caches; the same pass adds up the squared and absolute errors
that MSE, MAE and PSNR need. Images run in parallel (``prange``). 5-8x faster than torch on CPUs.

Integer images (uint8, integer-valued floats, or floats quantized on the fly as the original
release's ``np.uint8(x * 255)``) are summed in int64, exactly, and the SSIM formula runs in
float64: the result equals scikit-image's float64 computation to ~1e-15. Float images are summed
in float64 (running sums, like scipy's ``uniform_filter``).

numba is imported, and a kernel compiled (a few seconds, cached on disk), on first use;
:func:`available` says whether numba can be imported at all.
"""
import functools
from typing import Optional

import numpy as np

#: Rows of the array :func:`image_statistics` returns.
SSIM, SQUARED, ERROR_SQUARED, ERROR_ABSOLUTE = range(4)


@functools.lru_cache(maxsize=None)
def available() -> bool:
    """Whether numba can be imported here."""
    try:
        import numba  # noqa: F401
    except Exception:  # ImportError, or a numba built against another numpy
        return False
    return True


@functools.lru_cache(maxsize=None)
def _kernel(integer: bool, quantize: Optional[str]):
    """The compiled kernel: summing in int64 (``integer``) or float64; ``quantize``: None, or
    the dtype ('float32'/'float64') in which the original's ``x * 255`` is computed."""
    import numba
    acc = np.int64 if integer else np.float64
    real = getattr(np, quantize or 'float64')
    scale = real(255)

    @numba.njit(inline='always')
    def pixel(value, clip):  # pragma: no cover (compiled)
        """The value SSIM sees: clipped to [0, 1] if ``clip``; when quantizing, the original's
        uint8(value * 255) (product in the value's own precision, truncation; out-of-range
        results clamped where numpy's cast would wrap around)."""
        if clip:
            value = min(max(value, 0.0), 1.0)
        if quantize is not None:
            return acc(min(max(np.trunc(real(value) * scale), 0.0), 255.0))
        return acc(value)

    @numba.njit(parallel=True, cache=True, nogil=True)
    def statistics(x, y, win_size, c1, c2, clip_x, errors_of_raw_x,
                   out):  # pragma: no cover (compiled)
        """Per image n of x, y [N, H, W]: out[0, n] mean SSIM map (window sums S as in ssim.py:
        (2P + c1)(2(NP Sxy - P) + c2) / ((Q + c1)(NP Sq - Q + c2))), out[1, n] the sum of the
        squared differences of the pixels SSIM saw, out[2, n] and out[3, n] the sums of the
        squared and absolute differences x - y (x clipped to [0, 1] unless errors_of_raw_x),
        in float64."""
        count, height, width = x.shape
        out_h, out_w = height - win_size + 1, width - win_size + 1
        num_points = win_size * win_size
        for n in numba.prange(count):
            # Per column (no running scalar sums in the inner loops, so that they vectorize):
            col = np.zeros((4, width), acc)  # sums over the current win_size rows
            rows = np.empty((win_size, 2, width), acc)  # those rows' pixels, as SSIM sees them
            win = np.empty((4, out_w), acc)  # window sums of one output row
            ssim_sum = np.zeros(out_w)
            squared = np.zeros(width, acc)
            error_sq = np.zeros(width)
            error_abs = np.zeros(width)
            for r in range(height):
                slot = r % win_size
                if r >= win_size:  # the row win_size above leaves the window
                    for c in range(width):
                        a, b = rows[slot, 0, c], rows[slot, 1, c]
                        col[0, c] -= a
                        col[1, c] -= b
                        col[2, c] -= a * b
                        col[3, c] -= a * a + b * b
                for c in range(width):  # every row enters exactly once
                    a = pixel(x[n, r, c], clip_x)
                    b = pixel(y[n, r, c], False)
                    rows[slot, 0, c] = a
                    rows[slot, 1, c] = b
                    col[0, c] += a
                    col[1, c] += b
                    col[2, c] += a * b
                    col[3, c] += a * a + b * b
                    squared[c] += (a - b) * (a - b)
                    raw = np.float64(x[n, r, c])
                    if not errors_of_raw_x:
                        raw = min(max(raw, 0.0), 1.0)
                    error = raw - np.float64(y[n, r, c])
                    error_sq[c] += error * error
                    error_abs[c] += abs(error)
                if r < win_size - 1:
                    continue
                for m in range(4):
                    for c in range(out_w):
                        win[m, c] = col[m, c]
                    for j in range(1, win_size):
                        for c in range(out_w):
                            win[m, c] += col[m, c + j]
                for c in range(out_w):
                    sx, sy = win[0, c], win[1, c]
                    prod = sx * sy
                    squares = sx * sx + sy * sy
                    numerator = (2.0 * prod + c1) * (2.0 * (num_points * win[2, c] - prod) + c2)
                    denominator = (squares + c1) * (num_points * win[3, c] - squares + c2)
                    ssim_sum[c] += numerator / denominator
            out[0, n] = ssim_sum.sum() / (out_h * out_w)
            out[1, n] = np.float64(squared.sum())
            out[2, n] = error_sq.sum()
            out[3, n] = error_abs.sum()

    return statistics


def image_statistics(x: np.ndarray, y: np.ndarray, win_size: int, c1: float, c2: float, *,
                     integer: bool, quantize: bool = False, clip_x: bool = False,
                     errors_of_raw_x: bool = True,
                     threads: Optional[int] = None) -> np.ndarray:
    """Per image of ``x``, ``y`` [N, H, W] (numpy): [4, N] float64, rows :data:`SSIM`,
    :data:`SQUARED`, :data:`ERROR_SQUARED`, :data:`ERROR_ABSOLUTE` (see the kernel).

    Args:
        c1, c2: the constants of the window-sum form (see ssim.py).
        integer: the pixels SSIM sees are integers in [0, 255] (given, or ``quantize``).
        quantize: SSIM sees ``uint8(x * 255)`` of float images, as the original release.
        clip_x: SSIM sees ``x`` clipped to [0, 1] (predictions).
        errors_of_raw_x: the error sums use ``x`` before clipping.
        threads: numba threads (default: numba's own setting).
    """
    import numba
    if quantize and (x.dtype != y.dtype or x.dtype.kind != 'f'):
        raise ValueError(f'quantizing needs two float arrays of one dtype, got {x.dtype} and '
                         f'{y.dtype}')
    kernel = _kernel(bool(integer or quantize), x.dtype.name if quantize else None)
    out = np.empty((4, x.shape[0]), np.float64)
    previous = numba.get_num_threads()
    if threads:
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        kernel(np.ascontiguousarray(x), np.ascontiguousarray(y), win_size, c1, c2,
               bool(clip_x), bool(errors_of_raw_x), out)
    finally:
        numba.set_num_threads(previous)
    return out
