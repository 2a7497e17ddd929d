"""k8s-lab's own pod infrastructure image: built here with this host's real gcc, run here for
real (the program is the same on the VMs), and the host check that says when it cannot be built.
The image's import into docker and kubelet starting pods with it run on the VMs (tests/vm)."""
from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import tarfile
import time

import pytest

from k8slab.doctor.finding import FAIL, PASS
from k8slab.errors import LabError
from provision import TUTORIAL, infra_image
from provision.infra_image import check_pause_build, static_cc_problem


def test_the_image_is_one_static_program_and_the_same_bytes_each_build(tmp_path):
    first = infra_image.tarball(tmp_path / "a")
    second = infra_image.tarball(tmp_path / "b")
    assert first == second                           # same source, same tarball: no time, no owner
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(first))) as tar:
        (member,) = tar.getmembers()
        assert (member.name, member.mode, member.uid, member.mtime) == ("pause", 0o755, 0, 0)
        binary = tar.extractfile(member).read()
    assert binary[:4] == b"\x7fELF"
    # static: no program interpreter (the image has no dynamic loader to run it)
    (tmp_path / "pause").write_bytes(binary)
    out = subprocess.run(["readelf", "-l", str(tmp_path / "pause")], capture_output=True, text=True).stdout
    assert "INTERP" not in out and "LOAD" in out
    # cached by digest: a second call in the same folder reads the file, builds nothing
    path = tmp_path / "a" / f"pause-{infra_image.digest()}.tar.gz"
    before = path.stat().st_mtime_ns
    assert infra_image.tarball(tmp_path / "a") == first and path.stat().st_mtime_ns == before


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_pause_waits_until_kubelet_stops_the_pod_then_exits_0(tmp_path, sig):
    data = gzip.decompress(infra_image.tarball(tmp_path))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extract("pause", tmp_path)
    proc = subprocess.Popen([str(tmp_path / "pause")])
    try:
        time.sleep(0.3)
        assert proc.poll() is None                    # it waits
        os.kill(proc.pid, signal.SIGCHLD)             # a child's end is not a reason to stop
        time.sleep(0.2)
        assert proc.poll() is None
        proc.send_signal(sig)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_import_names_the_tutorials_image_and_marks_the_digest():
    cmd = infra_image.import_command("registry.access.redhat.com/rhel7/pod-infrastructure:latest")
    assert cmd == ("docker import --change 'ENTRYPOINT [\"/pause\"]' "
                   f"--change 'ENV K8S_LAB_PAUSE={infra_image.digest()}' "
                   "- registry.access.redhat.com/rhel7/pod-infrastructure:latest")


def test_without_gcc_the_host_check_fails_with_the_package_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))         # a PATH where no gcc is
    problem = static_cc_problem()
    assert problem == "gcc is not installed (sudo apt-get install gcc libc6-dev)"
    f = check_pause_build(problem)
    assert f.status == FAIL and "the start stage imports a pause image built here, and gcc is " \
                                "not installed" in f.detail
    with pytest.raises(LabError, match="the pod infrastructure image is built on this host, and gcc is not installed"):
        infra_image.tarball(tmp_path / "cache")


def test_with_gcc_and_its_static_libc_the_host_check_passes():
    assert static_cc_problem() == ""
    assert check_pause_build("").status == PASS


def test_doctor_checks_gcc_when_the_lab_runs_the_start_stage(lab_with):
    """The tutorial's preflight, handed to doctor and up as TUTORIAL.preflight."""
    assert TUTORIAL.preflight is infra_image.host_findings
    (f,) = TUTORIAL.preflight(lab_with())
    assert (f.check, f.status) == ("pause image build", PASS)
    assert TUTORIAL.preflight(lab_with(("until: start", "until: network"))) == []


# --- the image on a node: `docker image inspect`, captured on the test box after the import ---

CAPTURED = __import__("pathlib").Path(__file__).resolve().parents[2] / "captured"
IMAGE = "registry.access.redhat.com/rhel7/pod-infrastructure:latest"


def inspect(exited=0, stdout=None, stderr=""):
    from k8slab.remote import Result
    text = (CAPTURED / "debian12-docker-image-inspect-pause.txt").read_text() if stdout is None else stdout
    return Result(f"docker image inspect {IMAGE}", exited, text, stderr)


def test_the_start_stage_keeps_the_image_it_imported(monkeypatch):
    monkeypatch.setattr(infra_image, "digest", lambda: "700f4ffd280b")   # the capture's mark
    assert infra_image.judge_image(inspect(), IMAGE) == (True, f"{IMAGE} is k8s-lab's pause 700f4ffd280b")


def test_a_changed_pause_or_another_image_is_imported_again(monkeypatch):
    monkeypatch.setattr(infra_image, "digest", lambda: "0123456789ab")
    assert infra_image.judge_image(inspect(), IMAGE) == (False, f"{IMAGE} is an older k8s-lab pause (700f4ffd280b)")
    pulled = inspect().stdout.replace('"K8S_LAB_PAUSE=700f4ffd280b"', '"PATH=/usr/bin"')
    assert infra_image.judge_image(inspect(stdout=pulled), IMAGE) == (False, f"{IMAGE} is another image (not k8s-lab's pause)")


def test_a_missing_image_and_a_stopped_docker_are_told_apart():
    gone = inspect(1, "[]\n", f"Error: No such image: {IMAGE}\n")
    assert infra_image.judge_image(gone, IMAGE) == (False, f"{IMAGE} is not in docker's images")
    down = inspect(1, "[]\n", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                              "Is the docker daemon running?\n")
    assert infra_image.judge_image(down, IMAGE) == (False, "docker is not running")
    # the read itself never starts docker (its socket would, and flanneld with it)
    from provision.checks.kube import image_inspect
    assert image_inspect(IMAGE).startswith("if systemctl is-active --quiet docker; then docker image inspect ")
    guarded = inspect(3, "", "docker is not running\n")
    assert infra_image.judge_image(guarded, IMAGE) == (False, "docker is not running")


def test_verify_sees_the_image_and_names_the_node_without_it():
    from provision.checks.kube import judge_infra_image
    ok, detail, _ = judge_infra_image(inspect(), IMAGE, "k8s-node1")
    assert ok and detail == f"{IMAGE} present (8e38d8a69200, 666 KiB)"
    ok, detail, hint = judge_infra_image(inspect(1, "[]\n", f"Error: No such image: {IMAGE}\n"), IMAGE, "k8s-node1")
    assert not ok and detail == f"{IMAGE} is not in docker's images"
    assert "no pod starts on k8s-node1" in hint and "`invoke up`" in hint
