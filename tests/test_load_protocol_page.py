"""The load test's protocol client keeps the page as the front end does: fed ForwardMsgs made here, no server."""

from __future__ import annotations

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websocket import ABNF, WebSocketConnectionClosedException

from loadtest.protocol import ProtocolError, Session


class FakeSocket:
    """Hands the client the ForwardMsgs given, as websocket-client's binary frames."""

    def __init__(self, messages) -> None:
        self.frames = [(ABNF.OPCODE_BINARY, m.SerializeToString()) for m in messages]

    def settimeout(self, _: float) -> None:
        pass

    def recv_data(self):
        return self.frames.pop(0)


def _run(run_id: str, fragments: list[str], deltas: list[tuple[tuple[int, ...], str, str | None]], finished: int):
    """ForwardMsgs of one run: each delta is (path, fragment id, a button label or None for a block)."""
    messages = []
    for path, fragment, label in deltas:
        msg = ForwardMsg()
        msg.metadata.delta_path.extend(path)
        msg.metadata.run.script_run_id = run_id
        msg.metadata.run.fragment_ids.extend(fragments)
        msg.delta.fragment_id = fragment
        if label is None:
            msg.delta.add_block.SetInParent()
        else:
            msg.delta.new_element.button.label = label
            msg.delta.new_element.button.id = f"id-{label}"
        messages.append(msg)
    done = ForwardMsg()
    done.script_finished = finished
    return messages + [done]


def test_a_fragment_run_drops_what_it_did_not_draw_again_and_nothing_else() -> None:
    session = Session("http://127.0.0.1:1", "simulator")
    full = [((0, 0), "", "Page"), ((0, 1), "F", None), ((0, 1, 0), "F", "Next"), ((0, 1, 1), "F", "Deny")]
    session.ws = FakeSocket(_run("run1", [], full, ForwardMsg.FINISHED_SUCCESSFULLY))
    session._collect(10**9)
    assert [e.button.label for _, e, _ in session.shown()] == ["Page", "Next", "Deny"]
    fragment = [((0, 1), "F", None), ((0, 1, 0), "F", "Next")]
    session.ws = FakeSocket(_run("run2", ["F"], fragment, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY))
    session._collect(10**9)
    # Deny was not drawn again inside the fragment: gone. Page is outside it: kept.
    assert [e.button.label for _, e, _ in session.shown()] == ["Page", "Next"]
    session.ws = FakeSocket(_run("run3", [], [((0, 0), "", "Page")], ForwardMsg.FINISHED_SUCCESSFULLY))
    session._collect(10**9)
    assert [e.button.label for _, e, _ in session.shown()] == ["Page"]


def test_a_failed_run_a_text_frame_and_a_close_are_refused() -> None:
    session = Session("http://127.0.0.1:1", "simulator")
    session.ws = FakeSocket(_run("run1", [], [], ForwardMsg.FINISHED_WITH_COMPILE_ERROR))
    with pytest.raises(ProtocolError, match="FINISHED_WITH_COMPILE_ERROR"):
        session._collect(10**9)
    session.ws = FakeSocket([])
    session.ws.frames = [(ABNF.OPCODE_TEXT, b"{}")]
    with pytest.raises(ProtocolError, match="not binary"):
        session._collect(10**9)
    session.ws.frames = [(ABNF.OPCODE_CLOSE, b"")]
    with pytest.raises(WebSocketConnectionClosedException):
        session._collect(10**9)
