"""The example's services are real: each starts from its start command on the port it is given,
answers /health, waits for the services it needs, and stops cleanly."""

from __future__ import annotations

import shlex
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.examples import python_argv, python_env, scripts
from testing.processes import Services, group_alive, http_get

NODE_SERVICES = ("services/auth", "services/inventory", "services/broker", "services/billing", "services/api", "apps/web")


def start_node(services: Services, shop: Path, member: str, port: int, **env: str):
    name = member.rsplit("/", 1)[1]
    return services.start(name, ["npm", "run", "start"], cwd=shop / member, port=port, env=env)


def start_recommend(services: Services, shop: Path, port: int):
    argv = python_argv("-m", "shop_recommend")
    return services.start("recommend", argv, cwd=shop / "services/recommend", port=port, env=python_env(shop, "services/recommend"))


def refuses_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_auth_answers_health_on_the_port_it_is_given(shop: Path, services: Services, free_port: Callable[[], int]) -> None:
    auth = start_node(services, shop, "services/auth", free_port())
    auth.wait_healthy()
    status, body = auth.health()
    assert status == 200
    assert '"service":"auth"' in body


def test_the_python_recommend_service_answers_health_and_recommendations(
    shop: Path, services: Services, free_port: Callable[[], int]
) -> None:
    recommend = start_recommend(services, shop, free_port())
    recommend.wait_healthy()
    status, body = http_get(f"{recommend.url}/recommend?item=grinder")
    assert status == 200
    assert '"items": ["filter", "kettle"' in body


def start_broker(services: Services, shop: Path, port: int):
    broker = start_node(services, shop, "services/broker", port)
    _wait_listening(broker, port)
    return broker


def test_api_is_unavailable_until_auth_recommend_inventory_and_the_broker_answer(
    shop: Path, services: Services, free_port: Callable[[], int]
) -> None:
    auth_port, recommend_port, inventory_port, broker_port = free_port(), free_port(), free_port(), free_port()
    api = start_node(
        services, shop, "services/api", free_port(),
        AUTH_URL=f"http://127.0.0.1:{auth_port}", RECOMMEND_URL=f"http://127.0.0.1:{recommend_port}",
        INVENTORY_URL=f"http://127.0.0.1:{inventory_port}", EVENTS_URL=f"mqtt://127.0.0.1:{broker_port}",
    )
    status, body = _first_answer(api)
    assert status == 503
    assert '"auth":"ECONNREFUSED"' in body and '"events":"not connected to the broker"' in body

    start_node(services, shop, "services/auth", auth_port).wait_healthy()
    start_recommend(services, shop, recommend_port).wait_healthy()
    start_node(services, shop, "services/inventory", inventory_port).wait_healthy()
    start_broker(services, shop, broker_port)
    api.wait_healthy()
    assert api.health()[0] == 200


def test_web_renders_products_through_the_whole_chain_of_real_services(
    shop: Path, services: Services, free_port: Callable[[], int]
) -> None:
    auth = start_node(services, shop, "services/auth", free_port())
    recommend = start_recommend(services, shop, free_port())
    inventory = start_node(services, shop, "services/inventory", free_port())
    broker_port = free_port()
    start_broker(services, shop, broker_port)
    api = start_node(
        services, shop, "services/api", free_port(), AUTH_URL=auth.url, RECOMMEND_URL=recommend.url,
        INVENTORY_URL=inventory.url, EVENTS_URL=f"mqtt://127.0.0.1:{broker_port}",
    )
    web = start_node(services, shop, "apps/web", free_port(), API_URL=api.url)
    for service in (auth, recommend, inventory, api, web):
        service.wait_healthy()

    status, page = http_get(f"{web.url}/products/grinder")
    assert status == 200
    assert "<h1>Hand coffee grinder</h1><p>€54.00</p>" in page
    assert "You may also like" in page and "Paper filters, 100" in page


@pytest.mark.parametrize("member", [*NODE_SERVICES, "services/recommend"])
def test_a_service_stops_cleanly_on_sigterm_and_frees_its_port(
    shop: Path, services: Services, free_port: Callable[[], int], member: str
) -> None:
    port = free_port()
    if member == "services/recommend":
        service = start_recommend(services, shop, port)
    else:
        # The start script's own command, so that SIGTERM reaches the service itself, not npm.
        argv = shlex.split(scripts(shop / member)["start"])
        service = services.start(member.rsplit("/", 1)[1], argv, cwd=shop / member, port=port, env={})
    if member == "services/broker":
        _wait_listening(service, port)
    else:
        _first_answer(service)

    assert service.stop() == 0, service.output()
    assert '"message": "stopped"' in service.output() or '"message":"stopping"' in service.output()
    assert not group_alive(service.process.pid)
    assert refuses_connections(port)


@pytest.mark.parametrize("member", [*NODE_SERVICES, "services/recommend"])
def test_a_service_whose_port_is_taken_exits_non_zero_saying_so(
    shop: Path, services: Services, free_port: Callable[[], int], member: str
) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        if member == "services/recommend":
            service = start_recommend(services, shop, port)
        else:
            service = start_node(services, shop, member, port)
        assert service.process.wait(20) != 0
    assert "cannot listen" in service.output()
    assert "in use" in service.output().lower() or "EADDRINUSE" in service.output()


def _first_answer(service) -> tuple[int, str]:
    """The first answer /health gives, whatever its status (the service is up, maybe not ready)."""
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if service.process.poll() is not None:
            pytest.fail(f"{service.name} exited with {service.process.returncode}:\n{service.output()}")
        try:
            return service.health()
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{service.name} never answered /health:\n{service.output()}")


def _wait_listening(service, port: int) -> None:
    """Until ``port`` accepts connections (the broker speaks MQTT, not HTTP)."""
    end = time.monotonic() + 20
    while refuses_connections(port):
        if service.process.poll() is not None:
            pytest.fail(f"{service.name} exited with {service.process.returncode}:\n{service.output()}")
        if time.monotonic() > end:
            pytest.fail(f"{service.name} never listened on {port}:\n{service.output()}")
        time.sleep(0.05)
