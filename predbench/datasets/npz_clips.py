"""Read the original PredRNN release's Moving MNIST npz files (clips, dims, input_raw_data).

``clips[0, i] = (start, length)`` of sequence i's input part and ``clips[1, i]`` of its output
part, both indexing the frames of ``input_raw_data`` (frames, C, H, W) float32 in [0, 1].
Uncompressed members are memory-mapped in place (the training file holds 3.3 GB of floats).
"""
import zipfile
from typing import List, Sequence, Tuple, Union

import numpy as np

from ..utils.errors import DataError
from .mapped_array import MappedArray

REQUIRED_KEYS = ('clips', 'dims', 'input_raw_data')
ZIP_LOCAL_HEADER_SIZE = 30  # fixed part of a zip local file header
ZIP_NAME_LENGTH_AT = 26  # offset of the file-name length (then the extra-field length)


def _mmap_member(path: str, key: str) -> Union[MappedArray, np.ndarray]:
    """``key`` of an npz mapped in place when stored uncompressed, else loaded in memory."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(key + '.npy')
        if info.compress_type != zipfile.ZIP_STORED:
            with archive.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f)
            npy_header_size = f.tell()
    with open(path, 'rb') as f:
        f.seek(info.header_offset)
        local = f.read(ZIP_LOCAL_HEADER_SIZE)
    name_len, extra_len = np.frombuffer(local[ZIP_NAME_LENGTH_AT:], '<u2', count=2)
    offset = (info.header_offset + ZIP_LOCAL_HEADER_SIZE + int(name_len) + int(extra_len)
              + npy_header_size)
    if dtype.hasobject:
        raise DataError(f'{path}: {key} holds Python objects; expected numeric arrays')
    return MappedArray(path, dtype, shape, offset, 'F' if fortran else 'C')


def _load_one(path: str) -> Tuple[np.ndarray, Union[MappedArray, np.ndarray]]:
    """(clips [2, N, 2] int64, frames [F, C, H, W]) of one npz, with its layout checked."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            missing = [k for k in REQUIRED_KEYS if k not in keys]
            if missing:
                raise DataError(
                    f'{path}: missing key(s) {missing} (has {sorted(keys)}); expected the original '
                    f'PredRNN npz layout with keys {list(REQUIRED_KEYS)}')
            clips = np.asarray(npz['clips'])
            dims = np.asarray(npz['dims'])
    except (OSError, zipfile.BadZipFile, ValueError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f'{path}: not a readable npz file ({e})') from e
    frames = _mmap_member(path, 'input_raw_data')
    if clips.ndim != 3 or clips.shape[0] != 2 or clips.shape[2] != 2 or clips.shape[1] == 0:
        raise DataError(f'{path}: clips has shape {clips.shape}, expected (2, N, 2) with N > 0: '
                        f'(start, length) of the input and output part of each sequence')
    if not np.issubdtype(clips.dtype, np.integer):
        raise DataError(f'{path}: clips has dtype {clips.dtype}, expected integers')
    if frames.ndim != 4 or not np.issubdtype(frames.dtype, np.floating):
        raise DataError(f'{path}: input_raw_data has shape {frames.shape} and dtype '
                        f'{frames.dtype}, expected float frames (frames, C, H, W)')
    if dims.size != 3:
        raise DataError(f'{path}: dims is {dims.tolist()}, expected one (C, H, W) row such as '
                        f'[[1, 64, 64]] (separate output_raw_data files are not supported)')
    if tuple(dims.reshape(3)) != frames.shape[1:]:
        raise DataError(f'{path}: dims {dims.tolist()} does not match input_raw_data frames of '
                        f'shape {frames.shape[1:]} (C, H, W)')
    clips = clips.astype(np.int64)
    ends = clips[:, :, 0] + clips[:, :, 1]
    if clips[:, :, 0].min() < 0 or clips[:, :, 1].min() < 1 or ends.max() > len(frames):
        raise DataError(f'{path}: clips point outside input_raw_data ({len(frames)} frames)')
    return clips, frames


class NpzClips:
    """Sequences of one or several original npz files, concatenated in the order given."""

    def __init__(self, paths: Sequence[str]):
        self.paths = list(paths)
        parts = [_load_one(p) for p in self.paths]
        shapes = {frames.shape[1:] for _, frames in parts}
        if len(shapes) > 1:
            raise DataError(f'{self.paths}: the npz files hold frames of different shapes '
                            f'{sorted(shapes)}')
        self.frame_shape: Tuple[int, int, int] = shapes.pop()
        self._frames: List[Union[MappedArray, np.ndarray]] = [frames for _, frames in parts]
        # (file, input start, input length, output start, output length) per sequence; each
        # file keeps its own frames, which is what the original's offsetting of later files'
        # clip starts aims for (its `+=` acts on a temporary copy, so it never took effect).
        self._clips: List[Tuple[int, int, int, int, int]] = [
            (file_idx, *map(int, clips[0, i]), *map(int, clips[1, i]))
            for file_idx, (clips, _) in enumerate(parts) for i in range(clips.shape[1])
        ]
        lengths = {c[2] + c[4] for c in self._clips}
        if len(lengths) > 1:
            raise DataError(f'{self.paths}: sequences have different lengths {sorted(lengths)}; '
                            f'batching needs one length')
        self.seq_length = lengths.pop()
        self.input_length = self._clips[0][2]

    def __len__(self) -> int:
        return len(self._clips)

    def __getitem__(self, index: int) -> np.ndarray:
        """Sequence ``index`` as float32 [T, C, H, W]: its input part, then its output part."""
        file_idx, in_start, in_len, out_start, out_len = self._clips[index]
        frames = self._frames[file_idx]
        seq = np.concatenate([frames[in_start:in_start + in_len],
                              frames[out_start:out_start + out_len]])
        return seq.astype(np.float32, copy=False)
