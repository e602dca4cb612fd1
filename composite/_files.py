"""Reading a project's files: inside the project, regular, bounded, and UTF-8 where they are text.

Every file a project names (composite.yaml's `file:` entries, knowledge/*.yaml, model and blend
files, their artifacts and LightGBM texts, a model's training data) is read through
`read_project_file`, so one place decides what may be read:

- the path, after resolving symlinks, lies inside the project root (`../x`, an absolute path or a
  symlink pointing out of the project is refused);
- it is a regular file (a directory, a FIFO, `/dev/zero` is refused before it is opened);
- it is at most `cap` bytes (checked with `os.stat`, and at most `cap + 1` bytes are ever read,
  so a file that grows while it is read cannot exhaust memory either);
- text files (by suffix) are valid UTF-8; a bad byte is reported with its line and column.

Every refusal is a `ProjectError` located at the reference: the file and line that named the path.

Limits (docs/limits.md):

    COMPOSITE_MAX_FILE_BYTES   20 MB   any project file (rules, tables, models, artifacts)
    COMPOSITE_MAX_DATA_BYTES  200 MB   training data (data/*.csv, *.json named by a model file)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from composite.errors import ProjectError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DATA_BYTES = 200 * 1024 * 1024
FILE_CAP_ENV = "COMPOSITE_MAX_FILE_BYTES"
DATA_CAP_ENV = "COMPOSITE_MAX_DATA_BYTES"

# Suffixes whose content is text: they must decode as UTF-8 (a leading BOM is allowed).
TEXT_SUFFIXES = (".yaml", ".yml", ".csv", ".dmn", ".fll", ".json", ".txt", ".xml")

Reference = tuple[str | None, int | None]


def _cap_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ProjectError(f"{name}={raw!r} is not a whole number of bytes", code="file_cap_setting") from None
    if value < 1:
        raise ProjectError(f"{name}={raw!r} must be a positive number of bytes", code="file_cap_setting")
    return value


def max_file_bytes() -> int:
    """The size cap for project files: COMPOSITE_MAX_FILE_BYTES, default 20 MB."""
    return _cap_from_env(FILE_CAP_ENV, MAX_FILE_BYTES)


def max_data_bytes() -> int:
    """The size cap for training data files: COMPOSITE_MAX_DATA_BYTES, default 200 MB."""
    return _cap_from_env(DATA_CAP_ENV, MAX_DATA_BYTES)


def _refuse(message: str, code: str, referenced_from: Reference, field: str | None) -> ProjectError:
    file, line = referenced_from
    return ProjectError(message, code=code, file=file, line=line, field=field)


def resolve_project_path(root: Path, relative: str | os.PathLike[str], *,
                         referenced_from: Reference = (None, None), field: str | None = None) -> Path:
    """The absolute, symlink-free path of `relative` under `root`; a ProjectError when it leaves
    the project. Does not require the file to exist."""
    text = os.fspath(relative)
    if "\x00" in text:
        raise _refuse(f"file name {text!r} contains a NUL byte", "file_outside_project", referenced_from, field)
    base = Path(root).resolve()
    candidate = Path(text)
    if candidate.is_absolute():
        raise _refuse(f"'{text}' is an absolute path; project files are named relative to the project folder",
                      "file_outside_project", referenced_from, field)
    try:
        path = (base / candidate).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise _refuse(f"cannot resolve '{text}': {exc}", "file_unreadable", referenced_from, field) from None
    if path != base and base not in path.parents:
        via = " (through a symbolic link)" if ".." not in candidate.parts else ""
        raise _refuse(f"'{text}' is outside the project folder{via}; a project reads only its own files",
                      "file_outside_project", referenced_from, field)
    return path


def project_file_exists(root: Path, relative: str, *, referenced_from: Reference = (None, None),
                        field: str | None = None) -> bool:
    """Whether `relative` names an existing entry inside the project (refusing one outside it)."""
    return os.path.lexists(resolve_project_path(root, relative, referenced_from=referenced_from, field=field))


def read_project_file(root: Path, relative: str | os.PathLike[str], *, referenced_from: Reference = (None, None),
                      field: str | None = None, cap: int | None = None, text: bool | None = None,
                      data_file: bool = False, what: str = "file") -> tuple[Path, bytes]:
    """(resolved path, bytes) of the project file `relative`, read under every rule above.

    `referenced_from` is (file, line) of the reference that named the path; errors carry it.
    `cap` defaults to `max_file_bytes()`, or `max_data_bytes()` for a `data_file` (training data). `text` forces (or skips) the UTF-8 check; by default
    it follows the suffix. FileNotFoundError is a ProjectError with code `missing_file`.
    """
    shown = os.fspath(relative)
    path = resolve_project_path(root, relative, referenced_from=referenced_from, field=field)
    setting = DATA_CAP_ENV if data_file else FILE_CAP_ENV
    limit = cap if cap is not None else max_data_bytes() if data_file else max_file_bytes()
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _refuse(f"{what} '{shown}' does not exist", "missing_file", referenced_from, field) from None
    except OSError as exc:
        raise _refuse(f"cannot read {what} '{shown}': {exc.strerror or exc}", "file_unreadable",
                      referenced_from, field) from None
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(f"'{shown}' is a directory, not a file", "file_not_regular", referenced_from, field)
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise _refuse(f"'{shown}' is {kind}; a project reads only regular files", "file_not_regular",
                      referenced_from, field)
    if info.st_size > limit:
        raise _refuse(_too_big(shown, info.st_size, limit, setting), "file_too_large", referenced_from, field)
    try:
        # O_NONBLOCK: if the entry was swapped for a FIFO since the stat, opening does not hang.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _refuse(f"cannot read {what} '{shown}': {exc.strerror or exc}", "file_unreadable",
                      referenced_from, field) from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise _refuse(f"'{shown}' is not a regular file", "file_not_regular", referenced_from, field)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _refuse(_too_big(shown, len(data), limit, setting), "file_too_large", referenced_from, field)
    if text if text is not None else path.suffix.lower() in TEXT_SUFFIXES:
        check_utf8(data, file=_display(root, path, shown))
    return path, data


def _display(root: Path, path: Path, shown: str) -> str:
    try:
        return path.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return shown


def _too_big(shown: str, size: int, limit: int, setting: str) -> str:
    return (f"'{shown}' is {'over ' if size == limit + 1 else ''}{size:,} bytes, more than the {limit:,}-byte limit "
            f"for a project file (raise it with the environment variable {setting})")


def check_utf8(data: bytes, *, file: str) -> str:
    """The text of `data`; a ProjectError at the line and column of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        column = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise ProjectError(
            f"byte 0x{data[start]:02x} at offset {start} is not UTF-8; save the file as UTF-8",
            code="file_encoding", file=file, line=line, column=column,
        ) from None
