"""Flow Guide's page configuration and navigation: the script Streamlit runs.

The ``flowguide`` command (flowguide/cli.py) runs this file; ``streamlit run app.py`` in a checkout
calls :func:`main`. Each page lives in flowguide/pages/, anchored on this package, not the working folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from flowguide.content import brand

PAGES = Path(__file__).parent / "pages"
CONNECT_ENV = "FLOWGUIDE_CONNECT"


def pages() -> list[StreamlitPage]:
    """The app's pages in menu order; /connect only while FLOWGUIDE_CONNECT is not "off"."""
    listed = [
        # The default page is served at "/", so the guide is a page of its own to keep /guide stable.
        st.Page(PAGES / "home.py", title="Start here", icon=":material/home:", default=True),
        st.Page(PAGES / "guide.py", title="Decision guide", icon=":material/alt_route:", url_path="guide"),
        st.Page(PAGES / "flows.py", title="Flow walkthrough", icon=":material/timeline:", url_path="flows"),
        st.Page(PAGES / "simulator.py", title="Live simulator", icon=":material/play_circle:", url_path="simulator"),
        st.Page(PAGES / "tokens.py", title="Token inspector", icon=":material/token:", url_path="tokens"),
        st.Page(PAGES / "review.py", title="Design review", icon=":material/description:", url_path="review"),
    ]
    if os.environ.get(CONNECT_ENV, "on") != "off":
        listed.append(
            st.Page(PAGES / "connect.py", title="Your own instance", icon=":material/cloud:", url_path="connect")
        )
    return listed


def main() -> None:
    """Configure the page, then run the page the visitor asked for."""
    st.set_page_config(page_title=f"Flow Guide · {brand().name} sign-in", page_icon="🔑", layout="wide")
    # Streamlit's default caption grey is 3.9:1 on white; WCAG AA needs 4.5:1 for body-size text.
    st.html("<style>[data-testid='stCaptionContainer']{color:inherit;opacity:.8}</style>")
    st.navigation(pages()).run()


# Streamlit executes its main script as __main__ on every rerun; an import (from app.py) does not run it.
if __name__ == "__main__":
    main()
