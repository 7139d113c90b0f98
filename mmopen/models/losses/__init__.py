from .proxy_calibration import ProxyCalibrationLoss

__all__ = ['ProxyCalibrationLoss']
