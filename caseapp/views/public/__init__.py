"""The public self-check, one module per part (namespace ``public:``)."""
