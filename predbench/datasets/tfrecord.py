"""Read TFRecord files of ``tf.train.Example`` records without TensorFlow, checking every CRC.

A TFRecord file is a sequence of records, each

    uint64 length | uint32 masked CRC32C of the 8 length bytes | data | uint32 masked CRC32C of data

(little-endian; masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8, modulo 2^32). A record whose
length or data does not match its CRC, or a file that ends inside a record, raises
:class:`~predbench.datasets.conversion.DamagedFileError` naming the file and the record number
(0-based, as the original's ``bair.py`` counts them).

``tf.train.Example`` is read from the protobuf wire format directly (a feature map of bytes,
float or int64 lists); only the wire types that format uses are accepted.

CRC32C runs compiled with numba (about a GB/s; BAIR's training files are ~30 GB) and falls back
to a table-driven Python loop, which is slow but correct, without numba.
"""
import struct
from typing import Dict, Iterator, List, Optional, Tuple, Union

import numpy as np

from .conversion import DamagedFileError

CRC_MASK_DELTA = 0xA282EAD8
CASTAGNOLI_REVERSED = 0x82F63B78
HEADER = struct.Struct('<QI')  # length, masked CRC of the length
FOOTER = struct.Struct('<I')  # masked CRC of the data
DOWNLOAD_AGAIN = 'download the file again (or pass --skip-bad to go on without it)'

Feature = Union[List[bytes], np.ndarray]


def _crc_table() -> np.ndarray:
    table = np.zeros(256, np.uint32)
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ CASTAGNOLI_REVERSED if crc & 1 else crc >> 1
        table[i] = crc
    return table


CRC_TABLE = _crc_table()


def _crc32c_python(data: np.ndarray, table: np.ndarray) -> int:
    crc = 0xFFFFFFFF
    table_list = table.tolist()
    for byte in data.tobytes():
        crc = table_list[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_compiled = None


def _crc_kernel():
    """The numba kernel (compiled once, cached on disk), or the Python loop without numba."""
    global _compiled
    if _compiled is None:
        try:
            import numba
        except ImportError:
            _compiled = _crc32c_python
        else:
            @numba.njit(cache=True, nogil=True)
            def kernel(data, table):
                crc = np.uint32(0xFFFFFFFF)
                for byte in data:
                    crc = table[(crc ^ byte) & np.uint32(0xFF)] ^ (crc >> np.uint32(8))
                return crc ^ np.uint32(0xFFFFFFFF)

            _compiled = kernel
    return _compiled


def crc32c(data: Union[bytes, bytearray, memoryview]) -> int:
    """CRC-32C (Castagnoli) of ``data``, as TFRecord files use it."""
    return int(_crc_kernel()(np.frombuffer(data, np.uint8), CRC_TABLE))


def masked_crc32c(data: Union[bytes, bytearray, memoryview]) -> int:
    """TFRecord's masked CRC: the CRC rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + CRC_MASK_DELTA) & 0xFFFFFFFF


def iter_records(path: str, label: Optional[str] = None) -> Iterator[Tuple[int, bytes]]:
    """(record number, data) of each record of the TFRecord file ``path``, every CRC checked.

    Raises DamagedFileError ``'<label>: record <k>: <what>'`` on a CRC mismatch or a truncated
    record.
    """
    label = label or path
    with open(path, 'rb') as f:
        index = 0
        while True:
            header = f.read(HEADER.size)
            if not header:
                return
            record = f'record {index}'
            if len(header) < HEADER.size:
                raise DamagedFileError(label, f'{record}: the file ends inside the record '
                                       f'header', DOWNLOAD_AGAIN)
            length, length_crc = HEADER.unpack(header)
            if masked_crc32c(header[:8]) != length_crc:
                raise DamagedFileError(label, f'{record}: the CRC of its length does not match',
                                       DOWNLOAD_AGAIN)
            data = f.read(length)
            footer = f.read(FOOTER.size)
            if len(data) < length or len(footer) < FOOTER.size:
                raise DamagedFileError(label, f'{record}: the file ends inside the record '
                                       f'({length} bytes declared)', DOWNLOAD_AGAIN)
            if masked_crc32c(data) != FOOTER.unpack(footer)[0]:
                raise DamagedFileError(label, f'{record}: the CRC of its data does not match',
                                       DOWNLOAD_AGAIN)
            yield index, data
            index += 1


# -- tf.train.Example: the protobuf wire format --------------------------------------------------
VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
BYTES_LIST, FLOAT_LIST, INT64_LIST = 1, 2, 3


class ExampleFormatError(ValueError):
    """The bytes are not a well-formed tf.train.Example."""


def _varint(buf: memoryview, pos: int) -> Tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ExampleFormatError('truncated varint')
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ExampleFormatError('varint longer than 10 bytes')


def _fields(buf: memoryview) -> Iterator[Tuple[int, int, Union[int, memoryview]]]:
    """(field number, wire type, value) of a message: ints for varints, views for the rest."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _varint(buf, pos)
        elif wire == LENGTH_DELIMITED:
            size, pos = _varint(buf, pos)
            value = buf[pos:pos + size]
            if len(value) < size:
                raise ExampleFormatError('truncated field')
            pos += size
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            value = buf[pos:pos + size]
            if len(value) < size:
                raise ExampleFormatError('truncated field')
            pos += size
        else:
            raise ExampleFormatError(f'wire type {wire} is not used by tf.train.Example')
        yield number, wire, value


def _feature(buf: memoryview) -> Feature:
    """One tf.train.Feature: a list of bytes, or float32 / int64 values as an array."""
    for kind, wire, value in _fields(buf):
        if wire != LENGTH_DELIMITED:
            raise ExampleFormatError('a Feature holds length-delimited lists')
        if kind == BYTES_LIST:
            return [bytes(v) for n, w, v in _fields(value) if n == 1 and w == LENGTH_DELIMITED]
        if kind == FLOAT_LIST:
            parts = []
            for n, w, v in _fields(value):
                if n != 1 or w not in (LENGTH_DELIMITED, FIXED32):
                    raise ExampleFormatError('a FloatList holds 32-bit floats')
                parts.append(bytes(v))
            return np.frombuffer(b''.join(parts), '<f4').astype(np.float32)
        if kind == INT64_LIST:
            values = []
            for n, w, v in _fields(value):
                if n != 1:
                    continue
                if w == VARINT:
                    values.append(v)
                elif w == LENGTH_DELIMITED:  # packed
                    pos = 0
                    while pos < len(v):
                        item, pos = _varint(v, pos)
                        values.append(item)
            # int64 is two's complement in a varint of up to 10 bytes
            return np.array([x - (1 << 64) if x >= 1 << 63 else x for x in values], np.int64)
    return []


def parse_example(data: bytes) -> Dict[str, Feature]:
    """The feature map of a serialised tf.train.Example: name -> list of bytes or array."""
    features: Dict[str, Feature] = {}
    for number, wire, value in _fields(memoryview(data)):
        if number != 1 or wire != LENGTH_DELIMITED:
            continue  # Example has one field, features
        for entry_number, entry_wire, entry in _fields(value):
            if entry_number != 1 or entry_wire != LENGTH_DELIMITED:
                continue  # Features has one field, the map
            key, feature = None, memoryview(b'')
            for n, w, v in _fields(entry):
                if n == 1 and w == LENGTH_DELIMITED:
                    key = bytes(v).decode('utf-8')
                elif n == 2 and w == LENGTH_DELIMITED:
                    feature = v
            if key is None:
                raise ExampleFormatError('a feature without a name')
            features[key] = _feature(feature)
    return features
