"""The guide's "Code that runs": each part's programs, to copy (st.code) or download, or links where none runs."""

from __future__ import annotations

import streamlit as st

from flowguide.guide import Recommendation
from flowguide.samples import PartCode, Sample, recommendation_code, samples_content


def _sample_tab(part: PartCode, sample: Sample) -> None:
    st.markdown(f"With [{sample.library.name}]({sample.library.url}). {sample.run}")
    st.code(sample.code, language=sample.language, line_numbers=False, wrap_lines=True)
    st.download_button(
        f"Download {sample.file_name}",
        sample.code,
        file_name=sample.file_name,
        mime=sample.mime,
        key=f"code_{part.registration.part}_{sample.id}",
        icon=":material/download:",
        on_click="ignore",  # a download needs no rerun
    )


def _links(part: PartCode) -> None:
    lines = []
    if part.docs:
        lines.append("Documentation: " + " · ".join(f"[{d.title}]({d.url})" for d in part.docs))
    if part.elsewhere:
        libraries = " · ".join(f"{e.platform}: [{e.library}]({e.url})" for e in part.elsewhere)
        lines.append(f"Other platforms (not run here, so no code): {libraries}")
    if lines:
        st.caption("  \n".join(lines))


def show_code(rec: Recommendation) -> None:
    """One heading per part; a tab per platform with the program, or the note saying why there is none."""
    st.markdown("## Code that runs")
    st.markdown(samples_content().intro)
    for part in recommendation_code(rec):
        st.markdown(f"### {part.registration.title}")
        if part.note:
            st.info(part.note, icon=":material/link:")
        if part.samples:
            tabs = st.tabs([s.title for s in part.samples])
            for tab, sample in zip(tabs, part.samples, strict=True):
                with tab:
                    _sample_tab(part, sample)
        _links(part)
