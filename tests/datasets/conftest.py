"""Small files in each real dataset format, made on the fly (no download, no real data needed)."""
import functools
import http.server
import os
import os.path as osp
import threading

import cv2
import numpy as np
import pytest

from tool_runner import load_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Real MNIST test digits shared with this checkout (never copied into the repo).
REAL_T10K = osp.join(osp.dirname(REPO), 'shared', 'data', 'mnist', 't10k-images-idx3-ubyte.gz')
KTH_SIZE = (120, 160)  # (H, W) of the raw release


@pytest.fixture(scope='session')
def prepare_mmnist():
    return load_tool('data/prepare_mmnist.py')


@pytest.fixture
def real_t10k() -> str:
    if not osp.isfile(REAL_T10K):
        pytest.skip(f'real MNIST test digits not present at {REAL_T10K}')
    return REAL_T10K


def kth_frame(seed: int) -> np.ndarray:
    """A 3-channel 120x160 frame whose channels differ, so picking the wrong one shows."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, KTH_SIZE + (3,), dtype=np.uint8)


def write_frame_folder(root: str, name: str, numbers, seed: int = 0) -> str:
    """<root>/<action>/<name>/image_NNNN.png for the given frame numbers (gaps allowed)."""
    action = name.split('_')[1]
    folder = osp.join(root, action, name)
    os.makedirs(folder, exist_ok=True)
    for n in numbers:
        cv2.imwrite(osp.join(folder, f'image_{n:04d}.png'), kth_frame(seed * 10007 + n))
    return folder


# (folder name, frame numbers): strides, gaps, too-short videos and the person split all show up.
KTH_VIDEOS = [
    ('person01_boxing_d1_uncomp', list(range(1, 46))),
    ('person02_boxing_d2_uncomp', [n for n in range(1, 34) if n != 10]),  # gap at 10
    ('person16_boxing_d1_uncomp', list(range(1, 13))),  # shorter than a 20-frame window
    ('person17_boxing_d1_uncomp', list(range(1, 51))),
    ('person01_jogging_d1_uncomp', list(range(1, 41))),
    ('person15_jogging_d3_uncomp', list(range(1, 31))),
    ('person17_jogging_d2_uncomp', [n for n in range(1, 36) if n not in (20, 21)]),
    ('person03_handwaving_d3_uncomp', list(range(1, 26))),
    ('person18_running_d4_uncomp', list(range(1, 24))),
]
KTH_ACTIONS = ('boxing', 'handclapping', 'handwaving', 'walking', 'jogging', 'running')


@pytest.fixture(scope='session')
def kth_root(tmp_path_factory) -> str:
    """A KTH frame-folder tree (what prepare_kth writes) with every action folder present."""
    root = str(tmp_path_factory.mktemp('kth'))
    for action in KTH_ACTIONS:
        os.makedirs(osp.join(root, action), exist_ok=True)
    for i, (name, numbers) in enumerate(KTH_VIDEOS):
        write_frame_folder(root, name, numbers, seed=i)
    return root


def write_avi(path: str, frames) -> None:
    """An MJPG AVI (the codec this OpenCV build writes and reads back)."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 25, (width, height))
    assert writer.isOpened(), 'OpenCV cannot write MJPG AVIs here'
    for frame in frames:
        writer.write(frame)
    writer.release()


def moving_square_frames(count: int, seed: int):
    """Frames of a bright square moving over a gray background, like a tiny KTH clip."""
    frames = []
    for t in range(count):
        frame = np.full(KTH_SIZE + (3,), 60 + seed * 10, np.uint8)
        x = (5 + 3 * t) % (KTH_SIZE[1] - 20)
        frame[40:60, x:x + 20] = 220
        frames.append(frame)
    return frames


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def http_root(tmp_path):
    """(folder, base URL) of a local HTTP server serving that folder, stopped after the test."""
    folder = tmp_path / 'www'
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield str(folder), f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def make_kth_tree(tmp_path):
    """A function (videos: {folder name: frame numbers}) -> a fresh KTH root with every action."""
    def make(videos, name: str = 'kth') -> str:
        root = str(tmp_path / name)
        for action in KTH_ACTIONS:
            os.makedirs(osp.join(root, action), exist_ok=True)
        for i, (video, numbers) in enumerate(videos.items()):
            write_frame_folder(root, video, numbers, seed=100 + i)
        return root
    return make


@pytest.fixture(scope='session')
def avi_tools():
    """(write_avi, moving_square_frames) for tests that need raw KTH videos."""
    return write_avi, moving_square_frames


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO
