"""Every monorepo in ../shared/corpus is discovered as its own package manager lists it.

The expected lists (corpus_expected/<entry>.txt) were produced by running the
real package managers on copies of the entries; corpus_expected/README.md says
which tool and command made each one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cigen.discovery import discover

EXPECTED = Path(__file__).parent / "corpus_expected"
ENTRIES = sorted(p.stem for p in EXPECTED.glob("*.txt"))

# entry -> (definition that counts, workspace package manager)
LAYOUTS = {
    "TanStack__query": ("pnpm-workspace.yaml", "pnpm"),
    "babel__babel": ("package.json", "yarn-berry"),
    "jestjs__jest": ("package.json", "yarn-berry"),  # lerna.json lists fewer; yarn installs these
    "microsoft__rushstack": ("rush.json", "pnpm"),
    "modelcontextprotocol__python-sdk": ("pyproject.toml", "uv"),
    "npm__cli": ("package.json", "npm"),
    "nrwl__nx-examples": ("package.json", "yarn-berry"),
    "pydantic__pydantic-ai": ("pyproject.toml", "uv"),
    "t3-oss__create-t3-turbo": ("pnpm-workspace.yaml", "pnpm"),
    "trpc__trpc": ("pnpm-workspace.yaml", "pnpm"),  # lerna.json has no packages: lerna defers to pnpm
    "vitejs__vite": ("pnpm-workspace.yaml", "pnpm"),
    "vuejs__core": ("pnpm-workspace.yaml", "pnpm"),
    "withastro__astro": ("pnpm-workspace.yaml", "pnpm"),  # its package.json workspaces are for other tools
}


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> Path:
    return shared_dir / "corpus"


def test_every_corpus_entry_has_an_expected_list(corpus: Path) -> None:
    assert sorted(p.name for p in corpus.iterdir() if p.is_dir()) == ENTRIES == sorted(LAYOUTS)


@pytest.mark.parametrize("entry", ENTRIES)
def test_members_are_what_the_package_manager_lists(corpus: Path, entry: str) -> None:
    expected = (EXPECTED / f"{entry}.txt").read_text(encoding="utf-8").splitlines()
    workspace = discover(corpus / entry)
    assert [m.path for m in workspace.members] == sorted(expected)
    assert (workspace.definition, workspace.package_manager) == LAYOUTS[entry]


def test_tanstack_members_excluded_by_negations_stay_out(corpus: Path) -> None:
    # SOURCE.txt keeps these manifests on purpose: '!examples/vue/2*' and '!examples/vue/nuxt*' drop them.
    listed = {m.path for m in discover(corpus / "TanStack__query").members}
    assert (corpus / "TanStack__query/examples/vue/nuxt3/package.json").is_file()
    assert not {"examples/vue/2.6-basic", "examples/vue/2.7-basic", "examples/vue/nuxt3"} & listed


def test_trpc_dot_folders_come_only_from_its_explicit_dot_glob(corpus: Path) -> None:
    listed = {m.path for m in discover(corpus / "trpc__trpc").members}
    assert "examples/.test/ssg" in listed and "examples/.experimental/next-app-dir" in listed


def test_vite_duplicate_names_are_warnings(corpus: Path) -> None:
    workspace = discover(corpus / "vitejs__vite")
    assert any(w.startswith("2 members are named '@vitejs/test-hmr'") for w in workspace.warnings)
