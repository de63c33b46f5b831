"""The grading sandbox: each graded kernel runs inside bubblewrap, cut off from the course.

What the kernel sees: the Python environment and the dataset, read-only; a private home
holding a scratch copy of the one submission it grades (read-only at ``/submission``); a
private ``/tmp``; nothing else of the file system (no course folder, no source, no gradebook,
no other student, no grader's home). It has its own network namespace (no network at all),
PID, IPC and UTS namespaces, and the limits in ``Limits``. It talks to the grader over ZeroMQ
IPC sockets in a folder that only the two of them share. When the grader runs as root, the
kernel runs as an unprivileged user that no other grading process on the machine uses at the same
time (``sandbox_uid``), so that its process limit holds, is its grader's alone, and it cannot chmod
its way out.
"""
import fcntl
import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

SCRIPTS = Path(__file__).with_name("sandboxed")  # what runs inside the sandbox, read-only there
SCRIPTS_IN_SANDBOX = "/opt/lungkit"
INPUTS, OUTPUTS = "/inputs", "/outputs"
INSTALL_HINT = (
    "bubblewrap (bwrap) is needed to sandbox the grading kernels: install it with "
    "`apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap` (Fedora); "
    "or pass --no-sandbox for a run you trust (never for students' hand-ins)"
)
SANDBOX_UID = 61000  # the first of SANDBOX_USERS user ids, one per grading process on a machine
SANDBOX_USERS = 256
# Root's folder of which of them a live grading process holds: in /run, or the temporary folder without it.
UID_LOCKS = Path("/run" if os.path.isdir("/run") else tempfile.gettempdir()) / "lungkit-sandbox-uids"
HOME = "/home/student"
SUBMISSION = "/submission"
# Environment variables a kernel may see: no token, key or path of the grader's.
PASSED_ON = ("PATH", "LANG", "LC_ALL", "TZ", "LUNGKIT_DATA", "LUNGKIT_FAST", "LUNGKIT_GRADING",
             "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
             "PYTHONNOUSERSITE", "PYTHONHASHSEED")


class SandboxError(RuntimeError):
    """The sandbox cannot be set up; the message says what to install or change."""


@dataclass(frozen=True)
class Limits:
    """What one sandboxed process (a kernel, a question's process) may use; an instructor sets them as
    ``c.GradingExecute.limits`` (preprocessors.py). Memory is address space: TensorFlow maps about 4 GiB
    at start."""

    memory_bytes: int = 12 * 2**30
    processes: int = 512  # threads count: TensorFlow starts a few dozen
    file_bytes: int = 256 * 2**20  # the largest file it may write
    cpu_seconds: int = 1800
    home_bytes: int = 1 * 2**30  # the scratch copy of the submission and whatever it writes
    tmp_bytes: int = 512 * 2**20
    # Below the grader's priority: a kernel flooding its outputs, or an evidence process beside it,
    # never starves the grader that reads and drops what comes in, so nothing piles up in its memory.
    niceness: int = 10

    @classmethod
    def of(cls, settings):
        """The Limits with those of ``settings`` (``{name: value}``) over the defaults; ValueError naming a
        name that is not one of them."""
        names = [field.name for field in fields(cls)]
        unknown = sorted(set(settings) - set(names))
        if unknown:
            raise ValueError(f"no limit named {', '.join(unknown)}; the limits are {', '.join(names)}")
        return cls(**settings)


