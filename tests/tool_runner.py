"""Running predbench's command-line tools from tests, in-process or as subprocesses."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PLUGINS = osp.join(REPO, 'tests', 'plugins')


def run_tool(args, cwd=REPO, timeout=600, env_extra=None, check=True):
    """Run ``python <args>`` with the test plugins importable; returns the CompletedProcess."""
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=tool_env(env_extra),
                            capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{args} failed ({result.returncode}):\n{result.stdout[-3000:]}\n'
                             f'{result.stderr[-3000:]}')
    return result


def tool_env(env_extra=None) -> dict:
    """The environment tools run in from tests (test plugins importable, one thread)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PLUGINS, REPO]), OMP_NUM_THREADS='1')
    env.update(env_extra or {})
    return env


def start_tool(args, cwd=REPO, env_extra=None) -> subprocess.Popen:
    """Start ``python <args>`` in the background (for tests that kill it at a given instant)."""
    return subprocess.Popen([sys.executable, *args], cwd=cwd, env=tool_env(env_extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_file(path: str, process: subprocess.Popen, timeout: float = 300) -> None:
    """Wait until ``path`` exists; fail with the process' output if it ends first."""
    import time
    deadline = time.time() + timeout
    while not osp.exists(path):
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f'the run ended ({process.returncode}) before {path}:\n'
                                 f'{out[-2000:]}\n{err[-3000:]}')
        if time.time() > deadline:
            process.kill()
            raise AssertionError(f'{path} did not appear within {timeout} s')
        time.sleep(0.1)


def load_tool(relative_path: str):
    """Import ``tools/<relative_path>`` as a module (tools/ is not a package)."""
    path = osp.join(REPO, 'tools', relative_path)
    name = 'tool_' + relative_path.replace('/', '_').replace('.py', '')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_train_tool(argv):
    return load_tool('train.py').main(argv)


def run_test_tool(argv):
    return load_tool('test.py').main(argv)


def tiny_options(config: str, mmnist: str, kth: str, work_dir: str) -> list:
    """--cfg-options that shrink a seed config to seconds of CPU time on the tiny data."""
    is_kth = 'kth' in config
    data = kth if is_kth else mmnist
    opts = [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
        'model.backbone.num_hidden=[4,4,4,4]', 'model.backbone.filter_size=3',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=2', 'test_dataloader.num_workers=0',
        "test_evaluator.metric_names=['mse','mae','psnr','ssim']",
        f'train_dataloader.dataset.data_root={data}',
        f'test_dataloader.dataset.data_root={data}',
    ]
    if is_kth:
        opts += ['train_dataloader.dataset.image_size=32', 'test_dataloader.dataset.image_size=32',
                 'model.backbone.img_size=[32,32]',
                 "train_dataloader.dataset.actions=['boxing','running']",
                 "test_dataloader.dataset.actions=['boxing','running']",
                 f'train_dataloader.dataset.cache_dir={work_dir}/cache',
                 f'test_dataloader.dataset.cache_dir={work_dir}/cache']
    else:
        opts += ['train_dataloader.dataset.digit_range=[0,80]',
                 'val_dataloader.dataset.digit_range=[80,100]',
                 f'val_dataloader.dataset.data_root={data}',
                 'val_dataloader.dataset.num_sequences=4', 'val_dataloader.num_workers=0',
                 'val_dataloader.batch_size=2']
    return opts
