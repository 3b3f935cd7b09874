"""``${url:NAME}`` in a service's environment: a runtime edge that cigen knows, with a loopback proxy on it.

The resolution is read from the specs (no processes); what ``cigen up`` does with it runs once under real
PM2, in a stack the tests of this module share and only read: the proxy's table, the address the dependent
really gets in its environment, the proxy passing requests on, a second ``up`` adopting all of it, and
``down`` leaving no process behind, the proxy included.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import psutil
import pytest

from cigen.app.ecosystem import ecosystem_text
from cigen.config.loader import parse_config
from cigen.errors import InputError
from cigen.model import Member, Workspace
from cigen.runtime.apps import PROXY_PREFIX
from cigen.runtime.proxies import proxy_table
from cigen.runtime.project import project
from cigen.runtime.services import resolve_services, select
from testing.paths import NODE_BIN
from testing.runtime import RuntimeRepo

MEMBERS = tuple(
    Member(path=f"services/{name}", name=name, version="1.0.0", kind="service", language="node",
           package_manager="npm", scripts={"start": "node server.js"}, startable=True)
    for name in ("api", "recommend", "worker")
)
WS = Workspace(root=Path("/repo"), definition="package.json", package_manager="npm", members=MEMBERS)


def config_file(tmp_path: Path, services: str) -> Path:
    path = tmp_path / "cigen.yaml"
    path.write_text("services:\n" + services)
    return path


def specs(tmp_path: Path, services: str) -> dict:
    path = config_file(tmp_path, services)
    return resolve_services(parse_config(path), WS, path)


def refusal(tmp_path: Path, services: str) -> str:
    with pytest.raises(InputError) as caught:
        specs(tmp_path, services)
    return str(caught.value).removeprefix(f"{tmp_path / 'cigen.yaml'}:")


RECOMMEND = "  recommend:\n    port: 4003\n"


def test_a_reference_is_a_runtime_edge_and_the_dependency_starts_first(tmp_path: Path) -> None:
    found = specs(tmp_path, RECOMMEND + "  api:\n    env:\n      RECOMMEND_URL: ${url:recommend}/v1\n")
    assert found["api"].refers_to == ("recommend",)
    assert found["api"].depends_on == ("recommend",)
    assert select(found, ["api"]) == ["recommend", "api"]


def test_a_reference_by_the_member_path_is_kept_under_the_service_name(tmp_path: Path) -> None:
    found = specs(tmp_path, RECOMMEND + "  api:\n    env:\n      R: ${url:services/recommend}\n")
    assert found["api"].refers_to == ("recommend",)
    assert dict(found["api"].env)["R"] == "${url:recommend}"


def test_the_ecosystem_file_reaches_the_service_itself(tmp_path: Path) -> None:
    # PM2 alone runs no proxy: the file gives the dependent the dependency's own address.
    path = config_file(tmp_path, RECOMMEND + "  api:\n    env:\n      R: ${url:recommend}\n"
                                             "      BROKER: mqtt://127.0.0.1:${port:recommend}\n")
    text = ecosystem_text(project(tmp_path, parse_config(path), WS), tmp_path / "ecosystem.config.js")
    assert '"R": "http://127.0.0.1:4003"' in text
    assert '"BROKER": "mqtt://127.0.0.1:4003"' in text


def test_other_dollar_forms_pass_through_as_written(tmp_path: Path) -> None:
    written = {"A": "${HOME}/x", "B": "${URL:recommend}", "C": "$${url:recommend}", "D": "price: $5"}
    env_lines = "".join(f"      {k}: '{v}'\n" for k, v in written.items())
    found = specs(tmp_path, RECOMMEND + "  api:\n    env:\n" + env_lines)
    assert found["api"].refers_to == ()
    assert found["api"].environment(lambda name: 1) == {
        "A": "${HOME}/x", "B": "${URL:recommend}", "C": "${url:recommend}", "D": "price: $5"}


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (RECOMMEND + "  api:\n    env:\n      R: ${url:recomend}\n",
         "6:7: services.api.env.R: ${url:recomend} refers to no service (did you mean 'recommend'?)"),
        ("  api:\n    port: 4001\n    env:\n      SELF: ${url:api}\n",
         "5:7: services.api.env.SELF: ${url:api} refers to the service itself (use its PORT)"),
        ("  recommend: {}\n  api:\n    env:\n      R: ${url:recommend}\n",
         "5:7: services.api.env.R: ${url:recommend} needs the port recommend listens on "
         "(give services.recommend a port:)"),
        (RECOMMEND + "  api:\n    env:\n      R: ${url:}\n",
         "6:7: services.api.env.R: value error, ${url:} names no service (write ${url:service})"),
    ],
    ids=["unknown", "itself", "no-port", "empty"],
)
def test_a_bad_reference_is_one_located_line(tmp_path: Path, services: str, message: str) -> None:
    assert refusal(tmp_path, services).startswith(message)


# -- under cigen up ----------------------------------------------------------------------------


def proxy_pids(port: int) -> list[int]:
    return [p.pid for p in psutil.process_iter(["cmdline"])
            if "cigen.verify.proxy" in (p.info["cmdline"] or []) and str(port) in p.info["cmdline"]]


def test_up_puts_a_proxy_on_the_edge_a_second_up_adopts_it_and_down_stops_it(
        runtime_repo: RuntimeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIGEN_PM2_HOME", str(runtime_repo.home))  # where proxy_table() looks, as cigen does
    runtime_repo.add("recommend")
    runtime_repo.add("api", env={"RECOMMEND_URL": "${url:recommend}"})
    runtime_repo.write()
    done = runtime_repo.cigen("up", "--json")
    assert done.code == 0, done.stderr
    assert {s["name"]: s["proxy_for"] for s in json.loads(done.stdout)["services"]} == {
        "recommend": None, "proxy:recommend": "recommend", "api": None}

    table = proxy_table(runtime_repo.root)
    assert list(table) == ["recommend"]
    entry = table["recommend"]
    assert (entry.target_port, entry.callers, entry.app) == (runtime_repo.ports["recommend"], ("api",),
                                                             PROXY_PREFIX + "recommend")
    assert entry.port not in runtime_repo.ports.values()
    # What the dependent really got, read from its process: the proxy's address, not the service's.
    assert psutil.Process(runtime_repo.pids("api")[-1]).environ()["RECOMMEND_URL"] == f"http://127.0.0.1:{entry.port}"
    with urllib.request.urlopen(f"http://127.0.0.1:{entry.port}/", timeout=5) as answer:
        assert answer.read() == b"hello from recommend"
    [proxy_pid] = proxy_pids(entry.port)

    pids = {name: runtime_repo.pids(name) for name in runtime_repo.services}
    again = runtime_repo.cigen("up")
    assert again.code == 0, again.stderr
    assert "proxy:recommend  already running and healthy" in again.stderr
    assert proxy_table(runtime_repo.root) == table
    assert {name: runtime_repo.pids(name) for name in runtime_repo.services} == pids
    assert proxy_pids(entry.port) == [proxy_pid]
    assert "2 services and 1 proxy healthy" in again.stdout

    status = runtime_repo.cigen("status", "--json")
    rows = {row["name"]: row for row in json.loads(status.stdout)}
    assert status.code == 0
    assert (rows[entry.app]["proxy_for"], rows[entry.app]["health"]) == ("recommend", "healthy")
    assert (rows["api"]["proxy_for"], rows["api"]["configured"]) == (None, True)
    # A proxy that is down cuts its callers off from the service: the stack is not up.
    subprocess.run([str(NODE_BIN / "pm2"), "stop", entry.app], env={**runtime_repo.env, "PM2_HOME": str(runtime_repo.home)},
                   check=True, capture_output=True, timeout=60)
    down_proxy = runtime_repo.cigen("status")
    assert down_proxy.code == 1
    assert [line.split()[:2] for line in down_proxy.stdout.splitlines() if line.startswith(entry.app)] == [
        [entry.app, "stopped"]]

    assert runtime_repo.cigen("down").code == 0
    runtime_repo.assert_nothing_running()
    assert not psutil.pid_exists(proxy_pid)
    assert proxy_table(runtime_repo.root) == {}
