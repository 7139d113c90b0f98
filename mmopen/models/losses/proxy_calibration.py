"""``ProxyCalibrationLoss``: the registered shell of OVSNet's Proxy Calibration loss
(:func:`mmopen.ovs.proxy_calibration.proxy_calibration_loss`, Sec. 4.3, eq. 5)."""
from mmseg.registry import MODELS
from torch import nn

from mmopen.ovs.proxy_calibration import proxy_calibration_loss


@MODELS.register_module()
class ProxyCalibrationLoss(nn.Module):
    """Registered shell of :func:`proxy_calibration_loss`. ``loss_weight`` and ``gamma`` are
    the config's; a ``ProxyCalibrationHook`` may schedule them (see its docstring)."""

    def __init__(self, loss_weight: float = 1.0, gamma: float = 2.0,
                 loss_name: str = 'loss_proxy'):
        super().__init__()
        self.loss_weight = loss_weight
        self.gamma = gamma
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, f_q, f_c, f_t, return_stats: bool = False):
        """The weighted loss; with ``return_stats`` also its statistics (``alpha_mean``,
        ``alpha_var``, ``pairs``), returned as values for the head to report."""
        loss, stats = proxy_calibration_loss(f_q, f_c, f_t, self.gamma, return_stats=True)
        return (self.loss_weight * loss, stats) if return_stats else self.loss_weight * loss
