"""The load test's protocol client against a real `streamlit run app.py`: if it rots, this fails.

loadtest/protocol.py speaks Streamlit's websocket protocol without a browser; loadtest/walk.py walks the
simulator as a reader does. Both are what the Locust load test (loadtest/locustfile.py) drives.
"""

from __future__ import annotations

import pytest

from loadtest.protocol import ProtocolError, Session
from loadtest.walk import Visitor, shared_values


def test_a_visitor_walks_the_simulator_step_by_step(streamlit_server: str) -> None:
    visitor = Visitor(streamlit_server)
    visitor.open()
    try:
        assert visitor.position() == (0, 8)
        labels = []
        for expected in range(1, 6):
            label, run = visitor.step()
            labels.append(label)
            assert visitor.position() == (expected, 8)
            assert visitor.session.query == f"flow=authorization_code&step={expected}"
            # The stepper is an st.fragment: the click carries its id, and only the fragment reran.
            assert run.fragment_ids, "the click reran the whole page, not the stepper's fragment"
            # What the fragment run did not draw again is gone: the sign-in and consent pages' buttons.
            shown = {element.button.label for kind, element, _ in visitor.session.shown() if kind == "button"}
            assert label == "Next" or label not in shown
        assert labels == ["Next", "Next", "Sign in", "Allow", "Next"]
        # The code and the state were shown revealed, and are this session's.
        assert len(visitor.seen) >= 2
    finally:
        visitor.close()


def test_a_reload_comes_back_to_the_step_and_the_next_flow_starts_afresh(streamlit_server: str) -> None:
    visitor = Visitor(streamlit_server)
    visitor.open()
    try:
        for _ in range(6):
            visitor.step()
        visitor.reload()
        assert visitor.position() == (6, 8)
        while not visitor.finished():
            visitor.step()
        visitor.switch_flow()
        assert visitor.flow == "client_credentials"
        assert visitor.position() == (0, 4)
        visitor.step()
        visitor.reload()
        assert (visitor.flow, visitor.position()) == ("client_credentials", (1, 4))
    finally:
        visitor.close()


def test_two_visitors_see_none_of_each_others_values(streamlit_server: str) -> None:
    first, second = Visitor(streamlit_server), Visitor(streamlit_server)
    try:
        for visitor in (first, second):
            visitor.open()
            for _ in range(6):
                visitor.step()
        assert first.seen and second.seen
        assert shared_values({"first": first.seen, "second": second.seen}) == {}
        # The check itself finds a value two visitors were shown.
        value = next(iter(first.seen))
        assert shared_values({"first": first.seen, "second": second.seen | {value}}) == {value: ["first", "second"]}
    finally:
        first.close()
        second.close()


def test_a_missing_button_and_an_unknown_page_are_refused(streamlit_server: str) -> None:
    session = Session(streamlit_server, "simulator", "flow=client_credentials")
    session.open()
    try:
        with pytest.raises(ProtocolError, match="no enabled button 'Allow'"):
            session.click("Allow")
    finally:
        session.close()
    lost = Session(streamlit_server, "no-such-page")
    with pytest.raises(ProtocolError, match="no page"):
        lost.open()
    lost.close()
