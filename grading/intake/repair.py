"""Repair: rebuild each handed-in notebook on the release's cells, so that damage done by an
editor or by hand costs only the answers that are really gone.

Each notebook of a hand-in is matched to a released notebook by name, tolerating the renames of
browsers and editors (``name (1).ipynb``, ``name-Copy1.ipynb``, another case). Its cells are
matched to the release's by grade_id, and, where an editor stripped nbgrader's metadata, by
content: a read-only cell by its text, an answer by its place between the read-only cells around
it. The notebook is then rebuilt in the release's order: every answer found, with the release's
metadata and cell type; every read-only or test cell as released (nbgrader puts the hidden tests
back); every cell the student added, after the cell it followed, without nbgrader's metadata. So
nbgrader's metadata changed by hand (a test made an answer, points raised, a graded cell added)
is the release's again, and nothing in the rebuilt notebook makes nbgrader refuse it. A notebook
needing none of this is left byte for byte as handed in.
"""
import copy
import difflib
import re
from collections import defaultdict
from pathlib import Path

import nbformat
from nbformat.v4.nbbase import random_cell_id

# Suffixes that browsers and editors add to a file's name: " (1)", "-Copy1", " copy", " copy 2".
RENAMED = re.compile(r"(\s*\(\d+\)|-copy\d*|\s+copy(\s*\d+)?)$", re.IGNORECASE)
# A cell's kind, by its nbgrader metadata, as a repair line names what a cell was made.
KINDS = {"test": "a test", "answer": "an answer", "read-only": "read-only", "editable": "editable"}
# The flags that can change within a kind (an answer graded or not, a test unlocked), in words.
FLAGS = {("grade", True): "graded", ("grade", False): "not graded", ("locked", True): "locked",
         ("locked", False): "unlocked"}
# Keys nbgrader adds at release that the source notebooks, handed in by the tests, lack.
ADDED_AT_RELEASE = ("checksum", "cell_type")
NOT_GRADED = "kept as an ordinary cell, never graded"


def repair(folder, release):
    """Repair the notebooks in the hand-in copy ``folder`` in place; return the repairs, one line each.

    ``release`` is the released assignment folder, whose notebooks are the templates.
    """
    notebooks, renamed, repairs = plan(folder, release)
    for old in renamed:  # first: on a case-insensitive disk, 03_UNet.ipynb is 03_unet.ipynb
        (Path(folder) / old).unlink()
    for name, notebook in notebooks.items():
        nbformat.write(notebook, Path(folder) / name)
    return repairs


def plan(folder, release):
    """What ``repair`` would do, changing nothing: ``(notebooks to write by name, renamed files, repairs)``."""
    files = {p.name: p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() == ".ipynb"}
    templates = sorted(Path(release).glob("*.ipynb"))
    notebooks, renamed, repairs = {}, {}, []
    for template in templates:
        name = template.name
        found = sorted((f for f in files if _base(f) == _base(name)), key=lambda f: (f != name, f))
        for other in found[1:]:
            repairs.append(f"{other}: another copy of {name}, not graded ({found[0]} is)")
        if found and found[0] != name:
            renamed[found[0]] = name
            repairs.append(f"{found[0]}: renamed {name}")
        released = nbformat.read(template, as_version=4)
        handed_in, problem = _read(files[found[0]]) if found else (None, "missing")
        if handed_in is None:
            notebooks[name] = released
            repairs.append(f"{name}: {problem}; rebuilt from the release, so its answers are empty")
            continue
        notebook, changes = reconcile(handed_in, released)
        if changes or found[0] != name:
            notebooks[name] = notebook
        repairs += [f"{name}: {change}" for change in changes]
    known = {_base(template.name) for template in templates}
    repairs += [f"{name}: not a notebook of the assignment, not graded" for name in sorted(files) if _base(name) not in known]
    return notebooks, renamed, repairs


def reconcile(handed_in, released):
    """The notebook ``handed_in`` rebuilt on the cells of ``released``, and the list of changes made."""
    cells, template = handed_in.cells, released.cells
    changes = []
    if (handed_in.nbformat, handed_in.nbformat_minor) != (released.nbformat, released.nbformat_minor):
        changes.append(f"saved as nbformat {handed_in.nbformat}.{handed_in.nbformat_minor}, "
                       f"converted to {released.nbformat}.{released.nbformat_minor}")
    match, duplicates, dropped = _match_by_grade_id(cells, template, changes)
    _match_by_content(cells, template, match, duplicates | dropped, changes)
    _report_foreign(cells, template, match, changes)
    places = [match[i] for i in sorted(match)]
    if places != sorted(places):
        changes.append("cells put back in the assignment's order")
    followers = _followers(cells, match, dropped)
    rebuilt = list(followers[-1])
    for i, cell in enumerate(template):
        rebuilt.append(_rebuild(cell, cells[match[i]] if i in match else None, changes))
        rebuilt += followers[i]
    _unique_ids(rebuilt)
    notebook = copy.deepcopy(released)
    notebook.cells = rebuilt
    return notebook, changes


