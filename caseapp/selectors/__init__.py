"""Every read caseapp makes for its pages, one module per feature: functions named
<entity>_<what>."""
