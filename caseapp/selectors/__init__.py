"""Every read caseapp makes for its pages, one module per feature (``<entity>_<what>``)."""
