from .backbones import *  # noqa: F401,F403
from .ood import *  # noqa: F401,F403
