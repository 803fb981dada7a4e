"""Flow Guide's page configuration and navigation: the script Streamlit runs.

The ``flowguide`` command (flowguide/cli.py) runs this file; ``streamlit run app.py`` in a checkout
calls :func:`main`. Each page lives in flowguide/pages/, anchored on this package, not the working folder.
Embedded (``?embed=true``, as a documentation page's iframe) the page shows alone, without navigation.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from flowguide import links
from flowguide.content import brand

PAGES = Path(__file__).parent / "pages"
_FROZEN = False  # whether _freeze_what_is_loaded has run in this process
CONNECT_ENV = "FLOWGUIDE_CONNECT"
# The url_path of every page but the start page, which is served at the app's own address.
PAGE_PATHS = ("guide", "flows", "simulator", "tokens", "review", "connect")
# Streamlit's code colours are the same on light and dark (a URL's purple is 2.3:1 on dark, a property's
# blue 2.8:1 on light); each hue is mixed 55:45 with the theme's text colour, 4.6:1 or more on both.
CODE_HUES = {
    "#808495": ".comment,.prolog,.doctype,.cdata,.punctuation",
    "#00a4d4": ".attr-name,.property,.variable",
    "#21c354": ".boolean,.constant,.symbol,.inserted",
    "#29b09d": ".number,.regex",
    "#ed6f13": ".decorator,.atrule,.operator,.entity",
    "#ff4b4b": ".deleted,.important",
    "#1c83e1": ".function,.class-name,.selector,.keyword,.tag",
    "#09ab3b": ".string,.char,.attr-value",
    "#6d3fc0": ".url",
}
CONTRAST_CSS = (
    # Streamlit's default caption grey is 3.9:1 on white; WCAG AA needs 4.5:1 for body-size text.
    "[data-testid='stCaptionContainer']{color:inherit;opacity:.8}"
    "[data-testid='stCode'] .token{--hue:currentColor}"
    + "".join(
        "[data-testid='stCode'] .token:is(" + classes + "){--hue:" + hue + "}" for hue, classes in CODE_HUES.items()
    )
    + "[data-testid='stCode'] .token{color:color-mix(in srgb,var(--hue) 55%,currentColor)!important}"
    # A code block that scrolled sideways is a region a keyboard cannot reach (axe: scrollable-region-focusable).
    + "[data-testid='stCode'] pre,[data-testid='stCode'] pre code{white-space:pre-wrap!important;"
    "overflow-wrap:anywhere}"
)
# The token views' HTML tables (flowguide/pages/jwt_view.py): lines and text in the theme's own colours.
TABLE_CSS = (
    # Fixed columns: a long name or value from a token wraps inside its cell instead of widening the page.
    ".fg-table{border-collapse:collapse;table-layout:fixed;width:100%;margin:0 0 1rem;font-size:.875rem;"
    "line-height:1.5}"
    ".fg-table th,.fg-table td{border:1px solid rgba(128,128,128,.3);padding:.375rem .5rem;text-align:left;"
    "vertical-align:top;overflow-wrap:anywhere}"
    ".fg-table th{font-weight:600}.fg-table th:first-child{width:26%}.fg-table th:nth-child(2){width:27%}"
    ".fg-table code{font-size:.85em;padding:.1em .3em;border-radius:.25rem;background:rgba(128,128,128,.15);"
    "color:inherit}"
    # A list of rows: every column as wide as the others, whatever their number.
    ".fg-rows th:first-child,.fg-rows th:nth-child(2){width:auto}"
)
# Our own Markdown drawn as HTML (flowguide/pages/markup.py) looks as Streamlit draws Markdown, in both themes.
MARKUP_CSS = (
    ".fg-markup{overflow-wrap:break-word}.fg-markup strong{font-weight:600}"
    ".fg-markup a{color:light-dark(rgb(36,79,180),rgb(133,184,248))}"
    '.fg-markup code{font-family:"Source Code Pro",monospace;font-size:.75em;line-height:1.6;padding:.2em .4em;'
    "border-radius:.25rem;background:light-dark(rgb(247,247,246),rgb(36,35,33))}"
    ".fg-markup li{margin:.2rem 0 .2rem 1.15rem;padding-left:.3rem}"
    ".fg-markup>:last-child{margin-bottom:0}"
)


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


def request_base() -> str | None:
    """The app's address as this visitor's browser reached it (st.context.url), or None outside a session."""
    # Outside a script run (a test or a script building links) there is no browser, and no address.
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return links.base_from_request(st.context.url, PAGE_PATHS)


def main() -> None:
    """Configure the page, then run the page the visitor asked for."""
    # An emoji, drawn by the browser itself: a Material icon as favicon is fetched from fonts.gstatic.com.
    st.set_page_config(page_title=f"Flow Guide · {brand().name} sign-in", page_icon="🔑", layout="wide")
    st.html(f"<style>{CONTRAST_CSS}{TABLE_CSS}{MARKUP_CSS}</style>")
    if configured_but_refused():
        st.warning(links.PUBLIC_URL_PROBLEM, icon=":material/link_off:")
    # Inside a documentation page's iframe the page stands alone: the app's menu would be a site in a site.
    position = "hidden" if st.context.is_embedded else "sidebar"
    st.navigation(pages(), position=position).run()
    _freeze_what_is_loaded()


def _freeze_what_is_loaded() -> None:
    """Once per process, after the first page ran: what serving any page loaded (modules, content, caches) lives
    as long as the process, so Python's collector stops walking it; a full collection had cost 40 ms of one Next.

    Objects frozen are still freed when nothing refers to them; only the cycle collector no longer looks at them.
    """
    # A flag, not gc.get_freeze_count(): that walks every frozen object, 10 ms at every rerun.
    global _FROZEN
    if not _FROZEN:
        gc.freeze()
        _FROZEN = True


def configured_but_refused() -> bool:
    """FLOWGUIDE_PUBLIC_URL was set to something that is not an absolute http(s) address."""
    return links.configured_public_url()[1]


# Links are built on the address the visitor's browser is on, whatever host and port serve the app.
links.serve_links_from(request_base)

# Streamlit executes its main script as __main__ on every rerun; an import (from app.py) does not run it.
if __name__ == "__main__":
    main()
