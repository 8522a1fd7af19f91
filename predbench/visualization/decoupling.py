"""t-SNE pictures of PredRNN-V2's memory increments delta_c and delta_m (the original's --visual).

The decoupling loss pushes the increments of the temporal memory C and the spatiotemporal
memory M apart. Following the original release (``core/utils/tsne.py``), every channel of every
sequence and step gives one point per memory: delta_c's top-k activations (over space) followed
by delta_c at the positions of delta_m's top-k, L2-normalised, and the mirror image for delta_m.
When the loss works the two colours form separate clusters.
"""
from typing import List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F


def decoupling_features(delta_c: torch.Tensor, delta_m: torch.Tensor, topk: int = 10
                        ) -> Tuple[np.ndarray, np.ndarray]:
    """Points of one layer: increments [..., N, h, w] -> (features [2M, 2k], labels [2M]).

    M is the number of (step, sequence, channel) triples; label 0 is delta_c, 1 is delta_m.
    """
    c = delta_c.detach().float().flatten(-2).reshape(-1, delta_c.shape[-2] * delta_c.shape[-1])
    m = delta_m.detach().float().flatten(-2).reshape(-1, delta_m.shape[-2] * delta_m.shape[-1])
    k = min(topk, c.shape[1])
    c_top, c_idx = c.topk(k, dim=1)
    m_top, m_idx = m.topk(k, dim=1)
    c_key = F.normalize(torch.cat([c_top, c.gather(1, m_idx)], dim=1), dim=1)
    m_key = F.normalize(torch.cat([m.gather(1, c_idx), m_top], dim=1), dim=1)
    features = torch.cat([c_key, m_key]).cpu().numpy()
    labels = np.repeat([0, 1], len(c_key))
    return features, labels


def mean_abs_cosine(delta_c: torch.Tensor, delta_m: torch.Tensor) -> float:
    """Mean |cos| between delta_c and delta_m per channel along space (0: fully decoupled)."""
    c = delta_c.detach().float().flatten(-2)
    m = delta_m.detach().float().flatten(-2)
    return float(F.cosine_similarity(c, m, dim=-1).abs().mean())


def subsample_pairs(features: np.ndarray, labels: np.ndarray, max_per_class: int,
                    seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Keep at most ``max_per_class`` (delta_c, delta_m) pairs, drawn at random, pairs intact."""
    half = len(features) // 2
    if half <= max_per_class:
        return features, labels
    keep = np.sort(np.random.default_rng(seed).choice(half, max_per_class, replace=False))
    rows = np.concatenate([keep, keep + half])
    return features[rows], labels[rows]


def tsne_2d(features: np.ndarray, seed: int = 0, threads: int = 1) -> np.ndarray:
    """2-D t-SNE embedding (perplexity lowered for small point sets, as t-SNE requires).

    ``threads`` caps scikit-learn's OpenMP threads: on a machine whose cores are busy, its
    spinning threads made a 48-point t-SNE take 40 s instead of 0.2 s.
    """
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits
    perplexity = float(min(30.0, max(2.0, (len(features) - 1) / 3)))
    with threadpool_limits(limits=threads, user_api='openmp'):
        return TSNE(n_components=2, perplexity=perplexity, init='pca', random_state=seed
                    ).fit_transform(features)


def plot_decoupling(embeddings: List[np.ndarray], labels: List[np.ndarray], path: str,
                    titles: Optional[List[str]] = None) -> str:
    """One panel per layer: delta_c in black, delta_m in red (the original's colours)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4 * len(embeddings), 4.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(embeddings), squeeze=False)[0]
    for i, (ax, points, label) in enumerate(zip(axes, embeddings, labels)):
        for value, color, name in ((0, 'black', r'$\Delta C$'), (1, 'tab:red', r'$\Delta M$')):
            chosen = points[label == value]
            ax.scatter(chosen[:, 0], chosen[:, 1], s=6, lw=0, c=color, label=name, alpha=0.7)
        ax.set_title(titles[i] if titles else f'layer {i}')
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(loc='upper right', markerscale=3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
