"""The `vanban` command line: one module per command, each with `register(app)`."""
