"""Gaussian statistics of feature vectors, accumulated as sums, and the Fréchet distance.

A set-level metric (``metric_table.py``) sees each clip once, as a few feature vectors (FVD: the
I3D features of the true clip and of the predicted one). Its statistics over the whole set are
sums, :class:`GaussianMoments` (count, sum, sum of outer products, float64), so that batches and
ranks add up without any process keeping every clip's features.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from ..utils.errors import DataError


class GaussianMoments:
    """Sums over clips of ``G`` groups of ``D``-dimensional features: the clip count, the sum
    [G, D] and the sum of outer products [G, D, D], in float64."""

    def __init__(self, count: int, total: torch.Tensor, outer: torch.Tensor) -> None:
        self.count, self.total, self.outer = int(count), total, outer

    @classmethod
    def of(cls, features: torch.Tensor) -> 'GaussianMoments':
        """The moments of per-clip features [N, G, D] (any float dtype, any device)."""
        features = torch.as_tensor(features).detach().to('cpu', torch.float64)
        if features.dim() != 3:
            raise DataError(f'set-level features must be [clips, groups, dims], got shape '
                            f'{list(features.shape)}')
        return cls(features.shape[0], features.sum(dim=0),
                   torch.einsum('ngd,nge->gde', features, features))

    @classmethod
    def total_of(cls, parts: Sequence[Optional['GaussianMoments']]) -> Optional['GaussianMoments']:
        """The sum of ``parts`` in the order given (None entries skipped); None if all are."""
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        total = cls(parts[0].count, parts[0].total.clone(), parts[0].outer.clone())
        for part in parts[1:]:
            total.count += part.count
            total.total += part.total
            total.outer += part.outer
        return total

    def mean(self) -> np.ndarray:
        """The mean feature of each group [G, D]."""
        return (self.total / self.count).numpy()

    def covariance(self) -> np.ndarray:
        """The sample covariance of each group [G, D, D] (divided by count - 1, as ``np.cov``
        and the original TensorFlow FVD do)."""
        if self.count < 2:
            raise DataError(f'a covariance needs at least 2 clips, got {self.count}')
        mean = self.total / self.count
        centred = self.outer - self.count * torch.einsum('gd,ge->gde', mean, mean)
        return (centred / (self.count - 1)).numpy()


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh((sigma + sigma.T) / 2)
    return (vectors * np.sqrt(values.clip(min=0))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
    """||mu1 - mu2||² + tr(Σ1 + Σ2 - 2 (Σ1 Σ2)^½): the Fréchet (2-Wasserstein) distance between
    two Gaussians.

    tr((Σ1 Σ2)^½) is the sum of the singular values of Σ1^½ Σ2^½ (the eigenvalues of Σ1 Σ2 are
    those of (Σ1^½ Σ2^½)(Σ1^½ Σ2^½)ᵀ), computed from symmetric eigendecompositions and an SVD:
    real, and accurate where ``scipy.linalg.sqrtm`` of the non-symmetric product returns complex
    rounding noise of order sqrt(machine epsilon) per zero eigenvalue (rank-deficient
    covariances: fewer clips than feature dimensions, as with FVD's 400 features).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    trace_sqrt = np.linalg.svd(_psd_sqrt(sigma1) @ _psd_sqrt(sigma2), compute_uv=False).sum()
    return float(np.square(mu1 - mu2).sum() + np.trace(sigma1) + np.trace(sigma2)
                 - 2 * trace_sqrt)


def frechet_distance_of(moments: GaussianMoments, groups: Tuple[int, int] = (0, 1)) -> float:
    """The Fréchet distance between the Gaussians of two feature groups of ``moments``."""
    mean, cov = moments.mean(), moments.covariance()
    first, second = groups
    return frechet_distance(mean[first], cov[first], mean[second], cov[second])
