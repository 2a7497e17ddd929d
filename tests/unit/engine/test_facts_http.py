"""facts.http: the one HTTP read from a node (bash's /dev/tcp, no curl) and its one parser, used by
the etcd key step and by verify's etcd and apiserver checks. Run for real here: the command in
this machine's bash against a real HTTP server on the loopback, as a node runs it against etcd."""
from __future__ import annotations

import http.server
import socket
import threading

import pytest
from invoke import Context

from k8slab.facts import http as node_http
from k8slab.remote import Result


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = (200, b"ok") if self.path == "/healthz" else (404, b'{"errorCode":100}')
        self.send_response(code)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()


def get(port, path) -> Result:
    command = node_http.get("127.0.0.1", port, path)
    r = Context().run(command, warn=True, hide=True, in_stream=False)
    return Result(command, r.exited, r.stdout, r.stderr)


def test_an_answer_is_its_status_and_body(server):
    assert node_http.parse(get(server, "/healthz")) == (200, "ok")
    assert node_http.parse(get(server, "/v2/keys/k8s/network/config")) == (404, '{"errorCode":100}')


def test_no_answer_is_status_0_with_the_refusal_kept_as_evidence():
    with socket.socket() as s:      # a port nothing listens on: bind, then close before asking
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = get(port, "/version")
    assert node_http.parse(r) == (0, "") and not r.ok and "refused" in r.stderr


def test_something_that_is_not_http_is_no_answer():
    assert node_http.parse(Result("get", 0, "SSH-2.0-OpenSSH_9.2\r\n", "")) == (0, "")
