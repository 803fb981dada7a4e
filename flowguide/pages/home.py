"""/: where to start: the whole picture and the four ways in."""

import streamlit as st

from flowguide.content import brand, docs_url
from flowguide.pages import ui

name = brand().name
st.title(f"How apps sign in to {name}")
st.markdown(
    f"Every app that calls {name} gets its access token from the instance's identity service, using one of "
    "two OAuth 2.0 flows: **Authorization Code** when a person signs in, **Client Credentials** when a service "
    "runs on its own, or both in one solution. This guide helps you choose, shows each flow step by step, "
    "and runs every request for real against a sandbox that behaves like the product."
)
st.markdown(f"Based on the [{name} authentication documentation]({docs_url('tldr-authentication-flows.md')}).")

start = st.columns(4)
start[0].page_link(ui.page("guide"), label="Which flow do I need?", icon=":material/alt_route:")
start[1].page_link(ui.page("flows"), label="Walk through a flow", icon=":material/timeline:")
start[2].page_link(ui.page("simulator"), label="Run a flow live", icon=":material/play_circle:")
start[3].page_link(ui.page("tokens"), label="Inspect a token", icon=":material/token:")

st.markdown("### The whole picture")
st.markdown(
    "David runs a production company on the platform. His developer Roger builds a web app where David signs "
    "in (Authorization Code) and a background service that syncs schedules overnight (Client Credentials). "
    "Each part is registered as its own Trusted Application and calls the API with its own token."
)
ui.diagram_view("overview", key="home_overview", still=True)
# The start page has no other code block: its link is sent when asked for (see ui.link_to_this).
ui.link_to_this(f"How apps sign in to {name}", "", on_demand=True)
