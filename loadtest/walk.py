"""A reader's visit to the live simulator, over Streamlit's protocol: load, reveal, Next to the end, next flow.

The reader opens ``/simulator?flow=authorization_code``, turns on "Reveal secrets" (so the codes, verifiers
and tokens this session was shown can be compared with every other session's), then presses the button
that moves the walk on: "Sign in" on the sign-in page, "Allow" on the consent page, else "Next". At the
end of Authorization Code they follow a link to Client Credentials, and back again. Each press must move
the step counter (and the address, ``step=N``) on by exactly one; anything else is a ProtocolError.
A reload (``reload``) opens a new websocket on the same address, as a browser does after losing its
server, and must come back to the same step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from flowguide.transcript import JWT_PATTERN
from loadtest.protocol import ProtocolError, Run, Session

FLOWS = ("authorization_code", "client_credentials")
# The sign-in and consent pages are answered with their own buttons, as a reader does.
ANSWERS = ("Sign in", "Allow", "Next")
COUNTER = re.compile(r"^Step \*\*(\d+)\*\* of (\d+)$")
# Credentials as the revealed page writes them: in URLs and forms, in JSON, and JWTs anywhere.
FORM_SECRET = re.compile(r"\b(code|code_verifier|refresh_token|state)=([A-Za-z0-9._~-]{8,})")
JSON_SECRET = re.compile(r'"(code|code_verifier|refresh_token|access_token|id_token|state)"\s*:\s*"([^"]{8,})"')
AFFINITY_COOKIE = "flowguide_affinity"


@dataclass
class Visitor:
    """One reader: a Streamlit session on the simulator, the secrets it was shown, where it is."""

    base_url: str
    timeout: float = 30.0
    session: Session = field(init=False)
    seen: set[str] = field(default_factory=set)
    cookies: dict[str, str] = field(default_factory=dict)
    replicas: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session = Session(self.base_url, "simulator", f"flow={FLOWS[0]}", timeout=self.timeout)

    # --- where the reader is -------------------------------------------------------------------------

    @property
    def flow(self) -> str:
        return parse_qs(self.session.query).get("flow", [""])[0]

    def position(self) -> tuple[int, int]:
        """The step shown and the number of steps, from the page's counter (0 before the first step)."""
        for kind, element, _ in self.session.shown():
            if kind == "markdown":
                found = COUNTER.match(element.markdown.body)
                if found:
                    return int(found[1]), int(found[2])
        steps = [t for t in self.session.texts() if re.fullmatch(r"\d+ steps", t)]
        if steps:
            return 0, int(steps[0].split()[0])
        raise ProtocolError("the simulator shows no step counter")

    def url_step(self) -> int:
        return int(parse_qs(self.session.query).get("step", ["0"])[0])

    # --- the visit -----------------------------------------------------------------------------------

    def load_page(self) -> None:
        """GET the page's address as a browser does before its websocket; keeps the balancer's cookie."""
        with httpx.Client(base_url=self.base_url, timeout=self.timeout, cookies=self.cookies) as http:
            answer = http.get(f"/simulator?{self.session.query}")
            answer.raise_for_status()
            self.cookies.update(http.cookies)
            self._note_replica(answer.headers)

    def _note_replica(self, headers: object) -> None:
        # Only the load test's own nginx configuration names the replica; deploy/nginx.conf does not.
        replica = getattr(headers, "get", lambda _k: None)("x-flowguide-replica")
        if replica:
            # nginx lists every replica it tried ("a, b" when a was down); the last one answered.
            self.replicas.append(replica.split(",")[-1].strip())

    def open(self) -> Run:
        """Load the page and open its session at the address it is on, then reveal the secrets."""
        try:
            self.load_page()
            self.session.headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            run = self.session.open()
            self._note_replica(self.session.response_headers)
            self.session.toggle("Reveal secrets", True)
        except BaseException:
            # Half a page is no page: the next attempt starts from the address again.
            self.session.close()
            raise
        self._collect()
        return run

    def step(self) -> tuple[str, Run]:
        """Press what moves the walk on; check the counter and the address moved by one. Returns the label."""
        before, total = self.position()
        label = next((a for a in ANSWERS if self._has(a)), None)
        if label is None:
            raise ProtocolError(f"nothing moves the walk on at step {before} of {total}")
        run = self.session.click(label)
        after, _ = self.position()
        if after != before + 1 or self.url_step() != after:
            raise ProtocolError(f"{label} at step {before} showed step {after}, address step {self.url_step()}")
        self._collect()
        return label, run

    def finished(self) -> bool:
        shown, total = self.position()
        return shown == total and not self._has("Next")

    def switch_flow(self) -> Run:
        """Follow the link to the other flow, from its first step, in the same session."""
        other = FLOWS[(FLOWS.index(self.flow) + 1) % len(FLOWS)] if self.flow in FLOWS else FLOWS[0]
        run = self.session.go(f"flow={other}")
        self.session.widgets.clear()
        self.session.toggle("Reveal secrets", True)
        if self.position()[0] != 0:
            raise ProtocolError(f"{other} did not start at its beginning")
        return run

    def reload(self) -> Run:
        """A browser that lost its server: load the address it is on again, over a new websocket.

        The address is the place: a press whose answer never came left it where it was, and a link to the
        other flow that was followed but not drawn already names that flow, at its start.
        """
        flow, wanted = self.flow, self.url_step()
        self.session.close()
        run = self.open()
        if (self.flow, self.position()[0]) != (flow, wanted):
            raise ProtocolError(
                f"reloaded at {self.flow} step {self.position()[0]}, the address said {flow} step {wanted}"
            )
        return run

    def close(self) -> None:
        self.session.close()

    def _has(self, label: str) -> bool:
        try:
            self.session.button(label)
        except ProtocolError:
            return False
        return True

    def _collect(self) -> None:
        text = "\n".join(self.session.texts())
        self.seen |= set(JWT_PATTERN.findall(text))
        self.seen |= {value for _, value in FORM_SECRET.findall(text) + JSON_SECRET.findall(text)}


def shared_values(seen: dict[str, set[str]]) -> dict[str, list[str]]:
    """Each value that more than one visitor was shown, with the visitors who saw it."""
    owners: dict[str, list[str]] = {}
    for visitor, values in seen.items():
        for value in values:
            owners.setdefault(value, []).append(visitor)
    return {value: who for value, who in owners.items() if len(who) > 1}
