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
