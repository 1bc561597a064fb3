"""The layers of docs/architecture.md hold: imports point down, the core stays pure, no cycles."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "loopcloser"
LAYERS = ("core", "storage", "render", "delivery", "services", "cli")
CLOCKS = ("datetime", "date", "time")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the package under ``root`` with the contracts of its pyproject."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layer_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("core/model.py", "import typer", "loopcloser.core is not allowed to import typer"),
        ("core/when.py", "from loopcloser.storage import store", "not allowed to import"),
        ("storage/store.py", "from loopcloser.services import loops", "not allowed to import"),
        ("delivery/mail.py", "from loopcloser.render import tables", "not allowed to import"),
        ("cli/options.py", "from loopcloser.cli import completion", "No cycles are allowed"),
    ],
    ids=["core-imports-typer", "core-imports-storage", "storage-calls-up", "sideways", "cycle"],
)
def test_a_wrong_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    shutil.copytree(PACKAGE, tmp_path / "loopcloser", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / "loopcloser" / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{line}  # noqa\n")
    if module == "cli/options.py":
        # completion already imports options: a top-level import back closes a circle.
        completion = tmp_path / "loopcloser" / "cli" / "completion.py"
        completion.write_text(
            completion.read_text(encoding="utf-8") + "\nfrom loopcloser.cli import options\n",
            encoding="utf-8",
        )

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    assert broken in result.stdout


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_says_what_it_owns_and_may_import(layer: str) -> None:
    source = (PACKAGE / layer / "__init__.py").read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring and len(docstring.split()) > 20, f"{layer}/__init__.py needs a paragraph"
    assert "import" in docstring


def test_no_layer_folder_runs_code_when_imported() -> None:
    """Folders are only names: importing ``loopcloser.cli`` must not build the app."""
    for layer in LAYERS:
        tree = ast.parse((PACKAGE / layer / "__init__.py").read_text(encoding="utf-8"))
        assert all(isinstance(node, ast.Expr) for node in tree.body), layer


def reads_of_the_world(path: Path) -> list[str]:
    """Where a module reads the clock or the environment (os.environ, getenv, now())."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "getuser"):
            found.append(f"{path.name}:{node.lineno} {node.attr}")
        clock = (
            node.attr in ("now", "today", "utcnow", "time")
            if isinstance(node, ast.Attribute)
            else False
        )
        if clock and isinstance(node.value, ast.Name) and node.value.id in CLOCKS:
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("layer", ["core", "services", "render"])
def test_below_the_command_line_nothing_reads_the_clock_or_the_environment(layer: str) -> None:
    found = [read for path in (PACKAGE / layer).glob("*.py") for read in reads_of_the_world(path)]
    assert found == []


def test_commands_read_the_environment_only_through_the_context() -> None:
    allowed = {"context.py", "main.py", "app.py", "completion.py", "reminders.py"}
    found = [
        read
        for path in (PACKAGE / "cli").glob("*.py")
        if path.name not in allowed
        for read in reads_of_the_world(path)
    ]
    assert found == []


def test_only_the_storage_layer_builds_a_store() -> None:
    """Every other layer opens stores through storage.location, which finishes handoffs."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "storage":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Store":
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []
