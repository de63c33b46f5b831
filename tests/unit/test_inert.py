"""What autograde writes is bounded and inert (grading/output/inert.py): the payloads of tests/attacks.py
add no script, event handler, ``javascript:`` URL, iframe or SVG to a feedback page, and a cell's
outputs are cut to size with a line that says so. The browser proof, on a graded class, is in
tests/e2e/test_instructor_browser.py."""
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

import nbgrader
from grading.course import KIT
from grading.settings import configure
from grading.output.inert import CUT, MAX_CELL_OUTPUT, MAX_NOTEBOOK_OUTPUT, InertNotebook
from tests.attacks import HUGE_OUTPUT, xss_answer, xss_outputs

TEMPLATES = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
BOOTSTRAP_CSS = TEMPLATES.parent / "static" / "node_modules" / "bootstrap" / "dist" / "css"  # as nbgrader's feedback
DANGEROUS_TAGS = {"script", "iframe", "svg", "object", "embed", "frame", "base", "meta", "link", "style", "form"}


class Elements(HTMLParser):
    """Every element of a page: ``(tag, {attribute: value})``, and the text of its scripts."""

    def __init__(self, page):
        super().__init__()
        self.elements, self.scripts, self._in_script = [], [], False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
            self._in_script = False


def problems(page, clean_page):
    """What ``page`` can run beyond ``clean_page`` (the same page without the student's HTML)."""
    found, clean = Elements(page), Elements(clean_page)
    base = {(tag, tuple(sorted(attrs.items()))) for tag, attrs in clean.elements}
    found_problems = [f"script: {text.strip()}" for text in found.scripts if text not in clean.scripts]
    for tag, attrs in found.elements:
        if (tag, tuple(sorted(attrs.items()))) in base:
            continue
        if tag in DANGEROUS_TAGS:
            found_problems.append(f"<{tag}>")
        found_problems += [f"<{tag} {name}=...>" for name in attrs if name.startswith("on") or name == "srcdoc"]
        found_problems += [f"<{tag} {name}={value[:60]}>" for name, value in attrs.items()
                           if name in ("href", "src") and "javascript:" in value.lower().replace(" ", "")]
    return found_problems


def notebook(answer, outputs):
    """A notebook with one written answer and one code cell that showed ``outputs``."""
    cell = new_code_cell("show()", execution_count=1)
    cell.outputs = [new_output("display_data", data=data, metadata=metadata or {}) for data, metadata in outputs]
    return new_notebook(cells=[new_markdown_cell(answer), cell])


def feedback_page(nb, defended=True):
    """The feedback page nbgrader's template makes of ``nb``, with the course's settings or without them."""
    config = Config()
    if defended:
        configure(config, KIT / "nowhere" / "nbgrader_config.py")
        nb, _ = InertNotebook()(nb, {})
    exporter = HTMLExporter(config=config, template_name="feedback", extra_template_basedirs=[str(TEMPLATES)],
                            extra_template_paths=[str(BOOTSTRAP_CSS)])
    grades = {"notebook": "03_unet", "score": 0, "max_score": 6, "late_penalty": 0}  # what nbgrader's GetGrades puts there
    return exporter.from_notebook_node(nb, resources={"nbgrader": grades})[0]


@pytest.fixture
def pages():
    """``(page, clean page)``: the payloads' notebook and a harmless twin, each as a page maker."""
    hostile, harmless = notebook(xss_answer(9), xss_outputs(9)), notebook("The U-Net encodes.", [({"text/plain": "1"},
                                                                                                   None)])
    return (lambda defended: feedback_page(nbformat.from_dict(hostile), defended),
            lambda defended: feedback_page(nbformat.from_dict(harmless), defended))


def test_without_the_defence_the_check_sees_each_payload(pages):
    hostile, harmless = pages
    found = problems(hostile(False), harmless(False))
    # Each payload that nbconvert's template lets through is seen (it escapes SVG outputs and PNG data itself).
    for kind in ("<img onerror=...>", "<svg>", "<svg onload=...>", "<iframe>", "<iframe srcdoc=...>",
                 "<details ontoggle=...>"):
        assert kind in found, (kind, found)
    for name in ("md-script", "md-svg-script", "out-html-script", "out-javascript", "md-js-link", "html-js-link",
                 "out-markdown-link"):
        assert any(name in problem for problem in found), (name, found)


def test_student_html_adds_nothing_that_runs_to_a_feedback_page(pages):
    hostile, harmless = pages
    page = hostile(True)
    assert problems(page, harmless(True)) == []
    assert "The U-Net encodes the slice" in page and "a Markdown link" in page, "the answer's text is still shown"


def test_images_are_kept_and_forged_image_data_is_dropped():
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    nb = notebook("", [({"image/png": png, "text/plain": "<Figure>"}, {"image/png": {"width": "1 onerror=x"}}),
                       ({"image/png": '"><img src=x onerror=alert(1)>', "text/plain": "forged"}, None)])
    outputs = InertNotebook()(nb, {})[0].cells[1].outputs
    assert outputs[0].data == {"image/png": png, "text/plain": "<Figure>"} and outputs[0].metadata == {}
    assert outputs[1].data == {"text/plain": "forged"}


def cell_printing(characters):
    cell = new_code_cell(HUGE_OUTPUT, execution_count=1)
    cell.outputs = [new_output("stream", name="stdout", text="x" * characters)]
    return cell


def test_a_huge_output_is_cut_to_the_cells_limit_with_a_line_saying_so():
    nb = new_notebook(cells=[cell_printing(8_000_000)])
    outputs = InertNotebook()(nb, {})[0].cells[0].outputs
    kept = sum(len(nbformat.writes(new_notebook(cells=[new_code_cell(outputs=[o])]))) for o in outputs)
    assert MAX_CELL_OUTPUT - 1000 < kept < MAX_CELL_OUTPUT + 1000
    assert outputs[0].text.startswith("xxxx") and outputs[-1].text == CUT.format(size=8_000_000 / 2**20, cell=2,
                                                                                 notebook=8)


def test_a_notebook_keeps_its_limit_however_many_cells_print():
    nb = new_notebook(cells=[cell_printing(MAX_CELL_OUTPUT - 10_000) for _ in range(8)])
    cells = InertNotebook()(nb, {})[0].cells
    sizes = [sum(len(o.get("text", "")) for o in cell.outputs) for cell in cells]
    assert MAX_NOTEBOOK_OUTPUT - 10_000 < sum(sizes) < MAX_NOTEBOOK_OUTPUT + 10_000
    assert [len(cell.outputs) for cell in cells[:3]] == [1, 1, 1]
    assert all(cell.outputs[-1].text.startswith("[output cut by the grader") for cell in cells[4:])


def test_the_kits_own_notebooks_never_come_near_the_limits():
    for path in sorted((KIT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        before = [len(cell.get("outputs", [])) for cell in nb.cells]
        cells = InertNotebook()(nb, {})[0].cells
        assert [len(cell.get("outputs", [])) for cell in cells] == before, path.name
        assert not any("output cut by the grader" in str(cell.get("outputs")) for cell in cells), path.name
