"""TFRecord files and tf.train.Example records are read without TensorFlow, every CRC checked."""
import numpy as np
import pytest

from bair_records import example, framed, write_tfrecord, video
from predbench.datasets.conversion import DamagedFileError
from predbench.datasets.tfrecord import (ExampleFormatError, crc32c, iter_records,
                                         masked_crc32c, parse_example)


def test_crc32c_gives_the_published_check_values():
    # The CRC-32C check value and the iSCSI (RFC 3720, B.4) test vectors.
    assert crc32c(b'123456789') == 0xE3069283
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b'\xff' * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E
    assert crc32c(b'') == 0


def test_masked_crc_is_tfrecords():
    crc = crc32c(b'abc')
    assert masked_crc32c(b'abc') == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def test_records_come_back_in_order_with_their_numbers(tmp_path):
    path = tmp_path / 'a.tfrecords'
    path.write_bytes(framed(b'first') + framed(b'') + framed(bytes(range(256)) * 3))
    assert list(iter_records(str(path))) == [(0, b'first'), (1, b''),
                                             (2, bytes(range(256)) * 3)]


@pytest.mark.parametrize('damage,record,reason', [
    ('data', 1, 'the CRC of its data does not match'),
    ('length', 1, 'the CRC of its length does not match'),
    ('truncate', 2, 'the file ends inside the record'),  # a download that stopped early
])
def test_a_damaged_record_is_named_by_file_and_number(tmp_path, damage, record, reason):
    path = tmp_path / 'traj_0_to_2.tfrecords'
    write_tfrecord(path, [video(k, 2) for k in range(3)], corrupt={record: damage})
    records = iter_records(str(path), label='traj_0_to_2.tfrecords')
    assert [next(records)[0] for _ in range(record)] == list(range(record))
    with pytest.raises(DamagedFileError) as info:
        next(records)
    assert str(info.value).startswith(f'traj_0_to_2.tfrecords: record {record}: {reason}')


def test_example_features_are_parsed_from_the_wire_format():
    features = parse_example(example({'0/action': np.array([1.5, -2, 0.25, 3], np.float32),
                                      '0/image_aux1/encoded': [b'\x00\x01\x02']}))
    assert features['0/image_aux1/encoded'] == [b'\x00\x01\x02']
    np.testing.assert_array_equal(features['0/action'], [1.5, -2, 0.25, 3])
    assert features['0/action'].dtype == np.float32


def test_parser_reads_what_the_protobuf_library_serialises():
    """An independent serialiser: tf.train.Example's schema built with the protobuf package."""
    pb = pytest.importorskip('google.protobuf')
    del pb
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    F = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name='ex.proto', package='t', syntax='proto3')

    def message(name, fields):
        m = proto.message_type.add(name=name)
        for number, (field, kind, type_name) in enumerate(fields, 1):
            f = m.field.add(name=field, number=number, type=kind, label=F.LABEL_REPEATED
                            if type_name is None else F.LABEL_OPTIONAL)
            if type_name:
                f.type_name = type_name
        return m

    message('BytesList', [('value', F.TYPE_BYTES, None)])
    message('FloatList', [('value', F.TYPE_FLOAT, None)])
    message('Int64List', [('value', F.TYPE_INT64, None)])
    message('Feature', [('bytes_list', F.TYPE_MESSAGE, '.t.BytesList'),
                        ('float_list', F.TYPE_MESSAGE, '.t.FloatList'),
                        ('int64_list', F.TYPE_MESSAGE, '.t.Int64List')])
    features = proto.message_type.add(name='Features')
    entry = features.nested_type.add(name='FeatureEntry')
    entry.options.map_entry = True
    entry.field.add(name='key', number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    entry.field.add(name='value', number=2, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL,
                    type_name='.t.Feature')
    features.field.add(name='feature', number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
                       type_name='.t.Features.FeatureEntry')
    message('Example', [('features', F.TYPE_MESSAGE, '.t.Features')])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    Example = message_factory.GetMessageClass(pool.FindMessageTypeByName('t.Example'))
    ex = Example()
    ex.features.feature['3/action'].float_list.value.extend([0.5, -1.25, 2.0, 0.0])
    ex.features.feature['3/image_aux1/encoded'].bytes_list.value.append(bytes(range(200)))
    ex.features.feature['count'].int64_list.value.extend([-3, 7, 2 ** 40])
    parsed = parse_example(ex.SerializeToString())
    np.testing.assert_array_equal(parsed['3/action'], [0.5, -1.25, 2.0, 0.0])
    assert parsed['3/image_aux1/encoded'] == [bytes(range(200))]
    np.testing.assert_array_equal(parsed['count'], [-3, 7, 2 ** 40])


def test_bytes_that_are_no_example_raise_a_format_error():
    with pytest.raises(ExampleFormatError):
        parse_example(b'\x0a\xff\x01')  # a field longer than the data
    with pytest.raises(ExampleFormatError):
        parse_example(b'\x0b')  # wire type 3 (groups) is not used by Example
