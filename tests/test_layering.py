"""DESIGN §3 as a check: each room imports only what it may, and an ad platform's SDK is
imported only inside its adapter package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [
    "activities",
    "api",
    "domain",
    "evals",
    "platforms",
    "scripts",
    "simulator",
    "store",
    "workers",
    "workflows",
]

# Library -> the only package that may import it.
PLATFORM_LIBRARIES = {
    "google.ads": "platforms/google_ads",
    "google.auth": "platforms/google_ads",
    "google.oauth2": "platforms/google_ads",
    "google.api_core": "platforms/google_ads",
    "google.protobuf": "platforms/google_ads",
    "grpc": "platforms/google_ads",
    "facebook_business": "platforms/meta",
    "requests": "platforms/meta",
}
# Room -> our own packages it must not import.
FORBIDDEN = {
    "domain": {"activities", "api", "platforms", "settings", "store", "workers", "workflows"},
    "platforms": {"activities", "api", "settings", "store", "workers", "workflows"},
    "activities": {"api", "workers"},
    "workflows": {"activities", "api", "platforms", "store", "workers"},
}


def product_files() -> list[Path]:
    files = [ROOT / "settings.py"]
    for room in PRODUCT:
        files.extend(sorted((ROOT / room).rglob("*.py")))
    return files


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_platform_libraries_are_imported_only_by_their_adapter() -> None:
    offenders = []
    for path in product_files():
        where = path.relative_to(ROOT).as_posix()
        for module in imported_modules(path):
            for library, home in PLATFORM_LIBRARIES.items():
                if _under(module, library) and not where.startswith(home + "/"):
                    offenders.append(f"{where} imports {module} (only {home} may)")
    assert offenders == []


def test_activities_reach_the_ad_platform_only_through_the_port() -> None:
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "activities").rglob("*.py")
        if any(_under(m, "httpx") for m in imported_modules(path))
        and "llm" not in path.relative_to(ROOT).parts
    ]
    assert offenders == []


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_only_what_they_may(room: str) -> None:
    offenders = []
    for path in sorted((ROOT / room).rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in FORBIDDEN[room]:
                offenders.append(f"{path.relative_to(ROOT).as_posix()} imports {module}")
    assert offenders == []
