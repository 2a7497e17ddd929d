"""The pod infrastructure image the tutorial names, given to docker on every node without a registry.

The tutorial's kubelet file names `registry.access.redhat.com/rhel7/pod-infrastructure:latest`.
CentOS 7's docker refuses that registry since 7.5 dropped its certificate (`open
/etc/docker/certs.d/registry.access.redhat.com/redhat-ca.crt: no such file or directory`), and
every pod then stays ContainerCreating. The file keeps the tutorial's line; instead, the start
stage imports an image of that exact name made here: one static program, pause/pause.c, built on
the host with its gcc (`gcc` and `libc6-dev` on Debian/Ubuntu; `invoke doctor` checks them) into
a one-file tarball that `docker import` turns into the image. The image carries the source's
digest (ENV K8S_LAB_PAUSE), so a re-run sees that the image is there and current, and rebuilds
nothing; gcc is needed only when some node lacks the image.

host_findings is the playbook's preflight (provision.TUTORIAL): `invoke doctor` and `invoke up`
check gcc before any VM boots when the lab runs the stage that imports the image.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

from k8slab.doctor.finding import FAIL, PASS, Finding
from k8slab.doctor import probes
from provision.checks.kube import DOCKER_DOWN, docker_down, image_inspect
from k8slab.errors import LabError
from k8slab.facts.fact import OUTPUT
from k8slab.steps import Plan, Step

SOURCE = Path(__file__).resolve().parent / "pause" / "pause.c"
CFLAGS = ("-Os", "-static", "-s")
MARK = "K8S_LAB_PAUSE"
_building = threading.Lock()    # the nodes run in parallel; one of them builds
STAGE = "start"                 # the stage whose nodes import the image (stages.start)


@functools.cache
def digest() -> str:
    """Names what the image holds: the source and how it is compiled."""
    return hashlib.sha256(SOURCE.read_bytes() + " ".join(CFLAGS).encode()).hexdigest()[:12]


def tarball(cache: Path) -> bytes:
    """The image's root filesystem, /pause alone, gzip'd; built once per digest into cache."""
    path = cache / f"pause-{digest()}.tar.gz"
    with _building:
        if not path.exists():
            problem = static_cc_problem()
            if problem:
                raise LabError(f"the pod infrastructure image is built on this host, and {problem}")
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                binary = Path(tmp) / "pause"
                r = subprocess.run(["gcc", *CFLAGS, "-o", str(binary), str(SOURCE)],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise LabError(f"gcc could not build {SOURCE} (exit {r.returncode}):\n{r.stderr.strip()}")
                data = binary.read_bytes()
            buf = io.BytesIO()
            # fixed owner, mode and time: the same source gives the same bytes
            with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, \
                    tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
                info = tarfile.TarInfo("pause")
                info.size, info.mode, info.mtime = len(data), 0o755, 0
                tar.addfile(info, io.BytesIO(data))
            tmp_path = path.with_suffix(".part")
            tmp_path.write_bytes(buf.getvalue())
            tmp_path.replace(path)
        return path.read_bytes()


def static_cc_problem() -> str:
    """"" when this host can build a static C program (the pause), else what is missing and
    how to get it."""
    gcc = shutil.which("gcc")
    if not gcc:
        return "gcc is not installed (sudo apt-get install gcc libc6-dev)"
    libc = probes.run([gcc, "-print-file-name=libc.a"]) or ""
    if not Path(libc.strip()).is_absolute():   # gcc echoes the bare name when it has no such file
        return "gcc finds no static C library, libc.a (sudo apt-get install libc6-dev)"
    return ""


def check_pause_build(problem: str) -> Finding:
    """The host builds the pod infrastructure image's one program with gcc (provision/pause):
    a failure before any VM boots, not at the start stage minutes later."""
    if not problem:
        return Finding("pause image build", PASS, "gcc builds static programs (the pod infrastructure image)")
    return Finding("pause image build", FAIL,
                   f"the start stage imports a pause image built here, and {problem}",
                   "install it; without it no pod can start on the tutorial's cluster "
                   "(its infra image's registry is gone)")


def host_findings(lab) -> list:
    """The tutorial's preflight (Playbook.preflight): gcc for the pause, when the lab runs the
    stage that imports it."""
    return [check_pause_build(static_cc_problem())] if STAGE in lab.stages else []


def import_command(image: str) -> str:
    changes = ['ENTRYPOINT ["/pause"]', f"ENV {MARK}={digest()}"]
    return "docker import " + " ".join(f"--change {shlex.quote(c)}" for c in changes) + \
        f" - {shlex.quote(image)}"


def judge_image(result, image: str) -> tuple[bool, str]:
    """(current, what was found) from `docker image inspect IMAGE` (its JSON)."""
    if result.exited != 0:
        if docker_down(result):
            return False, DOCKER_DOWN
        return False, f"{image} is not in docker's images"
    env = (json.loads(result.stdout)[0].get("Config") or {}).get("Env") or []
    marks = [e.split("=", 1)[1] for e in env if e.startswith(MARK + "=")]
    if marks == [digest()]:
        return True, f"{image} is k8s-lab's pause {digest()}"
    if marks:
        return False, f"{image} is an older k8s-lab pause ({marks[0]})"
    return False, f"{image} is another image (not k8s-lab's pause)"


class InfraImageStep(Step):
    """The lab's pod_infra_image present in docker, imported from the host-built pause."""

    def __init__(self, image: str, cache):
        self.image, self.cache = image, cache   # cache: () -> the host folder for the tarball
        self.name = "infra image"

    def asks(self, ctx):
        return (OUTPUT(image_inspect(self.image)),)

    def preview(self):
        return [f"docker image {self.image}: k8s-lab's pause {digest()} (built here with gcc, "
                "imported, no registry)"]

    def plan(self, host, ctx, read=None):
        current, found = judge_image(self._read(host, ctx, read)[0], self.image)
        if current:
            return Plan(note=found)
        command = import_command(self.image)

        def apply():
            host.run(command, stdin=tarball(self.cache()))
        return Plan(commands=[command], note=found, apply=apply)
