# Runtime defaults for mmpretrain-hosted mmopen configs (as mmpretrain's default_runtime.py).
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmopen'], allow_failed_imports=False)
# MMEngine's Runner with safe checkpoint reading and CPU distributed runs (mmopen.engine)
runner_type = 'MMOpenRunner'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # MMOpenRunner uses gloo when there is no CUDA
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
