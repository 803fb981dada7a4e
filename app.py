"""Flow Guide: page configuration and navigation; each page lives in flowguide/pages/."""

import os
from pathlib import Path

import streamlit as st

from flowguide.content import brand

PAGES = Path(__file__).parent / "flowguide" / "pages"

st.set_page_config(page_title=f"Flow Guide · {brand().name} sign-in", page_icon="🔑", layout="wide")

# Streamlit's default caption grey is 3.9:1 on white; WCAG AA needs 4.5:1 for body-size text.
st.html("<style>[data-testid='stCaptionContainer']{color:inherit;opacity:.8}</style>")

pages = [
    # The default page is served at "/", so the guide is a page of its own to keep /guide stable.
    st.Page(PAGES / "home.py", title="Start here", icon=":material/home:", default=True),
    st.Page(PAGES / "guide.py", title="Decision guide", icon=":material/alt_route:", url_path="guide"),
    st.Page(PAGES / "flows.py", title="Flow walkthrough", icon=":material/timeline:", url_path="flows"),
    st.Page(PAGES / "simulator.py", title="Live simulator", icon=":material/play_circle:", url_path="simulator"),
    st.Page(PAGES / "tokens.py", title="Token inspector", icon=":material/token:", url_path="tokens"),
    st.Page(PAGES / "review.py", title="Design review", icon=":material/description:", url_path="review"),
]
if os.environ.get("FLOWGUIDE_CONNECT", "on") != "off":
    pages.append(st.Page(PAGES / "connect.py", title="Your own instance", icon=":material/cloud:", url_path="connect"))
st.navigation(pages).run()
