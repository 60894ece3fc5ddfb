"""How the ``geo`` command reports the library: its errors and notes, translated to flags.

The library speaks Python: a message names the fix as a keyword argument
(``pass source= to pick one``) or a call (``see Store.snapshots()``). The CLI
prints the same messages with the words its users type, through
:func:`translate`:

* **Keywords.** ``name=`` (no value), ``name=True``, ``name=False`` (read
  ``with offline=False`` -> ``without --offline``), ``name="VALUE"`` or
  ``name='VALUE'`` (-> ``--name VALUE``) and ``name=loader(PLACEHOLDER)``
  (``regions=load_regions(FILE)`` -> ``--regions FILE``) become the option of
  the running command. A keyword must start the text or follow a space or
  ``(``, so that paths (``/data/date=2024/``) and quoted data are never read
  as keywords; a keyword with any other value (``min_width_m=-1.0``) is left
  alone. The option is found, in order: in :data:`ALIASES` for the running
  command; among the running command's options (``--name`` with ``_`` as
  ``-``, or the option whose Python name is ``name``); in :data:`ALIASES`
  for every command (``accept`` -> ``--accept-terms``); among the options of
  any other command. A keyword no command knows stays as written.
* **Phrases.** :data:`PHRASES` maps whole Python phrases to their CLI
  wording (``see Store.snapshots()`` -> ``see 'geo list'``), for fixes that
  are a command rather than an option.

Messages written for both audiences therefore use the keyword forms above,
and a phrase in :data:`PHRASES` (add one there, with a test) when the fix is
a different command. :class:`GeoGroup` applies the translation to every
:class:`~geo.errors.GeoError` it prints, :func:`install_notes` to every
record the library logs (printed as ``note: <message>``), and :func:`note`
to the notes commands print themselves.
"""

from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Callable, Iterator
from typing import Any

import click

from geo.cli_output import echo
from geo.errors import GeoError, ValidationError
from geo.text import one_line

__all__ = ["ALIASES", "PHRASES", "GeoGroup", "install_notes", "note", "translate"]

#: Python phrase -> the CLI's words, for fixes that are another command.
PHRASES: dict[str, str] = {
    "see Store.snapshots()": "see 'geo list'",
    "open it with create=True to make one": "run 'geo ingest FILES...' to create one",
    "pass open_store another folder": "pass another --store",
    "pass open_store an empty or new folder": "pass an empty or new folder as --store",
    "call fetch_deepstate again to resume": "run the same command again to resume",
}

#: Keyword -> option where the names differ, per command path ("" applies to every command).
ALIASES: dict[str, dict[str, str]] = {
    "": {"accept": "--accept-terms", "base": "--base-url", "region_names": "--region"},
    "places": {"start": "--from", "end": "--to"},
}

_COMMANDS = "geo.cli_errors.commands"  # key in click's shared Context.meta

_KEYWORD = re.compile(
    r"""(?<![^\s(])                          # start of text, or after a space or "("
    (?P<with>with\s+)?
    (?P<name>[a-z][a-z0-9_]*)=
    (?:
        (?P<value>True|False|"[^"\n]*"|'[^'\n]*'|(?P<call>[A-Za-z_][\w.]*)\((?P<arg>[A-Z][A-Z0-9_]*)\))
        (?![\w(])
      | (?=[\s),;:]|\.(?:\s|$)|$)            # no value: the keyword ends the clause
    )""",
    re.VERBOSE,
)


def translate(text: str, ctx: click.Context | None = None) -> str:
    """Return a library message in the words of the running command.

    Parameters
    ----------
    text
        A message from the library (an error, a problem, a note).
    ctx
        A context of the running command line (default: the current one); without
        one, the text is returned unchanged.

    Examples
    --------
    >>> @click.command()
    ... @click.option("--source")
    ... def pick(source: str | None) -> None:
    ...     pass
    >>> with click.Context(pick) as ctx:
    ...     translate("several sources hold it; pass source= to pick one", ctx)
    'several sources hold it; pass --source to pick one'
    """
    ctx = ctx if ctx is not None else click.get_current_context(silent=True)
    if ctx is None:
        return text
    for python, cli in PHRASES.items():
        text = text.replace(python, cli)
    path, commands = _running(ctx)
    root = ctx.find_root().command

    def option(name: str) -> click.Option | str | None:
        return _find_option(name, path, commands, root)

    return _KEYWORD.sub(lambda match: _render(match, option), text)


