"""Server-like timing of Streamlit reruns under AppTest, shared by the benchmark scripts.

Importing this module patches Streamlit's script runner: every rerun's time lands in SCRIPT_RUNS (ms),
and compiled page code is shared across runs as a real server does (AppTest recompiles each run).
"""

from __future__ import annotations

import time

from streamlit.runtime.scriptrunner import script_cache, script_runner

SCRIPT_RUNS: list[float] = []
_run_script = script_runner.ScriptRunner._run_script


def _timed_run_script(self, rerun_data):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        return _run_script(self, rerun_data)
    finally:
        SCRIPT_RUNS.append((time.perf_counter() - started) * 1000)


script_runner.ScriptRunner._run_script = _timed_run_script  # measure every rerun, AppTest's included

# A server keeps one ScriptCache for all reruns (compiled once per file change); AppTest makes a new
# one per run and so recompiles every page each time. Share compiled code across runs, as a server does.
_COMPILED: dict[str, object] = {}
_get_bytecode = script_cache.ScriptCache.get_bytecode


def _server_like_bytecode(self, script_path: str):  # type: ignore[no-untyped-def]
    if script_path not in _COMPILED:
        _COMPILED[script_path] = _get_bytecode(self, script_path)
    return _COMPILED[script_path]


script_cache.ScriptCache.get_bytecode = _server_like_bytecode
