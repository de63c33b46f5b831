"""Runs first inside the grading sandbox: limits, a scratch copy of the submission, then the kernel.

    python kernel_launcher.py SETTINGS_JSON -- KERNEL_COMMAND...

It is started by bubblewrap (see ``sandbox.py``), before any student code, and uses the
standard library only. In order: it sets the resource limits and the cores the kernel may use,
copies the read-only submission into the sandbox's private home, drops to the sandbox user
when it runs as root, and replaces itself with the kernel in that copy.
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


def main(argv):
    settings, command = json.loads(argv[1]), argv[3:]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if settings["cpus"]:
        os.sched_setaffinity(0, settings["cpus"])
    for name, limit in LIMITS.items():
        resource.setrlimit(limit, (settings[name], settings[name]))
    shutil.copytree(settings["submission"], settings["workdir"], symlinks=True)
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
