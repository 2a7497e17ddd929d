"""The tasks' work, one module per `invoke` task (tasks.py parses the options and maps the exit
codes; the module does the task, for one copy of a lab or several):

  up.py         boot, provision with checkpoints, verify
  provision.py  provision, and plan (provision --dry-run)
  verify.py     verify
  suspend.py    suspend
  reset.py      reset --to STAGE
  destroy.py    destroy
  status.py     status (the class view)
  ssh.py        ssh
  gateway.py    gateway, students

What every task shares (each copy under its own lock, the copies side by side, the class's
gateway kept up to date after them) is in side_by_side.py. `render` and `doctor` have no work
of their own beyond k8slab.lifecycle.render and k8slab.doctor: tasks.py calls those directly.

Nothing is imported here: `invoke --list` loads no task's module, and a task loads only its own.
"""
