"""The wheel carries the whole app: built once, installed outside the checkout, it serves everything.

The wheel tests (marked ``wheel``) build it with ``python -m build --wheel --no-isolation`` (``build``
and ``hatchling`` come with the dev extra, so nothing is downloaded), install it with
``pip install --no-deps --target`` into a temporary folder and run it from an empty folder with only
that on PYTHONPATH, on free loopback ports. About half a minute on two cores.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from flowguide import cli

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("guide", "flows", "simulator", "tokens", "review", "connect")

# Runs in the installed copy: where flowguide comes from, where its content is, and what loads.
CONTENT_PROBE = """
import json
import flowguide
from flowguide import content
print(json.dumps({
    "module": flowguide.__file__,
    "root": str(content.ROOT),
    "content_dir": str(content.CONTENT_DIR),
    "diagrams_dir": str(content.DIAGRAMS_DIR),
    "loaded": sorted(content.load_all()),
    "brand": content.brand().name,
}))
"""

# Runs the installed entry script through AppTest, then every page: exceptions and titles per page.
PAGES_PROBE = """
import json, sys
from pathlib import Path
import flowguide
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(str(Path(flowguide.__file__).parent / "streamlit_app.py"), default_timeout=90).run()
seen = {"home": {"exceptions": [e.message for e in at.exception], "titles": [t.value for t in at.title]}}
for page in sys.argv[1:]:
    at.switch_page(f"pages/{page}.py").run()
    seen[page] = {"exceptions": [e.message for e in at.exception], "titles": [t.value for t in at.title]}
print(json.dumps(seen))
"""


def checkout_yaml() -> set[str]:
    """Every YAML file under content/ and diagrams/ in the checkout, relative to it."""
    return {
        p.relative_to(ROOT).as_posix() for folder in ("content", "diagrams") for p in (ROOT / folder).rglob("*.y*ml")
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="session")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed on its own into a temporary folder (dependencies come from this venv)."""
    target = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target)]
    result = subprocess.run([*command, str(wheel)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return target.resolve()


def outside_env(site: Path) -> dict[str, str]:
    """This environment with the installed copy first on the path and no FLOWGUIDE_* overrides."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FLOWGUIDE_")}
    # PYTHONPATH comes before site-packages, so the checkout's editable install cannot shadow the wheel.
    env["PYTHONPATH"] = str(site)
    return env


def run_probe(site: Path, cwd: Path, probe: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", probe, *args],
        cwd=cwd,
        env=outside_env(site),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextmanager
def serving(command: Sequence[str], site: Path, cwd: Path, probe_url: str) -> Iterator[None]:
    """Start a server from the installed copy in cwd; yield once probe_url answers 200; stop it."""
    log_path = cwd / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=cwd, env=outside_env(site), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(probe_url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, f"{command[0]} exited early:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.3)
        else:
            pytest.fail(f"{probe_url} did not answer in 60 s:\n{log_path.read_text()[-3000:]}")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.wheel
def test_the_wheel_carries_every_content_and_diagram_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"content/sandbox.yaml", "content/flows/hybrid.yaml", "diagrams/overview.yaml"} <= checkout_yaml()
    missing = sorted(f"flowguide/_data/{rel}" for rel in checkout_yaml() if f"flowguide/_data/{rel}" not in names)
    assert missing == []


@pytest.mark.wheel
def test_the_wheel_carries_every_module_and_the_flowguide_command(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "flowguide").rglob("*.py")}
    assert {"flowguide/streamlit_app.py", "flowguide/cli.py", "flowguide/sandbox/__main__.py"} <= modules
    assert sorted(modules - names) == []
    entry_points = archive.read("flowguide-0.1.0.dist-info/entry_points.txt").decode()
    assert "[console_scripts]\nflowguide = flowguide.cli:main\n" in entry_points


@pytest.mark.wheel
def test_installed_content_loads_from_the_packaged_copy(site: Path, tmp_path: Path) -> None:
    seen = run_probe(site, tmp_path, CONTENT_PROBE)
    assert seen["module"] == str(site / "flowguide" / "__init__.py")
    assert seen["root"] == str(site / "flowguide" / "_data")
    assert seen["content_dir"] == str(site / "flowguide" / "_data" / "content")
    assert seen["diagrams_dir"] == str(site / "flowguide" / "_data" / "diagrams")
    assert set(seen["loaded"]) == checkout_yaml()
    assert seen["brand"] == "ERP.net"


@pytest.mark.wheel
def test_installed_sandbox_serves_discovery_on_its_port(site: Path, tmp_path: Path) -> None:
    port = free_port()
    discovery = f"http://127.0.0.1:{port}/id/.well-known/openid-configuration"
    with serving([sys.executable, "-m", "flowguide.sandbox", "--port", str(port)], site, tmp_path, discovery):
        answer = httpx.get(discovery, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["issuer"] == f"http://127.0.0.1:{port}/id"
    assert answer.json()["token_endpoint"] == f"http://127.0.0.1:{port}/id/connect/token"


@pytest.mark.wheel
def test_the_flowguide_command_serves_the_app(site: Path, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(site / "bin" / "flowguide"), "--server.port", str(port), "--server.address=127.0.0.1"]
    with serving(command, site, tmp_path, f"{base}/_stcore/health"):
        health = httpx.get(f"{base}/_stcore/health", timeout=5)
        home = httpx.get(f"{base}/", timeout=5)
        guide = httpx.get(f"{base}/guide?signin=yes", timeout=5)
    assert (health.status_code, health.text) == (200, "ok")
    assert home.status_code == 200 and '<div id="root"></div>' in home.text
    assert guide.status_code == 200 and '<div id="root"></div>' in guide.text


@pytest.mark.wheel
def test_every_installed_page_runs_without_an_exception(site: Path, tmp_path: Path) -> None:
    seen = run_probe(site, tmp_path, PAGES_PROBE, *PAGES)
    assert seen["home"]["titles"] == ["How apps sign in to ERP.net"]
    assert {page: result["exceptions"] for page, result in seen.items()} == {page: [] for page in ("home", *PAGES)}


def test_the_command_passes_the_visitor_settings_then_the_callers_own() -> None:
    assert cli.streamlit_args(["--server.port", "8599"]) == [
        "run",
        str(Path(cli.__file__).resolve().parent / "streamlit_app.py"),
        "--browser.gatherUsageStats=false",
        "--server.headless=true",
        "--server.fileWatcherType=none",
        "--client.showErrorDetails=none",
        "--client.toolbarMode=viewer",
        "--runner.postScriptGC=false",
        "--server.port",
        "8599",
    ]


def test_the_command_settings_are_those_of_streamlit_config_toml() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {f"{section}.{name}": value for section, options in config.items() for name, value in options.items()}
    as_flags = {name: str(value).lower() if isinstance(value, bool) else str(value) for name, value in flat.items()}
    assert as_flags == cli.VISITOR_OPTIONS
