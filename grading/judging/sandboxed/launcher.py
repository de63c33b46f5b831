"""Runs first inside the grading sandbox: limits, a scratch copy of the submission, then the command.

    python launcher.py SETTINGS_JSON -- COMMAND...

It is started by bubblewrap (see ``grading/judging/sandbox.py``), before any student code, and uses the
standard library only. In order: it sets the resource limits, a priority below the grader's and
the cores the command may use,
copies the read-only submission (if there is one) into the sandbox's private home without the
configuration files a hand-in could use to run code at start-up, drops to the sandbox user when
it runs as root, closes the kernel keyring with a seccomp filter, and replaces itself with the
command (a kernel, or a one-shot script) there.

The keyring is the one channel between two sandboxes that bubblewrap's namespaces leave open: keys
belong to a user id, and every sandbox of a grading run as root runs as the same few users. System
V IPC and POSIX message queues (the IPC namespace), abstract sockets (the network namespace) and
``/dev/shm`` (bubblewrap's own ``/dev``) are each sandbox's own already.
"""
import ctypes
import json
import os
import platform
import resource
import shutil
import struct
import sys

LIMITS = {
    "memory_bytes": resource.RLIMIT_AS,
    "processes": resource.RLIMIT_NPROC,
    "file_bytes": resource.RLIMIT_FSIZE,
    "cpu_seconds": resource.RLIMIT_CPU,
}


# Files that IPython or Jupyter would read at start-up from the kernel's folder: a hand-in's are never used.
START_UP = ("ipython_config.py", "ipython_kernel_config.py", "jupyter_config.py", "jupyter_config.json",
            ".ipython", ".jupyter", "ipython_config.json", "ipython_kernel_config.json")


# The kernel keyring's system calls (add_key, request_key, keyctl) and the audit architecture, per CPU.
KEYRING_CALLS = {"x86_64": (0xC000003E, (248, 249, 250)), "aarch64": (0xC00000B7, (217, 218, 219))}
X32_BIT = 0x40000000  # x86_64's x32 calls: none of the kit's software uses them
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_EPERM = 0x7FFF0000, 0x00050000 | 1
LOAD_WORD, JUMP_EQUAL, JUMP_AT_LEAST, RETURN = 0x20, 0x15, 0x35, 0x06


def keyring_filter(machine):
    """A seccomp program (BPF) that fails the keyring's calls, calls of another architecture, and
    x32 calls with EPERM, and allows everything else."""
    if machine not in KEYRING_CALLS:
        raise OSError(f"the grading sandbox knows the keyring's system calls on {' and '.join(KEYRING_CALLS)} "
                      f"only, not on {machine}")
    arch, calls = KEYRING_CALLS[machine]
    denied = 5 + len(calls)  # the index of the last instruction, the refusal
    program = [(LOAD_WORD, 0, 0, 4), (JUMP_EQUAL, 0, denied - 2, arch), (LOAD_WORD, 0, 0, 0),
               (JUMP_AT_LEAST, denied - 4, 0, X32_BIT)]
    program += [(JUMP_EQUAL, denied - 5 - index, 0, number) for index, number in enumerate(calls)]
    program += [(RETURN, 0, 0, RET_ALLOW), (RETURN, 0, 0, RET_EPERM)]
    return b"".join(struct.pack("HBBI", *instruction) for instruction in program), len(program)


def close_keyring():
    """Install ``keyring_filter`` for this process and all it starts (it cannot be removed)."""
    code, length = keyring_filter(platform.machine().lower())
    buffer = ctypes.create_string_buffer(code)

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    for option, *arguments in ((PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
                               (PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                                ctypes.byref(Program(length, ctypes.addressof(buffer))), 0, 0)):
        if libc.prctl(option, *arguments) != 0:
            raise OSError(ctypes.get_errno(), "the sandbox could not close the kernel keyring (prctl)")


def start_up_files(folder, names):
    """For shutil.copytree: the names in ``folder`` that configure IPython or Jupyter, left out of the copy."""
    return [name for name in names if name in START_UP]


def main(argv):
    settings, command = json.loads(argv[1]), argv[3:]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(settings["niceness"])
    if settings["cpus"]:
        os.sched_setaffinity(0, settings["cpus"])
    for name, limit in LIMITS.items():
        resource.setrlimit(limit, (settings[name], settings[name]))
    if settings["submission"]:
        shutil.copytree(settings["submission"], settings["workdir"], symlinks=True, ignore=start_up_files)
    os.makedirs(settings["workdir"], exist_ok=True)
    if os.getuid() == 0:
        uid = settings["uid"]
        os.lchown("/tmp", uid, uid)  # only the folder: it may hold read-only mounts
        for folder, _, files in os.walk(settings["home"]):
            for path in [folder, *(os.path.join(folder, name) for name in files)]:
                os.lchown(path, uid, uid)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    close_keyring()
    os.chdir(settings["workdir"])
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
