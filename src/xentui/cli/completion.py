"""`xentui completion bash|zsh|fish`: shell completion from the CLI's own argparse parser.

argcomplete (kislyuk/argcomplete) rather than a static generator: it is the
well-kept library that covers fish as well as bash and zsh (shtab has no fish:
tqdm/shtab#134).  The script it prints is a small hook; on TAB the shell runs
`xentui` with `_ARGCOMPLETE` set, and `main()` answers from the very parser
that parses the command line (`answer_completion`), so the completion can
never drift from the options.
"""

from __future__ import annotations

import argparse
import os

__all__ = ["SHELLS", "answer_completion", "completion_script"]

SHELLS = ("bash", "zsh", "fish")


def completion_script(shell: str) -> str:
    """The script to source (bash, zsh) or to put in fish's completions dir."""
    import argcomplete

    return argcomplete.shellcode(["xentui"], shell=shell)


def answer_completion(parser: argparse.ArgumentParser) -> None:
    """When the shell asks for completions (`_ARGCOMPLETE` set): print them and exit; else nothing."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)


def main(args: argparse.Namespace) -> int:
    """`xentui completion bash|zsh|fish`: print the script."""
    print(completion_script(args.shell), end="")
    return 0
