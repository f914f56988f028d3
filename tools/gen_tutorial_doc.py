"""Generate docs/tutorial.md from examples/autodiff_tutorial.py (so the page's code is the code
that runs).  `--check` exits 1 when the page is stale (the tests run it)."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _docgen import write_or_check  # noqa: E402


def render():
    with open(os.path.join(ROOT, "examples", "autodiff_tutorial.py")) as f:
        src = f.read()
    body = src.split("OUT_DIR = ", 1)[1].split("\n", 1)[1]
    parts = re.split(r'\nsection\("([^"]+)"\)\n', "\n" + body)
    out = [
        "# The autodiff tutorial, with jaxtape",
        "",
        'The seed tutorial ("Tensorflow - part 3: Automatic differentiation"), every block '
        "run with `import jaxtape as tf`. Generated from `examples/autodiff_tutorial.py` by "
        "`python tools/gen_tutorial_doc.py`; the tests run this page's code.",
        "",
        "```python",
        "import matplotlib",
        'matplotlib.use("Agg")',
        "import matplotlib.pyplot as plt",
        "import numpy as np",
        "import os, tempfile",
        "import jaxtape as tf",
        "OUT_DIR = tempfile.mkdtemp()",
        "def section(title):",
        "    print(title)",
        "```",
        "",
    ]
    for i in range(1, len(parts), 2):
        out += ["## " + parts[i], "", "```python", parts[i + 1].strip("\n"), "```", ""]
    return "\n".join(out)


def main():
    write_or_check("docs/tutorial.md", render(), "gen_tutorial_doc.py")


if __name__ == "__main__":
    main()
