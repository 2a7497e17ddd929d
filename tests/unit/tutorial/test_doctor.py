"""What `invoke doctor` says of the tutorial's lab: the sizes of its platforms' boxes
(TutorialLab.box_size_mib). How doctor asks a lab, and every host check: tests/unit/engine/test_doctor.py."""
from __future__ import annotations

from pathlib import Path

from k8slab import doctor

CAPTURED = Path(__file__).resolve().parents[2] / "captured"


def test_the_tutorials_box_sizes_are_the_ones_doctor_shows(lab, lab_with, monkeypatch):
    """Split from the engine's test_the_box_size_doctor_shows_is_the_labs: the tutorial's boxes."""
    real = doctor.run.probes.run
    listing = (CAPTURED / "vagrant-box-list-machine-readable.txt").read_text()   # neither box
    monkeypatch.setattr(doctor.run.probes, "run", lambda argv, *a: listing
                        if argv[:3] == ["vagrant", "box", "list"] else real(argv, *a))

    def box(lab):
        return next(f.detail for f in doctor.run_doctor(lab, "libvirt") if f.check == "box")
    assert "centos/7 is not present for libvirt: it will be downloaded on first up (about 500 MiB) " \
           "if Vagrant Cloud" in box(lab)
    assert "debian/bookworm64 is not present for libvirt: it will be downloaded on first up (about " \
           "400 MiB)" in box(lab_with(("platform: centos7", "platform: debian12")))
