"""What node_dependencies and python_dependencies read from a manifest, and what they reject."""

from __future__ import annotations

import tomllib

import pytest

from cigen.discovery.dependencies import (
    node_dependencies,
    normalize,
    python_dependencies,
    requirement_name,
    requirement_url,
)
from cigen.errors import InputError
from cigen.model import Dependency


def test_node_reads_the_four_fields_in_npm_order_keeping_manifest_order_within_each() -> None:
    manifest = {
        "optionalDependencies": {"o": "^1"},
        "devDependencies": {"d2": "*", "d1": "workspace:*"},
        "dependencies": {"a": "^1.0.0"},
        "peerDependencies": {"p": ">=2"},
        "bundleDependencies": ["a"],
    }
    assert node_dependencies(manifest) == (
        Dependency("a", "^1.0.0", "dependencies"),
        Dependency("d2", "*", "devDependencies"),
        Dependency("d1", "workspace:*", "devDependencies"),
        Dependency("p", ">=2", "peerDependencies"),
        Dependency("o", "^1", "optionalDependencies"),
    )


def test_node_keeps_a_name_declared_in_two_fields_twice() -> None:
    deps = node_dependencies({"dependencies": {"a": "^1"}, "peerDependencies": {"a": "^1"}})
    assert [d.field for d in deps] == ["dependencies", "peerDependencies"]


def test_node_rejects_a_field_that_is_not_an_object_naming_the_file() -> None:
    with pytest.raises(InputError) as err:
        node_dependencies({"dependencies": ["a"]}, path="packages/b/package.json")
    assert str(err.value).startswith('packages/b/package.json: "dependencies" must be an object')


def test_node_rejects_a_spec_that_is_not_a_string() -> None:
    with pytest.raises(InputError, match=r'"devDependencies"."a" must be a version range or protocol string, not a number'):
        node_dependencies({"devDependencies": {"a": 1}})


PYPROJECT = """
[project]
name = "app"
dependencies = ["Pydantic_AI.Slim[openai]>=1", "httpx>=0.27; python_version < '3.14'"]

[project.optional-dependencies]
web = ["fastapi", "lib-web @ file:../lib-web"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]

[tool.uv]
dev-dependencies = ["devtools"]

[tool.hatch.metadata.hooks.uv-dynamic-versioning]
dependencies = ["pydantic-graph=={{ version }}"]

[tool.hatch.metadata.hooks.uv-dynamic-versioning.optional-dependencies]
evals = ["pydantic-evals=={{ version }}"]
"""


def test_python_reads_pep621_pep735_uv_dev_and_static_hook_lists_with_normalised_names() -> None:
    deps = python_dependencies(tomllib.loads(PYPROJECT))
    assert [(d.name, d.field) for d in deps] == [
        ("pydantic-ai-slim", "project.dependencies"),
        ("httpx", "project.dependencies"),
        ("fastapi", "project.optional-dependencies"),
        ("lib-web", "project.optional-dependencies"),
        ("pytest", "dependency-groups"),
        ("ruff", "dependency-groups"),  # through include-group
        ("devtools", "dependency-groups"),
        ("pydantic-graph", "build-hook"),
        ("pydantic-evals", "build-hook"),
    ]
    assert deps[0].spec == "Pydantic_AI.Slim[openai]>=1"  # the requirement as written


def test_python_lists_a_requirement_once_per_field_however_often_it_is_repeated() -> None:
    deps = python_dependencies(
        {"project": {"optional-dependencies": {"a": ["lib[x]==1"], "b": ["lib[x]==1"], "c": ["lib[y]==1"]}}}
    )
    assert [d.spec for d in deps] == ["lib[x]==1", "lib[y]==1"]


def test_python_include_group_cycle_is_an_error_naming_the_cycle() -> None:
    groups = {"dependency-groups": {"a": [{"include-group": "b"}], "b": [{"include-group": "a"}]}}
    with pytest.raises(InputError, match="include-group cycle a -> b -> a"):
        python_dependencies(groups, path="pyproject.toml")


def test_python_include_of_an_undefined_group_is_an_error() -> None:
    with pytest.raises(InputError, match="dependency-groups.dev includes group 'tests', which is not defined"):
        python_dependencies({"dependency-groups": {"dev": [{"include-group": "tests"}]}})


def test_python_rejects_what_is_not_a_requirement() -> None:
    with pytest.raises(InputError, match=r"project.dependencies: '>=1.0' is not a PEP 508 requirement"):
        python_dependencies({"project": {"dependencies": [">=1.0"]}})


def test_pep503_names_and_pep508_parts() -> None:
    assert normalize("Foo__Bar.baz") == "foo-bar-baz"
    assert requirement_name("  zope.interface [x] >= 5") == "zope.interface"
    assert requirement_url("pkg @ file:../pkg ; python_version > '3'") == "file:../pkg"
    assert requirement_url("pkg>=1") is None