@functools.cache
def sandbox_uid():
    """This process's sandbox user, as root: the first user id from ``SANDBOX_UID`` that no other grading
    process on this machine holds (a lock file in ``UID_LOCKS``, held until this process ends), so that two
    job slots, two ``grade`` runs or a worker beside them never share a process limit. Unused when the
    grader is not root: each sandbox is then a user namespace of its own."""
    if os.getuid():
        return SANDBOX_UID
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    folder = UID_LOCKS.lstat()
    if not stat.S_ISDIR(folder.st_mode) or folder.st_uid != 0 or folder.st_mode & 0o022:
        raise SandboxError(f"{UID_LOCKS} is not a folder that only root may write: remove it and grade again")
    for uid in range(SANDBOX_UID, SANDBOX_UID + SANDBOX_USERS):
        handle = os.open(UID_LOCKS / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid  # the handle stays open: the lock lasts as long as this process
        except BlockingIOError:
            os.close(handle)
    raise SandboxError(f"all {SANDBOX_USERS} sandbox users from {SANDBOX_UID} are held by other grading processes "
                       "on this machine: grade with fewer at once")


def bwrap_path():
    """The bubblewrap executable; SandboxError saying how to install it when there is none."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError(INSTALL_HINT)
    return path


def check_sandbox(environment):
    """SandboxError naming the fix when bubblewrap is missing, or cannot make the grading sandbox here."""
    command = bwrap_command([sys.executable, "-I", "-c", "pass"], environment)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise SandboxError("bubblewrap did not start the grading sandbox within 120 s") from None
    if done.returncode:
        raise SandboxError(
            f"bubblewrap cannot make the grading sandbox here ({last_line(done.stderr)}): without root it needs user "
            "namespaces, which `sysctl kernel.unprivileged_userns_clone=1` turns on (Debian), `sysctl "
            "kernel.apparmor_restrict_unprivileged_userns=0` allows (Ubuntu 23.10 and later), and a container "
            "gives only when started with them (Docker: --security-opt seccomp=unconfined, or run as root with "
            "--cap-add SYS_ADMIN)")


def python_roots():
    """The folders the kernel's Python needs: the environment and the interpreter it is made from."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent}
    return sorted({root for root in roots if not any(root != other and other in root.parents for other in roots)})


def system_binds():
    """bwrap arguments for the read-only system folders, keeping /lib -> usr/lib style links."""
    args = []
    for name in ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def bwrap_command(command, environment, submission=None, ipc_dir=None, inputs=None, outputs=None, limits=Limits(),
                  cpus=None):
    """The command line that runs ``command`` in the sandbox.

    ``submission``: a hand-in folder, copied into the private home, where ``command`` starts;
    ``ipc_dir``: the kernel's socket folder, shared with the grader; ``inputs`` and ``outputs``:
    folders of the grader's, read-only at ``/inputs`` and writable at ``/outputs``. ``cpus``: the
    cores it may run on (TensorFlow sizes its thread pools to them); None for all.
    """
    workdir = f"{HOME}/{Path(submission).name}" if submission else HOME
    settings = {**asdict(limits), "submission": submission and SUBMISSION, "home": HOME, "workdir": workdir,
                "uid": sandbox_uid(), "cpus": cpus}
    # As root, no user namespace: the launcher then drops to the sandbox user, whose processes the limit counts.
    # bwrap gives root only the capabilities named, which the launcher loses when it drops to ``uid``.
    namespaces = ["--unshare-all"] if os.getuid() else [
        "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_CHOWN"]
    args = [bwrap_path(), *namespaces, "--die-with-parent", "--clearenv", *system_binds(),
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
            "--size", str(limits.home_bytes), "--tmpfs", HOME]
    binds = [("--ro-bind", SCRIPTS, SCRIPTS_IN_SANDBOX), *(("--ro-bind", root, root) for root in python_roots())]
    if submission:
        binds.append(("--ro-bind", submission, SUBMISSION))
    if ipc_dir:
        binds.append(("--bind", ipc_dir, ipc_dir))
    if inputs:
        binds.append(("--ro-bind", inputs, INPUTS))
    if outputs:
        binds.append(("--bind", outputs, OUTPUTS))
    if Path(sys.prefix).absolute() != Path(sys.prefix).resolve():  # a venv reached through a link: keep its path
        binds.append(("--ro-bind", Path(sys.prefix).resolve(), Path(sys.prefix).absolute()))
    data = environment.get("LUNGKIT_DATA")
    if data:
        data = Path(data).resolve()
        binds.append(("--ro-bind", data, data))
    made = set()
    for option, source, target in binds:
        # bwrap makes missing parents 0700, which the sandbox user could not pass through.
        for parent in reversed(Path(target).parents[:-1]):
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
        args += [option, str(source), str(target)]
    kept = {name: environment[name] for name in PASSED_ON if name in environment}
    # JPY_PARENT_PID=1: ipykernel neither watches its parent (PID 1 here) nor prints its start-up banner.
    # IPython and Jupyter read their configuration and start-up files from empty folders of the sandbox's.
    kept.update(HOME=HOME, TMPDIR="/tmp", MPLCONFIGDIR="/tmp/matplotlib", LUNGKIT_DATA=str(data or ""),
                JPY_PARENT_PID="1", IPYTHONDIR="/tmp/ipython", JUPYTER_CONFIG_DIR="/tmp/jupyter",
                JUPYTER_DATA_DIR="/tmp/jupyter/data", JUPYTER_RUNTIME_DIR="/tmp/jupyter/runtime",
                JUPYTER_CONFIG_PATH="", JUPYTER_PATH="")
    for name, value in kept.items():
        args += ["--setenv", name, value]
    launcher = [sys.executable, "-I", f"{SCRIPTS_IN_SANDBOX}/launcher.py", json.dumps(settings), "--"]
    return args + ["--", *launcher, *command]


def run_script(script, environment, args=(), submission=None, inputs=None, outputs=None, stdin=b"", timeout=300,
               sandbox=True, warm=None, limits=Limits()):
    """Run ``python -I grading/judging/sandboxed/<script> ARGS``; ``(exit status, stdout bytes, stderr text)``.

    It starts in a scratch copy of ``submission`` (if given). ``inputs`` and ``outputs`` are the
    grader's folders, read-only and writable; in the sandbox they are mounted at ``/inputs`` and
    ``/outputs``, and ``args`` naming paths under them are rewritten to match. ``outputs`` only
    for a script that runs no student code. In the sandbox unless ``sandbox=False`` (trusted
    hand-ins only), within ``limits``. stdout and stderr go to files, so the sandbox's file-size limit caps them;
    past ``timeout`` seconds the process is killed and the status is None. ``warm``: the hand-in's
    ``warm.WarmParent``, which starts ``script`` instead (no ``args``, ``inputs`` or ``outputs`` then).
    """
    with tempfile.TemporaryDirectory(prefix="lungkit-run-") as scratch, \
            open(Path(scratch) / "out", "w+b") as out, open(Path(scratch) / "err", "w+b") as err:
        process = start_script(script, environment, scratch, args, submission, inputs, outputs, sandbox, warm, limits,
                               stdin=subprocess.PIPE, stdout=out, stderr=err)
        try:
            process.communicate(stdin, timeout=timeout)
            status = process.returncode
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            status = None
        out.seek(0)
        err.seek(0)
        return status, out.read(), err.read().decode(errors="replace")


def start_script(script, environment, scratch, args=(), submission=None, inputs=None, outputs=None, sandbox=True,
                 warm=None, limits=Limits(), **streams):
    """Start ``python -I grading/judging/sandboxed/<script> ARGS`` as ``run_script`` runs it; the Popen (or the
    WarmChild of ``warm``, when sandboxed).

    ``scratch``: a folder of the grader's that outlives the process (the unsandboxed copy of the
    submission goes there); ``streams``: Popen's stdin, stdout and stderr.
    """
    started = warm.start(script, **streams) if warm is not None and sandbox else None
    if started is not None:
        return started
    args = [str(arg) for arg in args]
    if not sandbox:
        cwd = Path(scratch) / (Path(submission).name if submission else "work")
        shutil.copytree(submission, cwd) if submission else cwd.mkdir()
        return subprocess.Popen([sys.executable, "-I", str(SCRIPTS / script), *args], cwd=cwd, env=environment,
                                **streams)
    for host, inside in ((inputs, INPUTS), (outputs, OUTPUTS)):
        args = [arg.replace(str(host), inside, 1) if host and arg.startswith(str(host)) else arg for arg in args]
    if outputs:
        Path(outputs).chmod(0o777)  # the sandbox user writes there
    command = bwrap_command([sys.executable, "-I", f"{SCRIPTS_IN_SANDBOX}/{script}", *args], environment,
                            submission=submission, inputs=inputs, outputs=outputs, limits=limits,
                            cpus=SandboxedKernelManager.cpus)
    return subprocess.Popen(command, **streams)


def last_line(text):
    """The last non-empty line of a sandboxed process's ``text`` (its stderr), for a message."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else "no message"


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the sandbox and talks over IPC sockets.

    ``submission``, set by whoever makes it (``GradingExecute``), is the folder the kernel gets a
    scratch copy of: what the student handed in, never the autograded notebooks, which hold the
    hidden tests; ``limits``, the sandbox's Limits, set by it too. Interrupts go as messages, since a
    signal to bubblewrap would not reach the kernel.
    """

    cpus = None  # the cores its kernels may use (one job's share); None: all

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._scratch = Path(tempfile.mkdtemp(prefix="lungkit-sandbox-"))  # 0700: the grader's only
        self._ipc_dir = self._scratch / "ipc"
        self._ipc_dir.mkdir()
        if os.getuid() == 0:
            self._ipc_dir.chmod(0o777)  # the kernel, another user, binds its sockets here
        self.transport = "ipc"
        self.connection_file = str(self._ipc_dir / "kernel.json")
        self.submission = None
        self.limits = Limits()
        self._environment = {}

    async def _async_pre_start_kernel(self, **kwargs):
        if self.submission is None or not Path(self.submission).is_dir():
            raise SandboxError(f"{self.submission} not found: a sandboxed kernel needs the collected hand-in it grades")
        self._environment = dict(kwargs.get("env") or os.environ)
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kwargs)

    def format_kernel_cmd(self, extra_arguments=None):
        Path(self.connection_file).chmod(0o644)  # readable by the sandbox user, inside a 0700 folder
        python, *arguments = super().format_kernel_cmd(extra_arguments)
        # -I: the kernel's folder (the hand-in) is not on sys.path, so nothing there runs before the kernel.
        return bwrap_command([python, "-I", *arguments], self._environment, submission=self.submission,
                             ipc_dir=self._ipc_dir, limits=self.limits, cpus=self.cpus)

    def lock_ipc_folder(self):
        """Once the kernel's sockets exist, take away its right to write more files there (root only)."""
        if os.getuid() == 0:
            self._ipc_dir.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._scratch, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources
