"""The ``flowguide`` command: serve the installed app with the settings its visitors get.

``flowguide --server.port 8599`` runs ``streamlit run`` on the packaged flowguide/streamlit_app.py. A
wheel has no .streamlit folder, so the settings of .streamlit/config.toml are passed as options;
options given on the command line come after them and win.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

ENTRY_SCRIPT = Path(__file__).resolve().parent / "streamlit_app.py"

# The same values as .streamlit/config.toml (tests/test_wheel.py keeps the two equal).
VISITOR_OPTIONS: dict[str, str] = {
    "browser.gatherUsageStats": "false",
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "client.showErrorDetails": "none",
    "client.toolbarMode": "viewer",
    "runner.postScriptGC": "false",
}


def streamlit_args(extra: Sequence[str] = ()) -> list[str]:
    """Arguments for Streamlit's command line: run the entry script, visitor settings, then the caller's."""
    settings = [f"--{name}={value}" for name, value in VISITOR_OPTIONS.items()]
    return ["run", str(ENTRY_SCRIPT), *settings, *extra]


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the app until interrupted; exits with Streamlit's status."""
    # Imported on call: importing this module must not load Streamlit.
    from streamlit.web import cli as streamlit_cli

    extra = sys.argv[1:] if argv is None else list(argv)
    streamlit_cli.main(args=streamlit_args(extra), prog_name="flowguide")


if __name__ == "__main__":
    main()
