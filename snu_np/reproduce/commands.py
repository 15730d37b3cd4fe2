"""``snu-np train`` commands written in Markdown, read back as run configurations.

A results page names the command of every row, inline (`` `snu-np train jsb --model snu ...` ``), and
abbreviates a row that differs from the one above it (`` `... --model gru --layers 52 ...` (as
above) ``). :func:`extract_commands` finds both kinds: an abbreviated one is the most recent full
command with the abbreviation's flags given after it (argparse keeps the last value of a flag).
:func:`command_config` turns one into a resolved :class:`~snu_np.config.RunConfig` with the
``train`` subcommand's own parser, so a recipe can be checked against the command it replaces.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from ..errors import UsageError

__all__ = ["Command", "extract_commands", "command_config", "train_parser"]

_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Command:
    """One command of a page: its text as written, the argv it stands for, its line number."""

    text: str
    argv: Tuple[str, ...]
    line: int
    abbreviated: bool = False
    base_line: Optional[int] = None


def extract_commands(markdown):
    """Every ``snu-np train ...`` command in a Markdown text (or file path), in order of appearance.

    Inline code spans may wrap across lines. An abbreviated span (one that starts with ``...`` and
    holds flags) expands against the last full command before it. Returns a list of :class:`Command`.
    """
    if isinstance(markdown, Path) or (isinstance(markdown, str) and "\n" not in markdown
                                      and markdown.endswith(".md")):
        markdown = Path(markdown).read_text(encoding="utf-8")
    out, base = [], None
    for m in _CODE.finditer(markdown):
        text = " ".join(m.group(1).split())
        line = markdown.count("\n", 0, m.start()) + 1
        if text.startswith("snu-np train "):
            argv = tuple(shlex.split(text)[2:])
            base = (argv, line)
            out.append(Command(text, argv, line))
        elif text.startswith("... --") and base is not None:
            extra = [t for t in shlex.split(text) if t != "..."]
            out.append(Command(text, base[0] + tuple(extra), line, True, base[1]))
    return out


def train_parser():
    """The argparse parser of ``snu-np train`` (from :func:`snu_np.cli.build_parser`; built alone
    from the registered ``train`` command if another subcommand cannot be built)."""
    from .. import cli
    try:
        parser = cli.build_parser()
    except Exception:           # another subcommand failed to build: make the train parser alone
        p = cli._Parser(prog="snu-np train")
        cli.COMMANDS["train"][0](p)
        return p
    for action in parser._actions:                            # the subcommands' parsers
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict) and "train" in choices:
            return choices["train"]
    raise UsageError("snu-np has no 'train' subcommand")      # pragma: no cover


def command_config(command, parser=None):
    """The resolved RunConfig a ``train`` command (a :class:`Command`, a string or an argv) runs,
    with ``trials`` 1 (one trial; a recipe gives the number of trials separately)."""
    from ..cli import run_config_from_args
    if isinstance(command, Command):
        argv = list(command.argv)
    elif isinstance(command, str):
        argv = shlex.split(command)
        if argv[:2] == ["snu-np", "train"]:
            argv = argv[2:]
    else:
        argv = list(command)
    parser = parser or train_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        raise UsageError(f"not a valid 'snu-np train' command: {' '.join(argv)}") from None
    return run_config_from_args(args).replace(trials=1).resolve()
