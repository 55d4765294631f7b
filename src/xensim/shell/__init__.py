"""The simulated dom0 shell: `lexer` (words), `parser` (the tree), `interpreter` (running it on a host)."""

from __future__ import annotations

from xensim.shell.interpreter import Shell
from xensim.shell.lexer import Redir, ShellSyntaxError, Word, tokenize
from xensim.shell.parser import For, If, Pipeline, Simple, While, parse

__all__ = ["For", "If", "Pipeline", "Redir", "Shell", "ShellSyntaxError", "Simple", "While", "Word", "parse", "tokenize"]
