"""A Streamlit session spoken over its own websocket protocol, as the browser's front end speaks it.

No browser: one websocket on ``/_stcore/stream`` (subprotocol ``streamlit``) carries ``BackMsg`` protobufs
up and ``ForwardMsg`` protobufs down, both from ``streamlit.proto`` in the installed package. A run is a
``rerun_script`` with the query string, the page and the widget states (a click is a ``trigger_value``
for the button's id, read from the deltas); it ends at ``script_finished``. A click inside an
``st.fragment`` sends the fragment's id, as the front end's ``WidgetStateManager`` does, so only the
fragment reruns. The element tree is kept as the front end keeps it: an element not sent again by a
run (for a fragment run, within that fragment) is stale and dropped.

The websocket client is ``websocket-client``: plain blocking sockets and no threads of its own, so it
runs unchanged under gevent's monkey-patching, where Locust drives it (``loadtest/locustfile.py``).
(``websockets``' synchronous client, which Streamlit depends on, reads in a thread of its own; under
gevent a reader stopped mid-read left libev watching a closed socket, and Locust aborted.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from google.protobuf.message import Message
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websocket import (
    ABNF,
    WebSocket,
    WebSocketConnectionClosedException,
    WebSocketTimeoutException,
    create_connection,
)

FINISHED = ForwardMsg.ScriptFinishedStatus
DONE = {FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


class ProtocolError(RuntimeError):
    """The server answered something a browser would not accept (or nothing, in time)."""


@dataclass
class Shown:
    """One element on the page, with the run and the fragment that last drew it."""

    element: Element
    run_id: str
    fragment_id: str


@dataclass
class Run:
    """What one rerun sent: its messages' count, the status it finished with, and its duration."""

    messages: int
    status: int
    seconds: float
    fragment_ids: tuple[str, ...] = ()


