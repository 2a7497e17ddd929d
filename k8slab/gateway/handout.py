"""A student's bundle: the folder (and zip) the instructor hands out, to be unpacked into the
student's ~/.ssh, and one printable page saying how.

    <class folder>/handouts/<student>/<lab>/config        the ssh config lines (Include-d)
                                           known_hosts   the gateway's and the VMs' host keys
                                           id_ed25519    their private key (when k8s-lab made it)
                                   handout.html          the page (one A4 page)
    <class folder>/handouts/<student>.zip                the <lab>/ folder, for ~/.ssh

The config's Host patterns are what the tutorial makes a student type: its host names, aliases
and IPs (and the lab file's, where they differ); each leads, through the gateway (ProxyJump),
to that student's own copy, as root. Host keys are checked strictly against the bundle's own
known_hosts (the VMs' under HostKeyAlias, as their addresses on the server may change).
"""
from __future__ import annotations

import html
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import jinja2
from markupsafe import Markup

from ..config.schema import HandoutWords
from ..workdir import write_if_changed


@dataclass(frozen=True)
class Handout:
    lab: str                      # the class (lab file) name: the bundle's folder in ~/.ssh
    student: str
    index: int                    # the copy's number
    copies: int
    gateway_host: str             # what the student types to reach the lab server
    gateway_port: int
    gateway_user: str
    gateway_host_key: str         # "ssh-ed25519 AAAA..."
    nodes: tuple                  # of (name, aliases tuple, ip, management address, host key)
    master: str                   # the lab's home_node(): the node the page sends the student to
    stage: str                    # the tutorial stage the copy is at ("none" before any)
    chapter: str                  # the tutorial's chapter for it
    words: HandoutWords = HandoutWords()   # what the page says of the lab (lab.handout_words())
    own_key: Optional[str] = None # the fingerprint of the key the student brought
    generated_key: Optional[str] = None   # the private key k8s-lab made for them (text)
    fingerprint: str = ""
    revoked: bool = False
    generated_at: float = field(default_factory=time.time)

    @property
    def alias(self) -> str:
        """The gateway's Host name in the student's config."""
        return f"{self.lab}-gateway"

    @property
    def dir(self) -> str:
        """The bundle's folder as the student's ssh sees it."""
        return f"~/.ssh/{self.lab}"

    def patterns(self, node) -> list[str]:
        name, aliases, ip = node[0], node[1], node[2]
        return [name, *aliases, ip]


def ssh_config(h: Handout) -> str:
    ident = (f"    IdentityFile {h.dir}/id_ed25519\n    IdentitiesOnly yes\n"
             if h.generated_key else "")
    out = [f"# k8s-lab: {h.student}'s {h.words.noun}, copy {h.index} of class {h.lab}.\n"
           f"# Include it at the top of ~/.ssh/config:  Include {h.lab}/config\n",
           f"Host {h.alias}\n    HostName {h.gateway_host}\n    Port {h.gateway_port}\n"
           f"    User {h.gateway_user}\n{ident}"
           f"    UserKnownHostsFile {h.dir}/known_hosts\n    StrictHostKeyChecking yes\n"
           f"    ClearAllForwardings yes\n"]
    everything = []
    for node in h.nodes:
        pats = h.patterns(node)
        everything += pats
        host = f"    HostName {node[3]}\n" if node[3] else ""   # no address: the copy is not up
        out.append(f"Host {' '.join(pats)}\n{host}    HostKeyAlias {node[0]}\n")
    out.append(f"Host {' '.join(everything)}\n    User root\n    ProxyJump {h.alias}\n{ident}"
               f"    UserKnownHostsFile {h.dir}/known_hosts\n    StrictHostKeyChecking yes\n"
               f"    ForwardAgent no\n    ForwardX11 no\n")
    return "\n".join(out)


def known_hosts(h: Handout) -> str:
    gw = h.gateway_host if h.gateway_port == 22 else f"[{h.gateway_host}]:{h.gateway_port}"
    lines = [f"{gw} {h.gateway_host_key}"]
    lines += [f"{node[0]} {node[4]}" for node in h.nodes if node[4]]
    return "".join(f"{x}\n" for x in lines)


def linux_steps(lab: str, student: str, key_file: bool) -> str:
    """What a student types on Linux or macOS to put the bundle in place (the page prints it;
    the tests run it). key_file: the bundle holds a private key k8s-lab made."""
    chmod = f"chmod 600 ~/.ssh/{lab}/id_ed25519\n" if key_file else ""
    return (f"mkdir -p ~/.ssh && unzip -o {student}.zip -d ~/.ssh\n{chmod}"
            f"(echo 'Include {lab}/config'; cat ~/.ssh/config 2>/dev/null) > ~/.ssh/c.new\n"
            f"mv ~/.ssh/c.new ~/.ssh/config\n")


def windows_steps(lab: str, student: str, key_file: bool) -> str:
    """The same in Windows PowerShell (OpenSSH refuses a key others can read: icacls)."""
    acl = (f"icacls $HOME\\.ssh\\{lab}\\id_ed25519 /inheritance:r /grant:r \"${{env:USERNAME}}:F\"\n"
           if key_file else "")
    return (f"mkdir -Force $HOME\\.ssh | Out-Null\nExpand-Archive -Force {student}.zip $HOME\\.ssh\n"
            f"{acl}$c = Get-Content $HOME\\.ssh\\config -Raw -EA 0\n"
            f"Set-Content $HOME\\.ssh\\config \"Include {lab}/config`n$c\"\n")


def text(words: str) -> Markup:
    """A HandoutWords text in the page: escaped as element content (&, <, >), its `backticks`
    set as <code>."""
    parts = html.escape(words, quote=False).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def render_html(h: Handout) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("k8slab", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["text"] = text
    env.filters["when"] = lambda at: time.strftime("%a %d %b %Y %H:%M", time.localtime(at))
    steps = (h.lab, h.student, bool(h.generated_key))
    return env.get_template("handout.html.j2").render(h=h, w=h.words, config=ssh_config(h),
                                                      linux=linux_steps(*steps),
                                                      windows=windows_steps(*steps))


def _write(path: Path, text: str, mode: int = 0o644) -> bool:
    changed = write_if_changed(path, text)
    os.chmod(path, mode)
    return changed


def write(folder: Path, h: Handout) -> Path:
    """The student's bundle in folder/<student>/ and folder/<student>.zip; returns the page."""
    root = Path(folder) / h.student
    bundle = root / h.lab
    bundle.mkdir(parents=True, exist_ok=True)
    changed = _write(bundle / "config", ssh_config(h))
    changed |= _write(bundle / "known_hosts", known_hosts(h))
    key = bundle / "id_ed25519"
    if h.generated_key:
        changed |= _write(key, h.generated_key, 0o600)
    elif key.exists():
        key.unlink()
        changed = True
    page = root / "handout.html"
    write_if_changed(page, render_html(h))
    archive = Path(folder) / f"{h.student}.zip"
    if changed or not archive.exists():
        tmp = archive.with_suffix(".zip.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(bundle.iterdir()):
                # fixed times: the same bundle makes the same zip
                info = zipfile.ZipInfo(f"{h.lab}/{f.name}", date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = (0o600 if f.name == "id_ed25519" else 0o644) << 16
                z.writestr(info, f.read_bytes(), zipfile.ZIP_DEFLATED)
        os.replace(tmp, archive)
    return page
