"""reverse_input takes two optimizer steps; checkpoints are atomic and weights-only readable."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.optim import OptimWrapper

from predbench.engine.checkpoint_io import (atomic_write_bytes, find_latest_checkpoint,
                                            read_checkpoint, restore_history_buffers,
                                            to_weights_only)
from predbench.models import VideoPredictor
from predbench.utils.errors import CheckpointError


def _model(reverse_input):
    torch.manual_seed(0)
    return VideoPredictor(dict(type='PredRNNv2', num_hidden=[4], img_size=8, patch_size=2,
                               filter_size=3), input_length=2, reverse_input=reverse_input)


def test_reverse_input_trains_on_the_clip_then_on_its_reversal():
    clip = torch.rand(2, 5, 1, 8, 8)
    mask = torch.ones(2, 3)
    data = dict(inputs=clip, sampling_mask=mask, sampling_mode='reverse')

    model = _model(True)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    log = model.train_step(dict(data), wrapper)

    # The same two steps by hand: forward clip, step; forward reversed clip, step.
    manual = _model(False)
    optimizer = torch.optim.SGD(manual.parameters(), lr=0.1)
    losses = []
    for frames in (clip, clip.flip(1)):
        out = manual(frames, mode='loss', sampling_mask=mask, sampling_mode='reverse')
        total = sum(out.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        losses.append(total.item())
    assert log['loss'].item() == pytest.approx(sum(losses) / 2, rel=1e-6)
    for a, b in zip(model.parameters(), manual.parameters()):
        torch.testing.assert_close(a, b)


def test_without_reverse_input_one_step():
    model = _model(False)
    before = [p.detach().clone() for p in model.parameters()]
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    log = model.train_step(dict(inputs=torch.rand(2, 5, 1, 8, 8)), wrapper)
    assert set(log) == {'loss', 'loss_rec', 'loss_decouple'}
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_message_hub_survives_weights_only_round_trip(tmp_path):
    buffer = HistoryBuffer([1.0, 2.5], [1, 2], max_length=10)
    state = {'message_hub': {'log_scalars': {'train/loss': buffer}, 'runtime_info': {
        'eta': __import__('numpy').float64(3.5)}}, 'state_dict': {'w': torch.ones(2)}}
    path = tmp_path / 'ckpt.pth'
    torch.save(to_weights_only(state), path)
    loaded = read_checkpoint(str(path))  # weights_only=True inside
    restored = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(restored, HistoryBuffer)
    assert list(restored.data[0]) == [1.0, 2.5] and restored.max_length == 10
    assert loaded['message_hub']['runtime_info']['eta'] == 3.5
    assert restore_history_buffers({'a': [1, (2, 3)]}) == {'a': [1, (2, 3)]}


def test_plain_mmengine_pickles_are_refused_with_a_clear_error(tmp_path):
    path = tmp_path / 'plain_mmengine.pth'
    torch.save({'state_dict': {}, 'payload': HistoryBuffer([1.0], [1])}, path)
    with pytest.raises(CheckpointError, match='cannot be loaded safely') as info:
        read_checkpoint(str(path))
    assert 'HistoryBuffer' in str(info.value) and 'weights_only=False' not in str(info.value)


WRITER = """
import sys, itertools
from predbench.engine.checkpoint_io import atomic_write_bytes
path = sys.argv[1]
for i in itertools.count():
    atomic_write_bytes(bytes([i % 251]) * 4_000_000, path)
"""


def test_sigkill_during_writes_never_leaves_a_partial_file(tmp_path):
    target = tmp_path / 'iter_1.pth'
    atomic_write_bytes(b'\x07' * 4_000_000, str(target))
    for delay in (0.3, 0.45, 0.6):
        proc = subprocess.Popen([sys.executable, '-c', WRITER, str(target)])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = target.read_bytes()
        assert len(data) == 4_000_000 and len(set(data)) == 1  # old or new file, whole
    leftovers = [n for n in os.listdir(tmp_path) if n != 'iter_1.pth']
    assert all(n.endswith('.tmp') for n in leftovers)  # only temp files of killed writers


def test_find_latest_checkpoint_survives_a_stale_pointer(tmp_path):
    for it in (2, 10, 4):
        (tmp_path / f'iter_{it}.pth').write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_12.pth'))  # deleted file
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_4.pth')
    assert find_latest_checkpoint(str(tmp_path / 'empty')) is None
