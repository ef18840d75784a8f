"""The shape of the code: every app has a place in the layers, and the layers hold.

`pyproject.toml`'s import-linter contract is what keeps imports pointing down; these tests
make sure no package escapes it by not being named, and run it."""

import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
# Folders with Python that are not part of the application.
NOT_APPLICATION = {"tests", "benchmarks", "scripts", "docs", "locale", "templates", "static"}


def importlinter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def layered_packages() -> set[str]:
    names = set()
    for contract in importlinter()["contracts"]:
        for layer in contract.get("layers", []):
            names |= {name.strip() for name in layer.replace(":", "|").split("|")}
    return names


def test_every_package_and_app_of_retour_is_named_in_a_layer():
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_APPLICATION
    }
    local_apps = {
        config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT
    }

    assert packages | local_apps <= set(importlinter()["root_packages"])
    assert packages | local_apps <= layered_packages()


def test_the_import_contracts_are_kept():
    linter = Path(sys.executable).parent / "lint-imports"

    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def layer_index() -> dict[str, int]:
    """Each layered package's depth from the top (siblings share one)."""
    (contract,) = (c for c in importlinter()["contracts"] if c["type"] == "layers")
    return {
        name.strip(): depth
        for depth, layer in enumerate(contract["layers"])
        for name in layer.replace(":", "|").split("|")
    }


def test_every_relation_between_apps_points_down_the_layers_too():
    # A foreign key names its model by string, so import-linter cannot see it; a product
    # names its vendor (below), a vendor case its ticket line (below), never upwards.
    depth = layer_index()
    upward = []
    for model in apps.get_models():
        app = model._meta.app_label
        if app not in depth:
            continue
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            target = field.related_model._meta.app_label
            if target in depth and target != app and depth[target] <= depth[app]:
                upward.append(f"{app}.{model.__name__}.{field.name} -> {target}")

    assert upward == []
