"""The etcd stage's step: an etcd v2 key holds a value (2.3: the flannel network's config)."""
from __future__ import annotations

import json
import shlex
import time
from typing import Optional
from urllib.parse import urlsplit

from k8slab.facts import http
from k8slab.steps import Plan, Step
from .tutorial import etcdctl


def etcd_v2_value(answer: http.Answer) -> tuple[bool, Optional[str]]:
    """(etcd answered, the key's value or None when unset) from the HTTP answer to /v2/keys/KEY."""
    if answer.status == 200:
        try:
            return True, json.loads(answer.body)["node"]["value"]
        except (ValueError, KeyError, TypeError):
            return False, None
    return answer.status == 404, None


class EtcdKeyStep(Step):
    """An etcd v2 key holds a value (flannel 0.7 reads only the v2 keys API).

    Read with a plain HTTP GET of the v2 keys API (no etcdctl to start: a Go binary costs ~1-2 s
    on a busy emulated node), written with etcdctl, as the tutorial does."""

    def __init__(self, key, value, endpoint, wait=60):
        self.key, self.value, self.endpoint, self.wait = key, value, endpoint, wait
        self.name = f"etcd key {key}"

    def preview(self):
        return [f"etcd key {self.key} = {self.value} (at {self.endpoint})"]

    def _etcdctl(self, args):
        return f"{etcdctl(self.endpoint)} {args}"

    def asks(self, ctx):
        url = urlsplit(self.endpoint)
        return (http.HTTP(url.hostname, url.port, f"/v2/keys{self.key}"),)

    def plan(self, host, ctx, read=None):
        get, = self.asks(ctx)
        answered, current = etcd_v2_value(get.value(self._read(host, ctx, read)[0]))
        if current == self.value:
            return Plan(note=f"{self.key} = {self.value}")
        cmd = self._etcdctl(f"set {self.key} {shlex.quote(self.value)}")
        if not answered and ctx.dry_run:
            return Plan(commands=[cmd], note="etcd does not answer yet")
        if not answered:
            self._wait_healthy(host)  # etcd may still be starting right after its restart
            answered, current = etcd_v2_value(get.value(self._read(host, ctx, None)[0]))
        return Plan(commands=[cmd], apply=lambda: host.run(cmd),
                    note=f"{self.key} was {current if current is not None else 'unset'}")

    def _wait_healthy(self, host):
        deadline = time.monotonic() + self.wait
        while True:
            health = host.run(self._etcdctl("cluster-health"), check=False)
            if health.ok:
                return
            if time.monotonic() > deadline:
                raise host.error(self._etcdctl("cluster-health"), health)
            time.sleep(2)
