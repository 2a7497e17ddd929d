"""The lab's working folder (.lab/<name>/): Vagrantfile, logs, state, SSH settings.

It holds Vagrant's private keys, so it is readable by its owner only.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def ensure_workdir(lab) -> Path:
    path = Path(lab.workdir)
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    (path / "logs").mkdir(exist_ok=True)
    return path


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
