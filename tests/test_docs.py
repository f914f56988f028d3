"""The documentation: its code runs, generated pages are current, the site builds strictly."""

import linecache
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["getting-started.md", "none.md", "tutorial.md", "extending.md", "function.md", "jax.md"]


def _blocks(page):
    with open(os.path.join(ROOT, "docs", page)) as f:
        text = f.read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.parametrize("page", PAGES)
def test_page_code_runs(page, capsys):
    blocks = _blocks(page)
    assert blocks, page
    namespace = {"__name__": "docs_" + page}
    for i, code in enumerate(blocks):
        # each block gets a source "file" (as IPython gives a cell): AutoGraph reads the source
        name = "<docs/%s block %d>" % (page, i)
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
        exec(compile(code, name, "exec"), namespace)  # noqa: S102 - running the docs is the test


@pytest.mark.parametrize("tool", ["gen_ops_doc.py", "gen_tutorial_doc.py"])
def test_generated_pages_are_current(tool):
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", tool), "--check"], check=True)


def test_site_builds_strictly(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-d",
            str(tmp_path / "site"),
            "-f",
            os.path.join(ROOT, "mkdocs.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "site" / "none" / "index.html").exists()


def test_docstring_examples_run():
    import doctest
    import importlib
    import pkgutil

    import jaxtape

    ran = 0
    for info in pkgutil.walk_packages(jaxtape.__path__, "jaxtape."):
        for test in doctest.DocTestFinder().find(importlib.import_module(info.name)):
            if test.examples:
                result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(test)
                assert result.failed == 0, test.name
                ran += result.attempted
    assert ran >= 5
