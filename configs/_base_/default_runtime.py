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
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Atomic writes: a run killed while saving never leaves a half-written checkpoint.
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3,
                    backend_args=dict(backend='predbench_atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    finite_loss=dict(type='FiniteLossHook'),
    # A grid (truth, prediction, error) of the first validation clips at every validation.
    visualization=dict(type='PredictionVisualizationHook', num_samples=2),
)
# Validation and test lines: the summary metrics, then a table of the per-frame values.
log_processor = dict(type='PerFrameTableLogProcessor', by_epoch=False, window_size=100)
log_level = 'INFO'
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

randomness = dict(seed=None, deterministic=False)
load_from = None
resume = False
