"""Install predbench. Dependencies are ranges; `make install` pins the pair that works offline here."""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(osp.dirname(__file__), 'predbench', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='predbench',
    version=read_version(),
    description='Spatiotemporal predictive learning (PredRNN, PredRNN-V2) on MMEngine',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['predbench', 'predbench.*']),
    python_requires='>=3.8',
    install_requires=[
        'torch>=2.1',
        'torchvision>=0.16',
        'mmengine>=0.10.3,<0.11',
        # mmcv-lite is the mmcv package without its compiled ops (predbench needs none);
        # full mmcv builds C++/CUDA ops for 40+ minutes. Either satisfies `import mmcv`.
        'mmcv-lite>=2.0.0,<2.3',
        'numpy>=1.22',
        'opencv-python-headless>=4.5',
        'lpips>=0.1.4',
        'scikit-image>=0.19',
        'matplotlib>=3.5',
        'scikit-learn>=1.0',
        # Compiles the CPU SSIM kernel (predbench/evaluation/ssim_kernel.py); without it,
        # SSIM falls back to torch operations, 5-8x slower on CPUs.
        'numba>=0.60',
    ],
    extras_require={
        # scipy: tests check the Fréchet distance against scipy.linalg.sqrtm (not a run-time need).
        'dev': ['pytest>=7', 'pytest-timeout>=2.1', 'scipy>=1.7'],
        # Dashboards for tools/train.py and tools/test.py --vis-backend NAME
        # (pip install 'predbench[tensorboard]'); the tests read TensorBoard event files.
        'tensorboard': ['tensorboard>=2.9'],
        'wandb': ['wandb>=0.15'],
        'mlflow': ['mlflow>=2.0'],
    },
    license='Apache-2.0',
)
