"""The lab's working folder (.lab/<name>/): Vagrantfile, logs, state, SSH settings.

It holds Vagrant's private keys, so it is readable by its owner only.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import LabError


def ensure_workdir(lab) -> Path:
    path = Path(lab.workdir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
        (path / "logs").mkdir(exist_ok=True)
    except OSError as e:
        raise LabError(folder_problem(path, e)) from None
    return path


def class_folder(lab) -> Path:
    """The lab file's own folder under .lab/ (for one copy, also the copy's folder): the lab
    file's workdir, made as every lab folder is. The class's files (class.json, the gateway,
    handouts, the class page) live here."""
    return ensure_workdir(lab)


def folder_problem(path: Path, e: OSError) -> str:
    """What went wrong making the lab folder path, and what to do, in one message."""
    where = Path(e.filename) if e.filename else path
    if isinstance(e, (NotADirectoryError, FileExistsError)):
        blocker = next((p for p in (where, *where.parents) if p.exists() and not p.is_dir()), where)
        fix = f"a file is in the way: {blocker} is not a folder; move it away"
    elif isinstance(e, PermissionError):
        fix = (f"you may not write there: make {where.parent if not where.exists() else where} "
               "writable for you, or keep the lab file in a folder you own")
    else:
        fix = "check the disk and the folder's permissions"
    return f"cannot make the lab folder {path}: {e.strerror or e}; {fix}"


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a kill never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, text: str) -> bool:
    """Write text unless the file already holds it (keeps mtimes, and Vagrant, quiet)."""
    if path.exists() and path.read_text() == text:
        return False
    write_atomic(path, text)
    return True
