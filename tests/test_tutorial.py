"""examples/tutorial.py: a jupytext percent notebook that also runs as a script, end to end."""
import os
import os.path as osp
import re

from conftest import REPO_ROOT
from tool_runner import run_tool

TUTORIAL = osp.join(REPO_ROOT, 'examples', 'tutorial.py')


def cells(text: str):
    """(kind, lines) of each ``# %%`` cell, as jupytext's percent format splits them."""
    found = []
    for line in text.splitlines():
        if line.startswith('# %%'):
            found.append(('markdown' if '[markdown]' in line else 'code', []))
        elif found:
            found[-1][1].append(line)
    return found


def test_the_tutorial_is_a_percent_format_notebook():
    text = open(TUTORIAL).read()
    assert text.startswith('# ---\n# jupyter:\n#   jupytext:\n')
    assert 'format_name: percent' in text.split('# ---')[1]
    found = cells(text)
    markdown = [lines for kind, lines in found if kind == 'markdown']
    code = [lines for kind, lines in found if kind == 'code']
    assert len(markdown) >= 7 and len(code) >= 7
    for lines in markdown:  # markdown cells are comments only, so the script runs
        assert all(not line or line.startswith('#') for line in lines)
    headings = [line for lines in markdown for line in lines if re.match(r'# #+ ', line)]
    assert headings[0] == '# # From a folder of clips to a compared model'
    compile(text, TUTORIAL, 'exec')


def test_the_tutorial_runs_end_to_end_with_tiny_settings(tmp_path):
    work = tmp_path / 'tutorial'
    result = run_tool([TUTORIAL, '--tiny'], timeout=600,
                      env_extra={'PREDBENCH_TUTORIAL_DIR': str(work),
                                 'PREDBENCH_CACHE': str(tmp_path / 'cache')})
    assert 'tiny settings' in result.stdout
    board = (work / 'suite' / 'leaderboard.md').read_text().splitlines()
    rows = {line.split('|')[1].strip(): line for line in board[2:]}
    assert set(rows) == {'predrnn_v2', 'tiny_conv', 'copy_last_frame'}
    assert 'TinyConvPredictor' in rows['tiny_conv']  # the model defined in the tutorial
    for picture in ('predrnn_v2/metrics_per_frame.png', 'prediction/new_clip_pred.gif'):
        assert (work / picture).stat().st_size > 0
    assert any(name.endswith('.gif') for name in os.listdir(work / 'test_pictures'))
    assert (work / 'videos_16' / 'video_folder.json').is_file()  # prepared once, 16x16
