"""Pure text edits, made the way the tutorial makes them by hand in vim.

`set_key`/`get_key` work on shell-style environment files (`KEY="value"` lines, as in
/etc/etcd/etcd.conf, /etc/kubernetes/*, /etc/sysconfig/flanneld, /etc/default/etcd): the one
line is changed in place and every other byte of the file is kept, comments included.
`hosts_file` gives /etc/hosts the tutorial's table of names.

Every function is idempotent: applying it to its own output changes nothing.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional, Sequence, Tuple

__all__ = ["set_key", "get_key", "hosts_file", "quote"]

_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOOPBACKS = ("127.0.0.1", "127.0.1.1", "::1")


def _check_key(key: str) -> None:
    if not _KEY_RE.match(key or ""):
        raise ValueError(f"not a shell variable name: {key!r}")


def quote(value: str) -> str:
    """`value` double-quoted for a shell/systemd environment file."""
    value = str(value)
    if "\n" in value or "\r" in value:
        raise ValueError(f"a value in an environment file cannot span lines: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _split_lines(text: str) -> list:
    """Lines with their endings kept ("a\\n", "b"), so that "".join() gives `text` back."""
    return text.splitlines(keepends=True) if text else []


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _active_re(key: str):
    return re.compile(r"^[ \t]*(?:export[ \t]+)?" + re.escape(key) + r"[ \t]*=")


def _commented_re(key: str):
    # `#KEY=...` or `# KEY=...` (one hash: `## KEY=` is prose in Debian's files).
    return re.compile(r"^[ \t]*#[ \t]?" + re.escape(key) + r"=")


def set_key(text: str, key: str, value: str) -> str:
    """`text` with `KEY="value"` set.

    The active `KEY=...` line(s) are rewritten in place; otherwise the first commented-out
    `#KEY=...` / `# KEY=...` line is uncommented in place with the new value; otherwise the
    line is appended (after a newline, if the file lacks a final one). The whole line is
    rewritten, so a trailing `# comment` on it would go (the packages' files have none).
    When the file already holds the value, `text` itself is returned.
    """
    _check_key(key)
    new = f"{key}={quote(value)}"
    lines = _split_lines(text)
    active = _active_re(key)
    hits = [i for i, line in enumerate(lines) if active.match(line)]
    if not hits:
        commented = _commented_re(key)
        hits = [i for i, line in enumerate(lines) if commented.match(line)][:1]
    if hits:
        for i in hits:
            lines[i] = new + _ending(lines[i])
        result = "".join(lines)
        return text if result == text else result
    if text and not text.endswith("\n"):
        text += "\n"
    return text + new + "\n"


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith('"'):
        out, i = [], 1
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                out.append(raw[i + 1])
                i += 2
                continue
            if ch == '"':
                return "".join(out)
            out.append(ch)
            i += 1
        raise ValueError(f"unterminated double quote: {raw!r}")
    if raw.startswith("'"):
        end = raw.find("'", 1)
        if end < 0:
            raise ValueError(f"unterminated single quote: {raw!r}")
        return raw[1:end]
    # Unquoted: up to a ` #` comment.
    return re.split(r"[ \t]+#", raw, maxsplit=1)[0].strip()


def get_key(text: str, key: str) -> Optional[str]:
    """The value of the active `KEY=` line, unquoted (the last one wins, as in the shell);
    None when the key is absent or only commented out."""
    _check_key(key)
    active = _active_re(key)
    value = None
    for line in _split_lines(text):
        m = active.match(line)
        if m:
            value = _unquote(line[m.end():].rstrip("\r\n"))
    return value


def _hosts_fields(line: str) -> Tuple[str, str]:
    """(content, comment) of an /etc/hosts line; comment keeps its '#'."""
    body = line.rstrip("\r\n")
    pos = body.find("#")
    return (body, "") if pos < 0 else (body[:pos], body[pos:])


def hosts_file(text: str, entries: Sequence[Tuple[str, str]] | Iterable, hostname: str) -> str:
    """/etc/hosts with the lab's names, as the tutorial's table.

    - `hostname` is removed from the loopback lines (127.0.0.1, 127.0.1.1, ::1): Vagrant writes
      it onto 127.0.0.1, and services that resolve their own name then bind to loopback.
      A loopback line left with no names is dropped; the localhost names stay.
    - every (ip, name) of `entries` is an `IP NAME` line exactly once, in order, after the
      existing lines; any other mention of those names (another IP, or the same pair elsewhere)
      is removed.
    """
    entries = [(str(ip), str(name)) for ip, name in entries]
    names = {name for _, name in entries}
    lines = _split_lines(text)
    out = []
    for line in lines:
        content, comment = _hosts_fields(line)
        fields = content.split()
        if len(fields) < 2:
            out.append(line)          # blank, comment-only or malformed: kept as is
            continue
        ip, hosts = fields[0], fields[1:]
        drop = set(names)
        if ip in LOOPBACKS:
            drop.add(hostname)
        kept = [h for h in hosts if h not in drop]
        if kept == hosts:
            out.append(line)
            continue
        if not kept:
            continue
        sep = re.match(r"\s*\S+(\s+)", content).group(1)
        new = ip + sep + " ".join(kept) + (" " + comment if comment else "")
        out.append(new + (_ending(line) or "\n"))
    result = "".join(out)
    if result and not result.endswith("\n"):
        result += "\n"
    seen = set()
    for ip, name in entries:
        if (ip, name) not in seen:
            seen.add((ip, name))
            result += f"{ip} {name}\n"
    return text if result == text else result
