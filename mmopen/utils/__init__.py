from .launch import add_common_args, build_runner, prepare_config

__all__ = ['add_common_args', 'build_runner', 'prepare_config']
