"""Which members are services, how each starts, and what it waits for (pure logic on hand-built workspaces)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cigen.config.root import Config
from cigen.errors import CycleError, InputError
from cigen.model import Edge, Member, Workspace
from cigen.runtime.probes import CmdProbe, HttpProbe, TcpProbe
from cigen.plan.stages import compute_plan
from cigen.runtime.services import command_argv, resolve_services, runtime_graph, select, start_plan


def member(path: str, name: str | None, *, kind: str = "service", start: bool = True, pm: str = "npm",
           root: bool = False) -> Member:
    return Member(path=path, name=name, version="1.0.0", kind=kind, language="node",  # type: ignore[arg-type]
                  package_manager=pm, scripts={"start": "node server.js"} if start else {},  # type: ignore[arg-type]
                  is_root=root, startable=start)


def workspace(*members: Member, edges: tuple[Edge, ...] = ()) -> Workspace:
    return Workspace(root=Path("/repo"), definition="package.json", package_manager="npm",
                     members=tuple(sorted(members, key=lambda m: m.path)), edges=edges)


def config(services: dict[str, Any] | None = None) -> Config:
    return Config.model_validate({"services": services or {}})


WS = workspace(
    member(".", "mono", kind="package", root=True),
    member("services/api", "api"),
    member("services/auth", "auth"),
    member("apps/web", "web", kind="app"),
    member("packages/ui", "ui", kind="package"),  # a library with a start script (storybook, tsc -w)
    member("packages/utils", "utils", kind="package", start=False),
)


def test_startable_services_and_apps_are_services_but_libraries_and_the_root_are_not() -> None:
    assert sorted(resolve_services(config(), WS)) == ["api", "auth", "web"]


def test_a_library_listed_in_cigen_yaml_becomes_a_service_and_enabled_false_removes_one() -> None:
    specs = resolve_services(config({"ui": {}, "web": {"enabled": False}}), WS)
    assert sorted(specs) == ["api", "auth", "ui"]


def test_the_default_start_is_the_start_script_through_the_members_package_manager() -> None:
    ws = workspace(member("a", "a", pm="npm"), member("b", "b", pm="pnpm"), member("c", "c", pm="yarn-berry"),
                   member("d", "d", pm="bun"))
    commands = {name: spec.command for name, spec in resolve_services(config(), ws).items()}
    assert commands == {"a": ("npm", "run", "start"), "b": ("pnpm", "run", "start"), "c": ("yarn", "run", "start"),
                        "d": ("bun", "run", "start")}
    assert resolve_services(config(), ws)["a"].cwd == "a"


def test_a_member_without_a_start_script_needs_a_start_command() -> None:
    with pytest.raises(InputError, match="services.utils: the member has no start script"):
        resolve_services(config({"utils": {"port": 1234}}), WS)
    specs = resolve_services(config({"utils": {"start": "node dev.js", "cwd": "bin"}}), WS)
    assert (specs["utils"].command, specs["utils"].cwd) == (("node", "dev.js"), "packages/utils/bin")


def test_a_service_that_is_no_member_runs_its_command_from_the_root() -> None:
    specs = resolve_services(config({"redis": {"start": ["redis-server", "--port", "6380"], "port": 6380}}), WS)
    assert specs["redis"].member is None and specs["redis"].cwd == "."
    assert specs["redis"].command == ("redis-server", "--port", "6380")


def test_an_unknown_name_without_start_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(InputError, match="services.apii: no workspace member is named 'apii'") as info:
        resolve_services(config({"apii": {"port": 1}}), WS)
    assert info.value.hint == "did you mean 'api'?"


def test_members_are_keyed_by_name_or_path_and_duplicate_names_need_the_path() -> None:
    ws = workspace(member("a/api", "api"), member("b/api", "api"))
    with pytest.raises(InputError, match="2 members are named 'api' \\(a/api, b/api\\)"):
        resolve_services(config({"api": {"port": 1}}), ws)
    specs = resolve_services(config({"a/api": {"port": 4001}}), ws)
    assert specs["a/api"].port == 4001 and sorted(specs) == ["a/api", "b/api"]


def test_depends_on_names_services_and_rejects_unknown_ones_and_itself() -> None:
    specs = resolve_services(config({"api": {"depends_on": ["auth", "services/auth"]}}), WS)
    assert specs["api"].depends_on == ("auth",)
    with pytest.raises(InputError, match="services.api.depends_on: no service is named 'auht'") as info:
        resolve_services(config({"api": {"depends_on": ["auht"]}}), WS)
    assert info.value.hint == "did you mean 'auth'?"
    with pytest.raises(InputError, match="a service cannot depend on itself"):
        resolve_services(config({"api": {"depends_on": ["api"]}}), WS)


def test_package_dependencies_on_services_are_runtime_dependencies_through_libraries_but_not_dev_ones() -> None:
    edges = (
        Edge("services/api", "packages/ui", ("dependencies",)),  # api -> ui (library) -> auth (service)
        Edge("packages/ui", "services/auth", ("dependencies",)),
        Edge("apps/web", "services/api", ("devDependencies",)),  # only for tests: not at run time
        Edge("apps/web", "packages/utils", ("dependencies",)),
    )
    specs = resolve_services(config(), workspace(*WS.members, edges=edges))
    assert specs["api"].depends_on == ("auth",)
    assert specs["web"].depends_on == ()


def test_the_nearest_service_on_a_path_is_the_dependency_not_the_ones_behind_it() -> None:
    edges = (Edge("apps/web", "services/api", ("dependencies",)), Edge("services/api", "services/auth", ("dependencies",)))
    specs = resolve_services(config(), workspace(*WS.members, edges=edges))
    assert specs["web"].depends_on == ("api",)


def test_a_port_is_exported_as_port_and_probed_over_tcp_without_a_health_section() -> None:
    spec = resolve_services(config({"api": {"port": 4001, "env": {"DEBUG": True, "N": 2}}}), WS)["api"]
    assert spec.env == (("DEBUG", "true"), ("N", "2"), ("PORT", "4001"))
    assert spec.health.probe == TcpProbe("127.0.0.1", 4001)
    explicit = resolve_services(config({"api": {"port": 4001, "env": {"PORT": "9"}}}), WS)["api"]
    assert ("PORT", "9") in explicit.env  # the user's own PORT wins


def test_no_port_and_no_health_means_no_probe() -> None:
    assert resolve_services(config(), WS)["api"].health.probe is None


def test_an_http_path_is_probed_on_the_services_port_and_needs_one() -> None:
    spec = resolve_services(config({"api": {"port": 4001, "health": {"http": "/ready", "status": "200,204"}}}), WS)["api"]
    assert spec.health.probe == HttpProbe("http://127.0.0.1:4001/ready", ((200, 200), (204, 204)))
    with pytest.raises(InputError, match="services.api.health.http: a path needs the service's `port`"):
        resolve_services(config({"api": {"health": {"http": "/ready"}}}), WS)


def test_cmd_probes_run_in_the_service_folder_with_its_environment() -> None:
    spec = resolve_services(config({"api": {"port": 1, "health": {"cmd": "curl -fsS localhost:1 || exit 1"}}}), WS)["api"]
    assert spec.health.probe == CmdProbe(("sh", "-c", "curl -fsS localhost:1 || exit 1"), "services/api",
                                         (("PORT", "1"),))


def test_a_cwd_that_leaves_the_repository_is_rejected() -> None:
    with pytest.raises(InputError, match="services.api.cwd: '../../..' leaves the repository"):
        resolve_services(config({"api": {"cwd": "../../.."}}), WS)


@pytest.mark.parametrize(("command", "argv"), [
    ("node server.js --port 1", ("node", "server.js", "--port", "1")),
    ("node 'my server.js'", ("node", "my server.js")),
    ("npm run build && node dist/server.js", ("sh", "-c", "npm run build && node dist/server.js")),
    ("node server.js > out.log", ("sh", "-c", "node server.js > out.log")),
    ("PORT=$P node x.js", ("sh", "-c", "PORT=$P node x.js")),
    (["node", "a b.js"], ("node", "a b.js")),
])
def test_commands_run_in_exec_form_unless_they_need_a_shell(command: str | list[str], argv: tuple[str, ...]) -> None:
    assert command_argv(command) == argv


def test_select_adds_dependencies_and_orders_them_first() -> None:
    specs = resolve_services(config({"web": {"depends_on": ["api"]}, "api": {"depends_on": ["auth"]}}), WS)
    assert select(specs, ["web"]) == ["auth", "api", "web"]
    assert select(specs, ["auth"]) == ["auth"]
    assert select(specs, []) == ["auth", "api", "web"]


def test_the_start_order_is_the_auto_plan_over_the_runtime_graph_that_ci_and_cigen_run_read() -> None:
    """A service that is no member (a database) is a node like any other; the plan's stages are the waves
    of services that may start together, and its order is the one `cigen up` follows."""
    specs = resolve_services(config({
        "db": {"start": "sleep 60"},
        "web": {"depends_on": ["api", "db"]},
        "api": {"depends_on": ["auth", "db"]},
    }), WS)
    plan = start_plan(specs, ["web"])
    assert plan == compute_plan(runtime_graph(specs), mode="auto", selected={"auth", "db", "api", "web"})
    assert [stage.services for stage in plan.stages] == [("auth", "db"), ("api",), ("web",)]
    assert [stage.needs for stage in plan.stages] == [(), ("stage-1",), ("stage-1", "stage-2")]
    assert select(specs, ["web"]) == list(plan.services) == ["auth", "db", "api", "web"]


def test_select_rejects_unknown_names_and_cycles_with_their_path() -> None:
    specs = resolve_services(config({"api": {"depends_on": ["auth"]}, "auth": {"depends_on": ["api"]}}), WS)
    with pytest.raises(CycleError, match="services depend on each other in a cycle: api -> auth -> api"):
        select(specs, ["api"])
    assert select(specs, ["web"]) == ["web"]  # a cycle elsewhere does not matter
    with pytest.raises(InputError, match="no service is named 'wbe'"):
        select(specs, ["wbe"])


def test_the_integration_job_exists_when_a_service_can_start_and_carries_the_configured_command() -> None:
    from cigen.runtime.project import integration

    assert integration(Path("/repo"), config(), workspace(member("packages/lib", "lib", kind="package"))) is None
    job = integration(Path("/repo"), config(), WS)
    assert job is not None and (job.services, job.command, job.cwd, job.logs) == ((), None, ".", ".cigen/logs")
    configured = Config.model_validate({"runtime": {"logs": "out", "integration": {
        "command": "npm run e2e", "services": ["web"], "cwd": "e2e"}}})
    job = integration(Path("/repo"), configured, WS)
    assert job is not None and (job.services, job.command, job.cwd, job.logs) == (("web",), "npm run e2e", "e2e", "out")
    with pytest.raises(InputError, match="no service is named 'wbe'"):
        integration(Path("/repo"), Config.model_validate({"runtime": {"integration": {
            "command": "x", "services": ["wbe"]}}}), WS)
