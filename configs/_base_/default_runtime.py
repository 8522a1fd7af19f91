# Runtime shared by all predbench configs (MMEngine's standard keys).
default_scope = 'predbench'
runner_type = 'PredBenchRunner'

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # 'auto': NCCL with CUDA GPUs, gloo on CPUs.
    dist_cfg=dict(backend='auto'),
)
# Scoped name: MMEngine looks the wrapper up in its root registry.
model_wrapper_cfg = dict(type='predbench.PredictorDistributedDataParallel')

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    # Validation scalars at the training iteration (MMEngine's default, by epoch, puts every
    # point of an iteration-based run at step 0).
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # MMEngine's CheckpointHook, made safe: atomic weights-only files, an old checkpoint is
    # deleted only once its successor is durable and trained on, non-finite weights never saved.
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    finite_loss=dict(type='FiniteLossHook'),
    # Grids (observed | truth | prediction | error) of the first validation and test clips, and
    # the per-frame metric curves, sent to every vis backend below.
    visualization=dict(type='PredictionVisualizationHook', num_samples=2),
)
# Validation and test lines: the summary metrics, then a table of the per-frame values.
log_processor = dict(type='PerFrameTableLogProcessor', by_epoch=False, window_size=100)
log_level = 'INFO'
# Local files under <work_dir>/<timestamp>/vis_data/; tools/train.py and tools/test.py add
# dashboards with --vis-backend tensorboard|wandb|mlflow (see docs/visualization.md).
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='VideoPredictionVisualizer', vis_backends=vis_backends)

randomness = dict(seed=None, deterministic=False)
load_from = None
resume = False
