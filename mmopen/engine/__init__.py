"""Hooks; the method modules add theirs here."""