def _match_by_grade_id(cells, template, changes):
    """``{template index: cell index}`` by grade_id, the cells to keep as ordinary ones, the cells to drop.

    Of a grade_id found more than once, the last copy of the release's kind that differs from the
    release is matched; the other copies of its kind are kept as ordinary cells (answers) or dropped
    (read-only cells), and those of another kind are kept as ordinary cells.
    """
    index = {_grade_id(cell): i for i, cell in enumerate(template)}
    copies = defaultdict(list)
    for j, cell in enumerate(cells):
        if _grade_id(cell) in index:
            copies[index[_grade_id(cell)]].append(j)
    match, duplicates, dropped = {}, set(), set()
    for i, found in copies.items():
        grade_id, kind = _grade_id(template[i]), _kind(template[i])
        own = [j for j in found if _kind(cells[j]) == kind] or found
        changed = [j for j in own if _text(cells[j]) != _text(template[i])] or own
        match[i] = changed[-1]
        others = [j for j in found if j != match[i] and _kind(cells[j]) != kind]
        for j in others:
            changes.append(f"{grade_id}: another cell claimed it ({_claim(cells[j])}); {NOT_GRADED}")
        duplicates.update(others)
        same = [j for j in own if j != match[i] and j not in others]
        if same:
            (duplicates if _answer(template[i]) else dropped).update(same)
            kept = "kept the others as ordinary cells" if _answer(template[i]) else "dropped the others"
            changes.append(f"{grade_id} found {len(same) + 1} times: graded the last changed copy, {kept}")
    return match, duplicates, dropped


def _match_by_content(cells, template, match, duplicates, changes):
    """Match the cells that lost nbgrader's metadata, when some did: first the cells whose text is the
    release's, then each remaining cell of the release by its place between the matched cells around it.

    There, a read-only cell takes a cell that holds most of its lines (a test cell with its hidden
    tests, say), an answer the cell most like it.
    """
    known = {_grade_id(cell) for cell in template}
    free = [j for j, cell in enumerate(cells) if _grade_id(cell) not in known and j not in duplicates]
    restored = 0
    for j in free:
        same = [i for i, cell in enumerate(template) if i not in match and _text(cell) == _text(cells[j])]
        if same:
            match[same[0]] = j
            restored += 1
    if not restored:
        return
    for i, cell in enumerate(template):
        if i in match:
            continue
        before = max((match[k] for k in match if k < i), default=-1)
        after = min((match[k] for k in match if k > i), default=len(cells))
        taken = set(match.values())
        window = [j for j in free if before < j < after and j not in taken]
        if _answer(cell):
            candidates = window
        else:
            candidates = [j for j in window if _share_of_lines(cell, cells[j]) >= 0.8]
        if candidates:
            match[i] = max(candidates, key=lambda j: _likeness(cells[j], cell))
            restored += 1
    changes.append(f"nbgrader's metadata restored on {restored} cells, matched by their content")


def _report_foreign(cells, template, match, changes):
    """Name each cell left unmatched that has nbgrader's metadata with a grade_id not in the release."""
    known = {_grade_id(cell) for cell in template} - {None}
    matched = set(match.values())
    for j, cell in enumerate(cells):
        if j not in matched and "nbgrader" in cell.metadata and _grade_id(cell) not in known:
            name = _grade_id(cell) or "a cell without a grade_id"
            changes.append(f"{name}: not a cell of the assignment ({_claim(cell)}); {NOT_GRADED}")


def _followers(cells, match, dropped):
    """``{template index: the unmatched cells that came after its match}``; -1 holds those before any."""
    matched = {j: i for i, j in match.items()}
    followers, last = defaultdict(list), -1
    for j, cell in enumerate(cells):
        if j in matched:
            last = matched[j]
        elif j not in dropped:
            followers[last].append(_ordinary(cell))
    return followers


