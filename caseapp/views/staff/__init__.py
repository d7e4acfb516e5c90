"""The staff workspace, one module per page group (namespace ``staff:``)."""
