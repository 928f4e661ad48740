"""``--config FILE.toml``: a command's options from a TOML file.

The file's keys are the command's option names, spelt as the flag without its
dashes (``snapshot-minutes``) or with underscores (``snapshot_minutes``), and
its arguments by their names (``game``). Values are TOML values of the option's
type: a number, a string, ``true``/``false`` for a flag, a list for an option
that repeats (``baseline = ["random", "rlcard-rule"]``; one value is a list of
one). A flag on the command line wins over the file (a repeatable option given
on the command line replaces the file's list). Any mistake (a file that cannot
be read or parsed, an unknown key, a value of the wrong type or out of range)
is one line naming the file, the line and the key, exit code 2.

Add it to any click command with ``@config_option`` (the last decorator above the
function): it reads the file before the other options (``is_eager``) and hands the
values to click as ``ctx.default_map``, so click's own rules apply to both.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import click

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI (a dependency there)
    import tomli as tomllib

SKIP = ("config", "help", "version")  # parameters a file cannot set


class ConfigFileError(click.ClickException):
    """A config file that cannot be used; the message is one line (exit code 2)."""

    exit_code = 2


def config_keys(command: click.Command) -> dict[str, click.Parameter]:
    """Every key a config file for ``command`` may hold, to its parameter."""
    keys: dict[str, click.Parameter] = {}
    for param in command.params:
        if not param.expose_value or param.name in SKIP:
            continue
        if isinstance(param, click.Argument):
            names = {param.name, param.human_readable_name.lower()}  # game_name, game
        else:
            names = {param.name, *(o.lstrip("-") for o in param.opts if o.startswith("--"))}
        for name in names:
            keys[name.replace("_", "-")] = keys[name.replace("-", "_")] = param
    return keys


def key_name(param: click.Parameter) -> str:
    """The spelling of ``param``'s key that help and messages show: ``snapshot-minutes``, ``game``."""
    if isinstance(param, click.Argument):
        return param.human_readable_name.lower()
    long = [o for o in param.opts if o.startswith("--")]
    return (long[0] if long else param.opts[0]).lstrip("-")


def read_config(command: click.Command, path: str, ctx: click.Context | None = None) -> dict[str, Any]:
    """The file's values for ``command``, by parameter name, checked and converted by
    each parameter's click type; ConfigFileError for any mistake."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except OSError as err:
        raise ConfigFileError(f"cannot read config file {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ConfigFileError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigFileError(f"config file {path} is not valid TOML: {err}") from None
    keys = config_keys(command)
    where_cmd = ctx.command_path if ctx is not None else command.name
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for key, value in data.items():
        where = _where(path, text, key)
        param = keys.get(key)
        if param is None:
            known = sorted({key_name(p) for p in keys.values()})
            close = difflib.get_close_matches(key.replace("_", "-"), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigFileError(f"{where}: unknown key {key!r} for `{where_cmd}`; {hint}"
                                  f"keys: {', '.join(known)}")
        if param.name in given:
            raise ConfigFileError(f"{where}: {key} is given twice (also as {given[param.name]})")
        given[param.name] = key
        values[param.name] = _convert(param, key, value, where, ctx)
    return values


def _where(path: str, text: str, key: str) -> str:
    match = re.search(rf"""^[ \t]*["']?{re.escape(key)}["']?[ \t]*=""", text, re.MULTILINE)
    return f"{path}, line {text.count(chr(10), 0, match.start()) + 1}" if match else path


def _kind(param: click.Parameter) -> str:
    kind = param.type
    if (isinstance(param, click.Option) and param.is_flag) or isinstance(kind, click.types.BoolParamType):
        return "bool"
    if isinstance(kind, click.types.IntParamType):
        return "int"
    if isinstance(kind, click.types.FloatParamType):
        return "float"
    return "str"


_WANT = {"bool": "true or false", "int": "an integer", "float": "a number", "str": "a string"}
_TOML = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array", dict: "a table"}


def _fits(kind: str, value: Any) -> bool:
    if isinstance(value, bool):
        return kind == "bool"
    return {"bool": False, "int": isinstance(value, int), "float": isinstance(value, (int, float)),
            "str": isinstance(value, str)}[kind]


def _convert(param: click.Parameter, key: str, value: Any, where: str, ctx: click.Context | None) -> Any:
    repeats = getattr(param, "multiple", False) or param.nargs == -1
    if repeats:
        items = value if isinstance(value, list) else [value]
        return tuple(_convert_one(param, key, item, where, ctx, repeats) for item in items)
    return _convert_one(param, key, value, where, ctx, repeats)


def _convert_one(param: click.Parameter, key: str, value: Any, where: str, ctx: click.Context | None,
                 repeats: bool) -> Any:
    kind = _kind(param)
    if not _fits(kind, value):
        want = _WANT[kind] + (" (or a list of them)" if repeats else "")
        got = _TOML.get(type(value), type(value).__name__)
        raise ConfigFileError(f"{where}: {key} must be {want}, not {got} ({value!r})")
    try:
        return param.type.convert(value, param, ctx)
    except click.BadParameter as err:
        raise ConfigFileError(f"{where}: {key}: {err.message}") from None


def _load(ctx: click.Context, param: click.Parameter, path: str | None) -> None:
    if path is not None:
        ctx.default_map = {**(ctx.default_map or {}), **read_config(ctx.command, path, ctx)}


def config_option(command):
    """``--config FILE.toml`` for a click command (put it last, just above the function)."""
    return click.option(
        "--config", type=click.Path(dir_okay=False), default=None, metavar="FILE.toml",
        is_eager=True, expose_value=False, callback=_load,
        help="Options from a TOML file (keys: the option names, e.g. snapshot-minutes = 5; "
             "flags given here win over it).")(command)
