"""The guide's decision tree drawn with Graphviz: its first two questions, the four outcomes, the visitor's path.

Laid out left to right, so the tree is as wide as three boxes and fits a phone at a readable size;
the two questions wrap onto two lines. Colours are flowguide.diagram_theme's light ones (the page maps
them to the dark theme's); the path taken is green, thick and bold, everything else quiet grey.
"""

from __future__ import annotations

from collections.abc import Mapping

import graphviz

from flowguide.diagram_dot import wrap_label
from flowguide.diagram_theme import LIGHT
from flowguide.guide_model import GuideContent, guide_content

TREE_ACTIVE = LIGHT["tree_on"]
TREE_IDLE = LIGHT["lifeline"]
TREE_TEXT = LIGHT["tree_text"]
TREE_EDGE_TEXT = LIGHT["pending"]
# A question's box holds about this many characters a line.
QUESTION_WRAP = 10


def decision_tree(answers: Mapping[str, str], content: GuideContent | None = None) -> graphviz.Digraph:
    """The guide's first two questions as a tree, with the visitor's own path highlighted."""
    from flowguide.guide import decide_flow  # the guide imports this module; its rule is read when drawing

    content = content or guide_content()
    signin, unattended = content.question("signin"), content.question("unattended")
    assert signin is not None and unattended is not None
    titles = {k: v.short for k, v in content.outcomes.items()}
    graph = _graph()
    given_signin, given_unattended = answers.get("signin"), answers.get("unattended")
    _node(graph, "signin", signin.short or signin.text, True)
    for branch in ("yes", "no"):
        on_branch = given_signin == branch
        _node(graph, f"unattended_{branch}", unattended.short or unattended.text, on_branch)
        _edge(graph, "signin", f"unattended_{branch}", branch, on_branch)
        for answer in ("yes", "no"):
            outcome = decide_flow({"signin": branch, "unattended": answer}) or "nowhere"
            leaf = f"leaf_{branch}_{answer}"
            on_leaf = on_branch and given_unattended == answer
            _node(graph, leaf, titles[outcome], on_leaf, wrap=None)
            _edge(graph, f"unattended_{branch}", leaf, answer, on_leaf)
    return graph


def _graph() -> graphviz.Digraph:
    graph = graphviz.Digraph("decision_tree")
    graph.attr(bgcolor="transparent", rankdir="LR", nodesep="0.12", ranksep="0.25")
    graph.attr(
        "node",
        fontname="Helvetica",
        fontsize="14",
        style="rounded,filled",
        shape="box",
        color=TREE_IDLE,
        fillcolor=LIGHT["tree_fill"],
        fontcolor=TREE_TEXT,
        penwidth="1.2",
        margin="0.08,0.05",
    )
    graph.attr("edge", fontname="Helvetica", fontsize="14", color=TREE_EDGE_TEXT, fontcolor=TREE_EDGE_TEXT)
    return graph


def _node(graph: graphviz.Digraph, name: str, label: str, on: bool, wrap: int | None = QUESTION_WRAP) -> None:
    style = {"color": TREE_ACTIVE, "fillcolor": LIGHT["tree_on_fill"], "penwidth": "2.4"} if on else {}
    state = "on" if on else "off"
    font = "Helvetica-Bold" if on else "Helvetica"
    # "\\n" is DOT's own line break, centred.
    text = wrap_label(label, wrap).replace("\n", "\\n")
    graph.node(name, text, id=f"tree_{name}", fontname=font, **style, **{"class": f"tree {state}"})


def _edge(graph: graphviz.Digraph, a: str, b: str, label: str, on: bool) -> None:
    style = {"color": TREE_ACTIVE, "fontcolor": TREE_ACTIVE, "penwidth": "2.4", "fontname": "Helvetica-Bold"}
    state = "on" if on else "off"
    graph.edge(a, b, label=label, id=f"tree_{a}_{b}", **(style if on else {}), **{"class": f"tree {state}"})
