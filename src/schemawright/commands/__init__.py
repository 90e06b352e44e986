"""One module per CLI command: the glue that loads input, calls the steps and prints; cli.py registers them."""
