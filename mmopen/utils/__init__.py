from .launch import (add_common_args, build_runner, finalize_distributed, prepare_config,
                     resolve_checkpoint)

__all__ = [
    'add_common_args', 'build_runner', 'finalize_distributed', 'prepare_config',
    'resolve_checkpoint'
]
