"""The errors snu-np raises on purpose, one class per kind of failure, each with its CLI exit code.

The ``snu-np`` command prints such an error as one ``error: ...`` line (what is wrong, what to do)
and exits with the class's ``exit_code``; ``--debug`` (or ``SNU_NP_DEBUG=1``) shows the traceback.

=========  ======================  ==========================================================
exit code  class                   when
=========  ======================  ==========================================================
0                                  success
2          :class:`UsageError`     a bad option or argument, a run folder that would be
                                   overwritten, a resume that does not fit the run
3          :class:`DataError`      missing, corrupt or undownloadable data
4          :class:`DivergedError`  training diverged (non-finite loss or weights, or a loss
                                   far above its first value)
5          :class:`RunIOError`     the run folder cannot be written (not a folder, read-only,
                                   disk full) or a checkpoint is damaged
130                                interrupted (Ctrl-C)
=========  ======================  ==========================================================

Each class also derives from the built-in exception a caller would expect (``ValueError``,
``FloatingPointError``, ``OSError``), so ``except ValueError`` keeps working in library code.
"""
from __future__ import annotations

__all__ = ["SnuNpError", "UsageError", "DataError", "DivergedError", "RunIOError", "EXIT_CODES",
           "EXIT_INTERRUPTED"]


class SnuNpError(Exception):
    """Base class; ``exit_code`` is what the CLI returns for it."""

    exit_code = 1


class UsageError(SnuNpError, ValueError):
    """The caller asked for something that cannot be done as asked."""

    exit_code = 2


class DataError(SnuNpError, ValueError):
    """A data file is missing, damaged, or could not be downloaded."""

    exit_code = 3


class DivergedError(SnuNpError, FloatingPointError):
    """Training diverged; the message names the epoch and the step."""

    exit_code = 4


class RunIOError(SnuNpError, OSError):
    """A run folder or checkpoint cannot be written or read back intact."""

    exit_code = 5


EXIT_INTERRUPTED = 130
EXIT_CODES = {cls.__name__: cls.exit_code for cls in (UsageError, DataError, DivergedError, RunIOError)}
