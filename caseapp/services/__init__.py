"""Every write caseapp makes, one module per feature (``<entity>_<action>``, one transaction)."""