def _rebuild(template_cell, cell, changes):
    """The template's cell holding the student's answer in ``cell``, or as released when ``cell`` is None;
    what was repaired is added to ``changes``."""
    grade_id, kind = _grade_id(template_cell), _kind(template_cell)
    rebuilt = copy.deepcopy(template_cell)
    locked = template_cell.metadata.nbgrader.get("locked")
    if cell is None:
        if _answer(template_cell):
            changes.append(f"{grade_id}: answer cell not found; put back empty, so this question scores 0")
        else:
            changes.append(f"{grade_id}: {kind} cell deleted; put back as released")
        return rebuilt
    if cell.cell_type != template_cell.cell_type:
        noun = "answer" if kind == "answer" else f"{kind} cell"
        changes.append(f"{grade_id}: the {noun} was a {cell.cell_type} cell; made {template_cell.cell_type} again")
    tampered = _tampering(cell, template_cell)
    if tampered:
        kept = "restored as released" if locked else "given the release's metadata, the student's text kept"
        changes.append(f"{grade_id} had its grading metadata changed ({', '.join(tampered)}); {kept}")
    if locked:
        return rebuilt  # read-only: the student's copy is the release's, or must be
    rebuilt.source = cell.source
    if rebuilt.cell_type == cell.cell_type == "code":
        rebuilt.outputs, rebuilt.execution_count = cell.outputs, cell.execution_count
    if rebuilt.cell_type == cell.cell_type == "markdown" and "attachments" in cell:
        rebuilt.attachments = cell.attachments
    return rebuilt


def _tampering(cell, template_cell):
    """How ``cell``'s nbgrader metadata differs from that of the release's ``template_cell``, in words;
    none when an editor stripped it (the cell was matched by content)."""
    if "nbgrader" not in cell.metadata:
        return []
    claimed, released = _nbgrader(cell), template_cell.metadata.nbgrader
    if _kind(cell) != _kind(template_cell):
        changed = [f"made {KINDS[_kind(cell)]}"]
    else:
        changed = [FLAGS[flag, bool(claimed.get(flag))] for flag in ("grade", "locked")
                   if bool(claimed.get(flag)) != bool(released.get(flag))]
    if claimed.get("points") != released.get("points"):
        changed.append(f"{claimed['points']} points" if "points" in claimed else "no points")
    others = (set(claimed) | set(released)) - {"grade", "solution", "locked", "points"}
    return changed + [f"{key} changed" for key in sorted(others) if claimed.get(key) != released.get(key)
                      and (key in claimed or key not in ADDED_AT_RELEASE)]


def _claim(cell):
    """What ``cell``'s nbgrader metadata makes it, in words: ``a test, 60 points``."""
    claimed = _nbgrader(cell)
    return KINDS[_kind(cell)] + (f", {claimed['points']} points" if "points" in claimed else "")


def _ordinary(cell):
    """A copy of a student's own cell, without nbgrader's metadata (so nbgrader ignores it)."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("nbgrader", None)
    return cell


def _unique_ids(cells):
    """Give each cell an id, a new one where an earlier cell has the same."""
    seen = set()
    for cell in cells:
        if not cell.get("id") or cell.id in seen:
            cell.id = random_cell_id()
        seen.add(cell.id)


def _read(path):
    """``(notebook, None)``, or ``(None, why)`` when ``path`` is not a readable notebook."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises many kinds (JSON, validation, version)
        return None, f"not a readable notebook ({type(error).__name__})"
    if not notebook.cells:
        return None, "empty"
    return notebook, None


def _base(name):
    """A notebook's name without the suffixes of renames and without case: ``02_Augmentation (1)`` -> ``02_augmentation``."""
    stem, previous = Path(name).stem.strip(), None
    while stem != previous:
        previous, stem = stem, RENAMED.sub("", stem).strip()
    return stem.lower()


def _nbgrader(cell):
    """``cell``'s nbgrader metadata; empty when it has none, or something other than a mapping."""
    metadata = cell.metadata.get("nbgrader")
    return metadata if isinstance(metadata, dict) else {}


def _grade_id(cell):
    grade_id = _nbgrader(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) else None


def _kind(cell):
    """What ``cell``'s nbgrader metadata makes it: a key of KINDS."""
    metadata = _nbgrader(cell)
    if metadata.get("solution"):
        return "answer"
    if metadata.get("grade"):
        return "test"
    return "read-only" if metadata.get("locked") else "editable"


def _answer(cell):
    """Whether the template's ``cell`` is one the student writes in (a solution cell)."""
    return bool(_nbgrader(cell).get("solution"))


def _text(cell):
    """A cell's source without blank lines or surrounding spaces, to compare contents."""
    return "\n".join(line.strip() for line in cell.source.splitlines() if line.strip())


def _share_of_lines(template_cell, cell):
    """The share of ``template_cell``'s lines that ``cell`` holds."""
    lines = _text(template_cell).splitlines()
    return sum(line in set(_text(cell).splitlines()) for line in lines) / max(len(lines), 1)


def _likeness(cell, template_cell):
    """How much ``cell`` looks like the answer ``template_cell`` would hold: same type first, then text."""
    return cell.cell_type == template_cell.cell_type, difflib.SequenceMatcher(None, _text(cell), _text(template_cell)).ratio()
