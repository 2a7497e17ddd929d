"""`invoke destroy`: the copies' VMs deleted (with their checkpoints and networks) and what the
lab folder knew of them forgotten, each copy under its lock; the class's gateway stopped, or
the destroyed copies' students' way in closed. Asking the user first is tasks.py's."""
from __future__ import annotations

from .. import checkpoints, lifecycle, state, ui
from ..errors import LabError
from ..gateway import service as gateway_service
from ..gateway import vms as access
from ..ssh import forget_ssh_config
from .side_by_side import each, locked, with_gateway


def destroy_copy(lab) -> bool:
    """Destroy this lab's VMs (and the networks Vagrant made for them). False if there was nothing."""
    vagrant = lifecycle.rendered_vagrant(lab)
    if not vagrant.created():
        ui.info(f"lab {lab.name}: nothing to destroy")
        state.forget(lab)
        access.forget(lab)
        return False
    vagrant.destroy()   # vagrant-libvirt deletes the VMs' snapshots (checkpoints) first
    forget_ssh_config(lab)
    access.forget(lab)
    checkpoints.forget(lab)
    state.forget(lab)
    ui.info(f"lab {lab.name}: destroyed")
    return True


def destroy(lab, copies: list) -> list:
    """Delete the copies' VMs, never while another task runs on one; False where there was
    nothing. Destroying every copy stops the class's gateway; some, closes their students' way."""
    def one(copy):
        with locked(copy, "destroy"):
            return destroy_copy(copy)
    if lab.gateway is None:
        return each(copies, one)
    if len(copies) == lab.copies:
        try:
            out = each(copies, one)
        except BaseException:
            try:
                gateway_service.stop(lab, purge=True)
            except LabError as e:   # the copies' own error is the one to see; this one too
                ui.say(f"error: gateway: {e}", markup=False)
            raise
        gateway_service.stop(lab, purge=True)   # nothing of the class left on its servers
        return out
    return with_gateway(lab, lambda: each(copies, one))
