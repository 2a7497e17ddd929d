"""EtcdKeyStep reads the flannel key with a plain HTTP GET of etcd's v2 keys API and writes it
with etcdctl. The answers are real: tests/captured/etcd-v2-get-*.http, etcd 3.4.23 on the test
platform's master; a refused connection is what bash prints when nothing listens (no etcd here)."""
from __future__ import annotations

from pathlib import Path

from k8slab.facts import http
from k8slab.remote import Result
from k8slab.steps import Context
from provision.etcd_key import EtcdKeyStep, etcd_v2_value

CAPTURED = Path(__file__).resolve().parents[2] / "captured"
FOUND = (CAPTURED / "etcd-v2-get-flannel-key.http").read_bytes().decode()
MISSING = (CAPTURED / "etcd-v2-get-missing-key.http").read_bytes().decode()
REFUSED = "bash: connect: Connection refused\nbash: /dev/tcp/192.168.0.15/2379: Connection refused\n"
VALUE = '{"Network": "10.255.0.0/16"}'


def step(value=VALUE):
    return EtcdKeyStep("/k8s/network/config", value, endpoint="http://192.168.0.15:2379")


def test_the_fact_is_a_get_of_the_v2_key_without_etcdctl():
    probe, = [a.command for a in step().asks(Context())]
    assert "GET /v2/keys/k8s/network/config HTTP/1.0" in probe and "/dev/tcp/192.168.0.15/2379" in probe
    assert "etcdctl" not in probe


def test_values_from_the_captured_answers():
    assert etcd_v2_value(http.parse(Result("get", 0, FOUND, ""))) == (True, VALUE)
    assert etcd_v2_value(http.parse(Result("get", 0, MISSING, ""))) == (True, None)
    assert etcd_v2_value(http.parse(Result("get", 1, "", REFUSED))) == (False, None)


def test_the_key_as_wanted_is_ok_and_another_value_is_set_with_etcdctl():
    assert not step().plan(None, Context(), [Result("get", 0, FOUND, "")]).changes
    plan = step('{"Network": "10.254.0.0/16"}').plan(None, Context(), [Result("get", 0, FOUND, "")])
    assert plan.commands == ["ETCDCTL_API=2 etcdctl --endpoints http://192.168.0.15:2379 set "
                             "/k8s/network/config '{\"Network\": \"10.254.0.0/16\"}'"]
    assert plan.note == f"/k8s/network/config was {VALUE}"
    unset = step().plan(None, Context(), [Result("get", 0, MISSING, "")])
    assert unset.changes and unset.note == "/k8s/network/config was unset"


def test_a_dry_run_before_etcd_runs_says_it_would_set_the_key():
    plan = step().plan(None, Context(dry_run=True), [Result("get", 1, "", REFUSED)])
    assert plan.note == "etcd does not answer yet" and plan.commands[0].endswith(
        "set /k8s/network/config '" + VALUE + "'")
