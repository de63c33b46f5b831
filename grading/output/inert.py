"""What a graded notebook may show the instructor and the student: bounded in size, and inert.

Autograde writes every notebook through ``InertNotebook``, so the formgrader and the feedback pages
(both made from the autograded notebooks) get outputs of bounded size, HTML without script, event
handler, ``javascript:`` URL, iframe or SVG, and no metadata that nbconvert's templates would paste
into the page unescaped. Markdown, which the templates render themselves, goes through
``markdown_to_html``, the course's ``markdown2html`` filter: the HTML that Markdown makes is cleaned
with the same allowlist.
"""
import copy
import json
import re
import uuid

import bleach
from bleach.css_sanitizer import CSSSanitizer
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool

# The largest outputs of the kit's own notebooks: 0.6 MB in a cell (a figure), 0.6 MB in a notebook.
MAX_CELL_OUTPUT = 2 * 2**20
MAX_NOTEBOOK_OUTPUT = 8 * 2**20
# Cell metadata that GradingExecute sets on a cell whose outputs it stopped keeping as they arrived:
# how many bytes came in all, for the note below.
RECEIVED = "lungkit_output_bytes"
CUT = "[output cut by the grader: this cell's outputs came to {size:.1f} MiB; the limit is {cell} MiB a cell and " \
      "{notebook} MiB a notebook]\n"

TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
        "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
ATTRIBUTES = {"*": ["class", "style", "title"], "a": ["href"], "img": ["src", "alt", "width", "height"],
              "td": ["colspan", "rowspan", "align"], "th": ["colspan", "rowspan", "align"],
              **{f"h{level}": ["id"] for level in range(1, 7)}}
STYLES = CSSSanitizer(allowed_css_properties=["color", "background-color", "font-weight", "font-style", "font-family",
                                              "text-decoration", "text-decoration-color", "text-align", "white-space",
                                              "line-height", "overflow-x"])
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
NOTEBOOK_METADATA = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                     "language_info": {"name": "python"}}


def clean(html):
    """``html`` with only the allowlisted tags, attributes, styles and URL schemes (http, https, mailto)."""
    return bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, css_sanitizer=STYLES, strip_comments=True)


def markdown_to_html(source):
    """Markdown rendered by nbconvert's renderer, then cleaned: the course's ``markdown2html`` filter."""
    return clean(markdown2html_mistune(source))


class InertNotebook(Preprocessor):
    """Bound a notebook's outputs and keep only what renders as inert HTML (see the module's docstring)."""

    enabled = Bool(True)  # nbconvert runs a preprocessor only when it is enabled

    def preprocess(self, nb, resources):
        nb.metadata = copy.deepcopy(NOTEBOOK_METADATA)
        budget = [MAX_NOTEBOOK_OUTPUT]
        for cell in nb.cells:
            _clean_cell(cell, budget)
        return nb, resources


def _clean_cell(cell, budget):
    received = cell.metadata.get(RECEIVED, 0)
    grading = cell.metadata.get("nbgrader")
    cell.metadata = {"nbgrader": grading} if grading and CELL_ID.fullmatch(str(grading.get("grade_id", "x"))) else {}
    cell.pop("attachments", None)
    if "id" in cell and not CELL_ID.fullmatch(str(cell.id)):
        cell.id = uuid.uuid4().hex[:8]
    if cell.cell_type == "code":
        if not isinstance(cell.get("execution_count"), int):
            cell.execution_count = None
        cell.outputs = _bounded([o for o in map(_inert_output, cell.outputs) if o], budget, received)


def _inert_output(output):
    """The output with only plain text, cleaned HTML and real base64 images in it; None for anything else."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return new_output("stream", name=name, text=_text(output.get("text")))
    if kind == "error":
        return new_output("error", ename=_text(output.get("ename")), evalue=_text(output.get("evalue")),
                          traceback=[_text(line) for line in output.get("traceback", [])])
    if kind not in ("display_data", "execute_result"):
        return None
    data = output.get("data", {})
    kept = {key: _text(data[key]) for key in ("text/plain", "image/png", "image/jpeg") if key in data}
    kept = {key: value for key, value in kept.items() if key == "text/plain" or BASE64.fullmatch(value)}
    if "text/html" in data:
        kept["text/html"] = clean(_text(data["text/html"]))
    if not kept:
        return None
    if kind == "display_data":
        return new_output("display_data", data=kept)
    count = output.get("execution_count")
    return new_output("execute_result", data=kept, execution_count=count if isinstance(count, int) else None)


def _text(value):
    """A text field as one string (nbformat allows a list of lines)."""
    return "".join(map(str, value)) if isinstance(value, list) else str(value if value is not None else "")


def _bounded(outputs, budget, received=0):
    """The outputs that fit the cell's limit and what is left of the notebook's (``budget[0]``), the
    first text cut to fit, with a line saying so; ``received``: the bytes that came in all, when
    more came than ``outputs`` holds."""
    total = max(sum(len(json.dumps(o)) for o in outputs), received if isinstance(received, int) else 0)
    room = min(MAX_CELL_OUTPUT, budget[0])
    if total <= room:
        budget[0] -= total
        return outputs
    kept = []
    for output in outputs:
        size = len(json.dumps(output))
        if size > room:
            if output.output_type == "stream" and room > 0:
                kept.append(new_output("stream", name=output.name, text=output.text[:room]))
            break
        kept.append(output)
        room -= size
    note = CUT.format(size=total / 2**20, cell=MAX_CELL_OUTPUT // 2**20, notebook=MAX_NOTEBOOK_OUTPUT // 2**20)
    kept.append(new_output("stream", name="stderr", text=note))
    budget[0] = max(0, budget[0] - sum(len(json.dumps(o)) for o in kept))
    return kept
