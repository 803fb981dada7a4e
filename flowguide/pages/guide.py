"""/guide: what are you building? The recommended flow, why, and the registration for each part."""

import streamlit as st

from flowguide import sign_in_only
from flowguide.content import brand, flows
from flowguide.diagrams import load_spec
from flowguide.guide import (
    Recommendation,
    Registration,
    decision_tree,
    guide_content,
    is_asked,
    parse_answers,
    recommend,
    tree_path_text,
)
from flowguide.licences import licence_section
from flowguide.pages import code_view, not_offered_view, ui
from flowguide.review import review_query

content = guide_content()
flow_titles = {flow_id: narrative.title for flow_id, narrative in flows().items()}
QUESTION_IDS = [q.id for q in content.questions]


def widget_key(question_id: str) -> str:
    return f"guide_{question_id}"


def start_again() -> None:
    for qid in QUESTION_IDS:
        st.session_state[widget_key(qid)] = None


# The URL is the source of truth: a link (or the browser's back button) reloads its answers into the widgets.
# `about` opens one "What about …?" answer (/guide?about=device_code); it is no question, so it is read apart.
about, about_notice = not_offered_view.about_from_url(st.query_params.get(not_offered_view.ABOUT_PARAM))
parsed = parse_answers({key: st.query_params[key] for key in st.query_params if key != not_offered_view.ABOUT_PARAM})
if st.session_state.get("guide_url_answers") != parsed.answers:
    for qid in QUESTION_IDS:
        st.session_state[widget_key(qid)] = parsed.answers.get(qid)
    st.session_state["guide_url_answers"] = parsed.answers

st.title(f"How should your app sign in to {brand().name}?")
st.markdown(content.intro)
for notice in (*parsed.notices, *([about_notice] if about_notice else [])):
    st.warning(notice, icon=":material/link_off:")
if about:
    not_offered_view.show_selected(about)

questions_col, result_col = st.columns([2, 3], gap="large")

with questions_col:
    answers: dict[str, str] = {}
    for question in content.questions:
        if not is_asked(question, answers):
            continue
        labels = {o.id: o.label for o in question.options}
        choice = st.radio(
            question.text,
            options=list(labels),
            format_func=labels.__getitem__,
            index=None,
            key=widget_key(question.id),
            help=question.help or None,
        )
        if choice is not None:
            answers[question.id] = choice
    if answers:
        st.button("Start again", icon=":material/restart_alt:", on_click=start_again)

    st.markdown("## The decision")
    path_text = tree_path_text(answers)
    ui.graph_view(decision_tree(answers).source, f"The decision tree. {path_text}", "decision-tree")
    st.caption(path_text)

if answers != parsed.answers:
    st.query_params.from_dict({**answers, **({not_offered_view.ABOUT_PARAM: about} if about else {})})
    st.session_state["guide_url_answers"] = answers

recommendation: Recommendation = recommend(answers)


def registration_list(registration: Registration) -> str:
    """Each field with its value and why, as a list that wraps in a narrow column."""
    return "\n".join(
        f"- `{k}` = {f'**{v}**' if v else '*(empty)*'}  \n  {registration.why.get(k, '')}"
        for k, v in registration.items()
    )


def show_recommendation(rec: Recommendation) -> None:
    st.success(f"**{rec.title}**  \n{rec.summary}", icon=":material/check_circle:")
    st.markdown("## Why")
    lines = []
    for reason in rec.reasons:
        question = content.question(reason.question)
        assumed = f" *(assumed until you answer “{question.text}”)*" if reason.assumed and question else ""
        lines.append(f"- {reason.text}{assumed}")
    st.markdown("\n".join(lines))
    links = " · ".join(f"[{d.title}]({d.url})" for d in rec.docs)
    st.markdown(f"Documentation: {links}")
    for flow in [r.flow for r in rec.registrations]:
        label = flow_titles[flow]
        walk, run = st.columns(2)
        walk.page_link(
            ui.page("flows"),
            label=f"Walk through {label}",
            icon=":material/timeline:",
            query_params={"flow": flow},
        )
        run.page_link(
            ui.page("simulator"),
            label=f"Run {label} live",
            icon=":material/play_circle:",
            query_params={"flow": flow},
        )
    if rec.flow == "hybrid":
        st.page_link(
            ui.page("simulator"),
            label="Run both parts side by side",
            icon=":material/view_column_2:",
            query_params={"flow": "hybrid"},
        )

    st.markdown(f"## What to register in {brand().name}")
    count = len(rec.registrations)
    for n, registration in enumerate(rec.registrations, start=1):
        flow_label = flow_titles[registration.flow]
        st.markdown(f"**Trusted Application {n} of {count}: {registration.title}** ({flow_label})")
        st.markdown(registration_list(registration))
        st.markdown(f"Scopes to request: `{registration.request_scope}`")
        with st.expander("As settings text, to copy"):
            st.code(registration.as_settings(), language="text")

    if rec.warnings:
        st.markdown("## Watch out for")
        for warning in rec.warnings:
            docs = " ".join(f"[{d.title}]({d.url})" for d in warning.docs)
            st.warning(f"**{warning.title}.** {warning.text} {docs}", icon=":material/warning:")

    st.markdown(licence_section(rec))  # licence slots at the busiest moment (flowguide/licences.py)
    code_view.show_code(rec)


with result_col:
    if recommendation.complete:
        show_recommendation(recommendation)
    elif recommendation.title:
        st.info(f"**{recommendation.title}**  \n{recommendation.summary}", icon=":material/help:")
    else:
        pending = [content.question(q) for q in recommendation.missing]
        st.info(
            "Answer " + " and ".join(f"“{q.text}”" for q in pending if q) + " to see the recommendation.",
            icon=":material/arrow_back:",
        )

    if recommendation.complete:
        st.page_link(
            ui.page("review"),
            label="Design review document for these answers",
            icon=":material/description:",
            query_params=review_query(answers),
        )
    if answers:
        ui.link_to_this(f"{recommendation.title or 'Decision guide'} ({brand().name} sign-in guide)", "guide", answers)

if recommendation.complete:
    st.divider()
    st.markdown("## The flow, step by step")
    for flow in [r.flow for r in recommendation.registrations]:
        st.markdown(f"### {load_spec(flow).title}")
        shown = sign_in_only.diagram_options(recommendation, flow, ui.recommended_diagram(recommendation))
        ui.diagram_view(flow, key=f"guide_{flow}", **shown)

st.divider()
not_offered_view.show_all()