def _running(ctx: click.Context) -> tuple[str, list[click.Command]]:
    """Return the running command's path (``"fetch deepstate"``) and commands, outermost first."""
    commands: list[click.Command] = list(ctx.meta.get(_COMMANDS, []))
    if not commands:  # a context made by hand (tests, doctests): its own command only
        chain = []
        while ctx.parent is not None:
            chain.append(ctx.command)
            ctx = ctx.parent
        commands = [*reversed(chain)] or [ctx.command]
    return " ".join(c.name or "" for c in commands), commands


def _find_option(
    name: str, path: str, commands: list[click.Command], root: click.Command
) -> click.Option | str | None:
    """Return the option a keyword stands for, an alias flag, or ``None`` if no command has one."""
    if alias := ALIASES.get(path, {}).get(name):
        return alias
    for command in reversed(commands):  # the running command first, then its groups
        if (found := _option_of(command, name)) is not None:
            return found
    if alias := ALIASES[""].get(name):
        return alias
    for command in _all_commands(root):
        if (found := _option_of(command, name)) is not None:
            return found
    return None


def _option_of(command: click.Command, name: str) -> click.Option | None:
    flag = "--" + name.replace("_", "-")
    for param in command.params:
        if isinstance(param, click.Option) and (flag in param.opts or param.name == name):
            return param
    return None


def _all_commands(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _all_commands(sub)


def _render(match: re.Match[str], option: Callable[[str], click.Option | str | None]) -> str:
    found = option(match["name"])
    if found is None:
        return match[0]
    flag = found if isinstance(found, str) else _long_flag(found)
    value = match["value"]
    lead = match["with"] or ""
    if value == "False":  # "with offline=False" and "pass offline=False" alike
        return f"without {flag}"
    if value is None or value == "True":
        return f"{lead}{flag}"
    if match["call"]:
        return f"{lead}{flag} {match['arg']}"
    return f"{lead}{flag} {shlex.quote(value[1:-1])}"


def _long_flag(param: click.Option) -> str:
    return next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])


def note(message: str) -> None:
    """Print a note on stderr: ``note: <message>`` on one line, escaped, in the CLI's words."""
    echo(f"note: {translate(one_line(message))}", err=True)


class _NoteHandler(logging.Handler):
    """Prints each record of the ``geo`` loggers as a note."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            note(record.getMessage())
        except Exception:  # a broken stderr must not break the command
            self.handleError(record)


def install_notes(ctx: click.Context) -> None:
    """Show the library's log records (INFO and up) as notes until ``ctx`` closes.

    Python users see the same records through :mod:`logging` (warnings on
    stderr by default; ``logging.basicConfig(level=logging.INFO)`` for all).
    """
    logger = logging.getLogger("geo")
    handler = _NoteHandler(logging.INFO)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    ctx.call_on_close(restore)


class GeoGroup(click.Group):
    """Turns :class:`GeoError` into one clear line in the CLI's words, and exit status 1.

    Also records which command runs, so that :func:`translate` knows its options.
    Nested groups use this class too.
    """

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve the subcommand and remember it for :func:`translate`."""
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            ctx.meta[_COMMANDS] = [*ctx.meta.get(_COMMANDS, []), command]
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a :class:`GeoError` becomes one line on stderr and exit 1."""
        try:
            return super().invoke(ctx)
        except GeoError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            problems = exc.problems if isinstance(exc, ValidationError) else []
            summary = _first_line(exc)
            if len(problems) == 1:  # one problem: one line, summary and problem together
                summary = f"{summary}: {_first_line(problems[0])}"
            echo(f"error: {translate(summary, ctx)}", err=True)
            if len(problems) > 1:
                for problem in problems:
                    echo(f"  - {translate(problem, ctx)}", err=True)
            ctx.exit(1)


def _first_line(exc: GeoError | str) -> str:
    if isinstance(exc, ValidationError):
        return str(exc).split(": ", 1)[0]
    return str(exc).replace("\n", " ")