@dataclass
class Session:
    """One visitor's Streamlit session: open it, run the page, click buttons, read what is shown."""

    base_url: str
    path: str
    query: str = ""
    timeout: float = 30.0
    headers: dict[str, str] = field(default_factory=dict)
    elements: dict[tuple[int, ...], Shown] = field(default_factory=dict)
    # Containers (columns, the fragment's own) by place: the run and the fragment that last drew them.
    blocks: dict[tuple[int, ...], tuple[str, str]] = field(default_factory=dict)
    page_script_hash: str = ""
    widgets: dict[str, WidgetState] = field(default_factory=dict)
    ws: WebSocket | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    # --- the connection ----------------------------------------------------------------------------

    def open(self) -> Run:
        """Connect and run the page at ``path`` with ``query``, as a browser loading that address."""
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.ws = create_connection(
            f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream",
            timeout=self.timeout,
            subprotocols=["streamlit"],
            origin=f"{parts.scheme}://{parts.netloc}",
            header=[f"{name}: {value}" for name, value in self.headers.items()],
        )
        self.response_headers = dict(self.ws.getheaders() or {})
        self.elements.clear()
        self.blocks.clear()
        self.widgets.clear()
        self.page_script_hash = ""
        return self.rerun()

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def _send(self, msg: BackMsg) -> None:
        if self.ws is None:
            raise ProtocolError("the session is not open")
        self.ws.send_binary(msg.SerializeToString())

    def _receive(self, deadline: float) -> ForwardMsg:
        if self.ws is None:
            raise ProtocolError("the session is not open")
        left = deadline - time.monotonic()
        if left <= 0:
            raise ProtocolError(f"no script_finished within {self.timeout:.0f} s")
        self.ws.settimeout(left)
        try:
            opcode, data = self.ws.recv_data()
        except WebSocketTimeoutException as exc:
            raise ProtocolError(f"no script_finished within {self.timeout:.0f} s") from exc
        if opcode == ABNF.OPCODE_CLOSE:
            raise WebSocketConnectionClosedException("the server closed the websocket")
        if opcode != ABNF.OPCODE_BINARY:
            raise ProtocolError("the server sent a frame that is not binary; Streamlit speaks binary protobufs")
        msg = ForwardMsg()
        msg.ParseFromString(data)
        return msg

    # --- runs ----------------------------------------------------------------------------------------

    def rerun(self, trigger: str | None = None, fragment_id: str = "") -> Run:
        """Run the page (or one fragment), with the widget states set so far and ``trigger`` pressed."""
        states = list(({**self._shown_values(), **self.widgets}).values())
        if trigger:
            states.append(WidgetState(id=trigger, trigger_value=True))
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query
        rerun.widget_states.widgets.extend(states)
        rerun.fragment_id = fragment_id
        # As the front end: a page it knows by hash; the first load names the page by its path.
        if self.page_script_hash:
            rerun.page_script_hash = self.page_script_hash
        else:
            rerun.page_name = self.path.strip("/")
        info = rerun.context_info
        info.url = f"{self.base_url.rstrip('/')}/{self.path.strip('/')}"
        info.timezone, info.locale = "UTC", "en-US"
        self._send(msg)
        return self._collect(time.monotonic() + self.timeout)

    def _collect(self, deadline: float) -> Run:
        started, count, run_id, fragments = time.monotonic(), 0, "", ()
        while True:
            msg = self._receive(deadline)
            count += 1
            kind = msg.WhichOneof("type")
            if msg.metadata.run.script_run_id:
                run_id = msg.metadata.run.script_run_id
                fragments = tuple(msg.metadata.run.fragment_ids)
            if kind == "navigation":
                # st.navigation names the page that ran; the front end sends that hash with every rerun.
                self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "delta":
                self._apply(msg, run_id)
            elif kind == "page_not_found":
                raise ProtocolError(f"the server has no page {msg.page_not_found.page_name!r}")
            elif kind == "script_finished":
                status = msg.script_finished
                if status == FINISHED.FINISHED_EARLY_FOR_RERUN:
                    continue
                if status not in DONE:
                    raise ProtocolError(f"the script finished with {FINISHED.Name(status)}")
                self._drop_stale(run_id, fragments)
                return Run(count, status, time.monotonic() - started, fragments)

    def _apply(self, msg: ForwardMsg, run_id: str) -> None:
        delta = msg.delta
        kind = delta.WhichOneof("type")
        path = tuple(msg.metadata.delta_path)
        if kind == "new_element":
            # A new element replaces whatever was at its place, and what was under that place.
            for stale in [p for p in self.elements if p[: len(path)] == path and p != path]:
                del self.elements[stale]
            self.elements[path] = Shown(delta.new_element, run_id, delta.fragment_id)
        elif kind == "add_block":
            self.blocks[path] = (run_id, delta.fragment_id)

    def _drop_stale(self, run_id: str, fragments: tuple[str, ...]) -> None:
        """What this run did not draw again goes, as the front end's clearStaleNodes decides."""
        if not fragments:
            stale = [p for p, shown in self.elements.items() if shown.run_id != run_id]
            self.blocks = {p: b for p, b in self.blocks.items() if b[0] == run_id}
        else:
            # Within a block this fragment run drew again, an element of a fragment it did not draw is stale.
            redrawn = [p for p, (run, fragment) in self.blocks.items() if run == run_id and fragment in fragments]
            stale = [
                p
                for p, shown in self.elements.items()
                if shown.fragment_id and shown.run_id != run_id and any(p[: len(b)] == b for b in redrawn)
            ]
        for path in stale:
            del self.elements[path]

    # --- what is shown, and clicks -----------------------------------------------------------------

    def shown(self) -> Iterator[tuple[str, Element, str]]:
        """Each element in page order: its kind, the element, and the fragment it belongs to."""
        for _, shown in sorted(self.elements.items()):
            yield shown.element.WhichOneof("type") or "", shown.element, shown.fragment_id

    def button(self, label: str) -> tuple[str, str]:
        """The id and fragment of the enabled button labelled ``label``; ProtocolError when none is shown."""
        for kind, element, fragment in self.shown():
            if kind == "button" and element.button.label == label and not element.button.disabled:
                return element.button.id, fragment
        raise ProtocolError(f"no enabled button {label!r} is shown")

    def click(self, label: str) -> Run:
        """Press the button labelled ``label``, in its fragment when it has one, as the browser does."""
        widget_id, fragment = self.button(label)
        return self.rerun(trigger=widget_id, fragment_id=fragment)

    def toggle(self, label: str, value: bool) -> Run:
        """Set the checkbox or toggle labelled ``label``; it is sent with every later run, as the browser does."""
        for kind, element, fragment in self.shown():
            if kind == "checkbox" and element.checkbox.label == label:
                self.widgets[element.checkbox.id] = WidgetState(id=element.checkbox.id, bool_value=value)
                return self.rerun(fragment_id=fragment)
        raise ProtocolError(f"no toggle {label!r} is shown")

    def go(self, query: str) -> Run:
        """Follow a link to this page with another query string: a full rerun in the same session."""
        self.query = query
        self.widgets.clear()
        return self.rerun()

    def _shown_values(self) -> dict[str, WidgetState]:
        """The value each shown input holds now, as the browser sends all of them with every rerun."""
        values: dict[str, WidgetState] = {}
        for kind, element, _ in self.shown():
            if kind == "checkbox":
                box = element.checkbox
                values[box.id] = WidgetState(id=box.id, bool_value=box.value if box.set_value else box.default)
            elif kind == "text_input":
                field_ = element.text_input
                text = field_.value if field_.set_value else field_.default
                values[field_.id] = WidgetState(id=field_.id, string_value=text)
            elif kind == "selectbox" and element.selectbox.HasField("default"):
                box = element.selectbox
                chosen = box.raw_value if box.set_value else box.options[box.default]
                values[box.id] = WidgetState(id=box.id, string_value=chosen)
        return values

    def texts(self) -> list[str]:
        """Every string the shown elements carry (markdown, code, labels, help), in page order."""
        found: list[str] = []
        for _, element, _ in self.shown():
            found.extend(_strings(element))
        return found


def _strings(msg: Message) -> Iterator[str]:
    for descriptor, value in msg.ListFields():
        values = value if descriptor.is_repeated else [value]
        for item in values:
            if isinstance(item, str):
                yield item
            elif isinstance(item, Message):
                yield from _strings(item)
