"""Write tiny BAIR-like TFRecord files for the tests (no TensorFlow): the public release's
feature names (``<t>/image_aux1/encoded`` 64x64x3 raw RGB bytes, ``<t>/action`` 4 floats, and
the other camera ``<t>/image_main/encoded`` and ``<t>/endeffector_pos``, which the original
reads past), framed as TFRecords with their masked CRC32C."""
import struct

import numpy as np

FRAME_SHAPE = (64, 64, 3)


def _crc_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _delimited(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def example(features: dict) -> bytes:
    """A serialised tf.train.Example of {name: list of bytes | float array}."""
    entries = b''
    for name, value in features.items():
        if isinstance(value, list):
            inner = _delimited(1, b''.join(_delimited(1, v) for v in value))  # bytes_list
        else:
            packed = np.asarray(value, '<f4').tobytes()
            inner = _delimited(2, _delimited(1, packed))  # float_list, packed values
        entries += _delimited(1, _delimited(1, name.encode()) + _delimited(2, inner))
    return _delimited(1, entries)


def framed(record: bytes) -> bytes:
    header = struct.pack('<Q', len(record))
    return header + struct.pack('<I', masked(header)) + record + struct.pack('<I', masked(record))


def video(seed: int, num_frames: int):
    """(frames uint8 [T, 64, 64, 3], actions float32 [T, 4]) of a reproducible random video."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (num_frames, *FRAME_SHAPE), dtype=np.uint8)
    actions = rng.normal(size=(num_frames, 4)).astype(np.float32)
    return frames, actions


def bair_example(frames: np.ndarray, actions: np.ndarray) -> bytes:
    features = {}
    for t in range(len(frames)):
        features[f'{t}/action'] = actions[t]
        features[f'{t}/endeffector_pos'] = np.zeros(3, np.float32)
        features[f'{t}/image_aux1/encoded'] = [frames[t].tobytes()]
        features[f'{t}/image_main/encoded'] = [frames[t][::-1].tobytes()]
    return example(features)


def write_tfrecord(path, videos, corrupt: dict = None) -> list:
    """Write the videos [(frames, actions)] as records; ``corrupt`` {record: 'data'|'length'|
    'truncate'} damages records. Returns the serialised records."""
    corrupt = corrupt or {}
    records = [bair_example(f, a) for f, a in videos]
    blob = bytearray()
    for k, record in enumerate(records):
        chunk = bytearray(framed(record))
        if corrupt.get(k) == 'data':
            chunk[12 + len(record) // 2] ^= 0x01  # one flipped bit inside the data
        elif corrupt.get(k) == 'length':
            chunk[0] ^= 0x01
        elif corrupt.get(k) == 'truncate':
            chunk = chunk[:len(chunk) // 2]
        blob += chunk
    with open(path, 'wb') as f:
        f.write(bytes(blob))
    return records
