"""The command-line commands, one module per group of verbs."""
