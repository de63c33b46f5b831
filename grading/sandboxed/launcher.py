"""Runs first inside the grading sandbox: limits, a scratch copy of the submission, then the command.

    python launcher.py SETTINGS_JSON -- COMMAND...

It is started by bubblewrap (see ``grading/sandbox.py``), before any student code, and uses the
standard library only. In order: it sets the resource limits and the cores the command may use,
copies the read-only submission (if there is one) into the sandbox's private home without the
configuration files a hand-in could use to run code at start-up, drops to the sandbox user when
it runs as root, and replaces itself with the command (a kernel, or a one-shot script) there.
"""
import json
import os
import resource
import shutil
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


def start_up_files(folder, names):
    """For shutil.copytree: the names in ``folder`` that configure IPython or Jupyter, left out of the copy."""
    return [name for name in names if name in START_UP]


def main(argv):
    settings, command = json.loads(argv[1]), argv[3:]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
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
    os.chdir(settings["workdir"])
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
