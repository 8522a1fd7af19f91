"""A short CPU training of E3D-LSTM and of MAU on Moving Digits beats "copy the last frame" and
"predict a blank frame" on MSE, like the demo's PredRNN-V2.

The data are the demo's (procedural digit sprites, two digits in 64x64 frames, no download),
in shorter clips (4 -> 4). Adam, batch 8, no sampling mask (truth for the observed frames, own
predictions after), one thread. Measured MSE per frame on 32 test clips (blank 178.9,
copy-last 243.6): E3D-LSTM (2 x 16, patch 8, kernel (2, 3, 3), 200 iterations, lr 5e-3) 126.1;
MAU (2 x 16, patch 2, sr_size 4, tau 3, 150 iterations, lr 3e-3) 109.0. About 15 s and 5 s of
training on an idle core.
"""
import pytest
import torch

from predbench.datasets.moving_mnist import MovingMNIST
from predbench.models import E3DLSTM, MAU, VideoPredictor

INPUT, TOTAL, BATCH, TEST_CLIPS = 4, 8, 8, 32


def _clips(dataset, indices):
    x = torch.stack([dataset[i]['inputs'] for i in indices])
    return x.float() / 255.0 if x.dtype == torch.uint8 else x


def _mse_per_frame(pred, gt):
    return ((pred - gt) ** 2).sum(dim=(2, 3, 4)).mean().item()


@pytest.mark.parametrize('name,iters,lr', [('e3dlstm', 200, 5e-3), ('mau', 150, 3e-3)])
def test_short_training_beats_copy_last_and_blank(name, iters, lr):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train = MovingMNIST(source='sprites', split='train', seq_length=TOTAL,
                            num_sequences=iters * BATCH, digit_range=(0, 8000), seed=0)
        test = MovingMNIST(source='sprites', split='test', seq_length=TOTAL,
                           num_sequences=TEST_CLIPS, digit_range=(9000, 10000), seed=2)
        torch.manual_seed(0)
        backbone = (E3DLSTM([16, 16], 64, patch_size=8, filter_size=3) if name == 'e3dlstm'
                    else MAU([16, 16], 64, patch_size=2, filter_size=3, sr_size=4, tau=3))
        model = VideoPredictor(backbone=backbone, input_length=INPUT)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        for it in range(iters):
            batch = _clips(train, range(it * BATCH, (it + 1) * BATCH))
            loss = sum(model(batch, mode='loss').values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        clips = _clips(test, range(TEST_CLIPS))
        gt = clips[:, INPUT:]
        pred = model.predict_frames(clips[:, :INPUT], TOTAL - INPUT)
    finally:
        torch.set_num_threads(threads)
    blank = _mse_per_frame(torch.zeros_like(gt), gt)
    copy_last = _mse_per_frame(clips[:, INPUT - 1:INPUT].expand_as(gt), gt)
    ours = _mse_per_frame(pred, gt)
    assert blank == pytest.approx(178.9, abs=0.1) and copy_last == pytest.approx(243.6, abs=0.1)
    assert ours < 0.85 * min(blank, copy_last), (ours, blank, copy_last)
