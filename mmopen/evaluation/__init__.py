"""Metrics (BaseMetric subclasses); the method modules add theirs here."""
