"""Shared by the page generators: write a generated page, or with --check fail when stale."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_or_check(relpath, text, tool):
    path = os.path.join(ROOT, relpath)
    if "--check" in sys.argv:
        with open(path) as f:
            stale = f.read() != text
        if stale:
            print("%s is stale: run python tools/%s" % (relpath, tool))
            sys.exit(1)
        return
    with open(path, "w") as f:
        f.write(text)
    print("wrote", path)
