"""Every write caseapp makes, one module per feature: functions named <entity>_<action>, each one
transaction."""
