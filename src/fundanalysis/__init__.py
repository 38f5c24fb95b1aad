"""fundanalysis: clean, validate, reconcile and report on public special funds (专项资金)."""

__version__ = "0.1.0"
