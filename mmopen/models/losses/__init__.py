from .proxy_calibration import (ProxyCalibrationLoss, mixed_alignment_loss,
                                proxy_calibration_loss)

__all__ = ['ProxyCalibrationLoss', 'mixed_alignment_loss', 'proxy_calibration_loss']
