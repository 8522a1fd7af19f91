"""save_metrics_report writes a JSON a program reads back and a plot a person looks at."""
import json

import numpy as np
from PIL import Image

from predbench.evaluation import load_metrics_report, per_frame_table, save_metrics_report
from predbench.evaluation.report import group_metrics

METRICS = {
    'mmnist/mse': 30.0, 'mmnist/ssim': 0.85,
    'mmnist/mse_t01': 20.0, 'mmnist/mse_t02': 30.0, 'mmnist/mse_t03': 40.0,
    'mmnist/ssim_t01': 0.9, 'mmnist/ssim_t02': 0.85, 'mmnist/ssim_t03': 0.8,
}


def test_groups_flat_keys_by_prefix_into_means_and_per_frame_series():
    groups = group_metrics(dict(METRICS, **{'kth/psnr_t10': 25.0, 'kth/psnr_t02': 27.0}))
    assert groups['mmnist']['mean'] == {'mse': 30.0, 'ssim': 0.85}
    assert groups['mmnist']['per_frame'] == {'mse': [20.0, 30.0, 40.0], 'ssim': [0.9, 0.85, 0.8]}
    assert groups['kth']['per_frame']['psnr'] == [27.0, 25.0]  # ordered by frame number


def test_report_writes_json_and_a_per_frame_plot(tmp_path):
    paths = save_metrics_report(dict(METRICS, **{'mmnist/psnr': np.float64(22.5)}),
                                str(tmp_path / 'report'))
    assert set(paths) == {'json', 'plot'}
    saved = json.loads(open(paths['json']).read())
    assert saved['groups']['mmnist']['per_frame']['mse'] == [20.0, 30.0, 40.0]
    assert saved['metrics']['mmnist/psnr'] == 22.5
    assert load_metrics_report(str(tmp_path / 'report'))['mmnist/ssim_t02'] == 0.85
    image = Image.open(paths['plot'])
    assert image.format == 'PNG' and image.size == (640, 300)  # 2 panels of 3.2 x 3 in, 100 dpi
    assert np.asarray(image.convert('L')).std() > 10  # something is drawn


def test_report_without_per_frame_values_has_no_plot(tmp_path):
    paths = save_metrics_report({'mmnist/mse': 30.0}, str(tmp_path))
    assert set(paths) == {'json'}


def test_per_frame_table_has_one_row_per_frame_and_the_means():
    table = per_frame_table(METRICS).splitlines()
    assert table[0] == 'mmnist per predicted frame:'
    assert table[2].split() == ['1', '20.0000', '0.9000']
    assert table[-1].split() == ['mean', '30.0000', '0.8500']
