"""The command faces: one module per `xentui` command."""
