# Runtime defaults for mmseg-hosted mmopen configs (as mmseg's default_runtime.py).
default_scope = 'mmseg'
custom_imports = dict(imports=['mmopen'], allow_failed_imports=False)
# MMEngine's Runner with safe checkpoint reading and CPU distributed runs (mmopen.engine)
runner_type = 'MMOpenRunner'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # MMOpenRunner uses gloo when there is no CUDA
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
