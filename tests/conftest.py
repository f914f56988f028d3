"""Shared fixtures: behaviour tests run eagerly and under `jaxtape.function` and must agree."""

import logging

import pytest

import jaxtape as tf


@pytest.fixture(params=["eager", "function"])
def run(request):
    """`run(fn, *args)` calls fn eagerly or as a `jaxtape.function`."""
    if request.param == "eager":
        return lambda fn, *args: fn(*args)
    return lambda fn, *args: tf.function(fn)(*args)


@pytest.fixture
def jaxtape_log(caplog):
    caplog.set_level(logging.WARNING, logger="jaxtape")
    return caplog


@pytest.fixture
def lazy_on():
    """Lazy eager on for one test (tests/test_lazy*.py), the switch restored after."""
    before = tf.config.experimental.get_lazy_eager()
    tf.config.experimental.set_lazy_eager(True)
    yield
    tf.config.experimental.set_lazy_eager(before)


@pytest.fixture
def pin_ladder(monkeypatch):
    """`pin_ladder(cheap)`: lazy eager's bucket ladder decides without its timings, so a test can
    count compiles on a loaded machine (where a compile served from the persistent cache may
    look cheaper than a slowed-down call): cheap (bucket sizes skipped) or not as asked, and
    never refined (a compile is taken to cost forever), starting from no compiled segment (an
    earlier test's exact structure would run as its own compiled call, not in a bucket)."""
    from jaxtape._src import lazy

    def pin(cheap=False):
        monkeypatch.setattr(lazy, "CHEAP_RATIO", 0 if cheap else float("inf"))
        compiled = lazy._Ladder.compiled
        monkeypatch.setattr(
            lazy._Ladder, "compiled", lambda self, size, s: compiled(self, size, float("inf"))
        )
        for cache in (lazy._families, lazy._bucketed, lazy._ladders, lazy._compiled, lazy._seen):
            cache.clear()

    return pin
