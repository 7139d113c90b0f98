from .launch import add_common_args, build_runner, finalize_distributed, prepare_config

__all__ = ['add_common_args', 'build_runner', 'finalize_distributed', 'prepare_config']
