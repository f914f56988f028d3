import os

import numpy as np
import pytest

import jaxtape as tf
from jaxtape.testing import assert_allclose


def _model_and_opt():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(1)])
    opt = tf.keras.optimizers.Adam(0.01)
    return model, opt


def _train(model, opt, steps=3):
    x = tf.constant(np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3))
    y = tf.constant(np.linspace(0, 1, 8, dtype=np.float32).reshape(8, 1))
    for _ in range(steps):
        with tf.GradientTape() as t:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        opt.apply_gradients(zip(t.gradient(loss, model.trainable_variables),
                                model.trainable_variables))
    return float(loss)


def test_round_trip_model_optimizer_and_variables(tmp_path):
    model, opt = _model_and_opt()
    v = tf.Variable([1.0, 2.0], name="v")
    _train(model, opt)
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, extra={"v": v})
    path = ckpt.save(str(tmp_path / "ckpt"))
    assert path.endswith("ckpt-1") and os.path.exists(path + ".npz")
    weights = [w.numpy() for w in model.weights]
    slots = [s.numpy() for ss in opt._slots.values() for s in ss]
    _train(model, opt)
    v.assign([0.0, 0.0])
    ckpt.restore(path)
    assert_allclose([w.numpy() for w in model.weights], weights)
    assert_allclose([s.numpy() for ss in opt._slots.values() for s in ss], slots)
    assert int(opt.iterations.numpy()) == 3 and v.numpy().tolist() == [1.0, 2.0]
    # into fresh objects: optimizer slots are created on restore
    model2, opt2 = _model_and_opt()
    tf.train.Checkpoint(model=model2, optimizer=opt2, extra={"v": tf.Variable([0.0, 0.0])}).restore(path)
    assert_allclose([w.numpy() for w in model2.weights], weights)
    assert int(opt2.iterations.numpy()) == 3 and len(opt2._slots) == 4


def test_mismatch_is_a_clear_error(tmp_path):
    v = tf.Variable([1.0, 2.0])
    path = tf.train.Checkpoint(v=v).save(str(tmp_path / "c"))
    with pytest.raises(ValueError, match="shape"):
        tf.train.Checkpoint(v=tf.Variable([1.0, 2.0, 3.0])).restore(path)
    with pytest.raises(ValueError, match="dtype"):
        tf.train.Checkpoint(v=tf.Variable([1, 2])).restore(path)
    with pytest.raises(tf.errors.NotFoundError):
        tf.train.Checkpoint(v=v).restore(str(tmp_path / "missing-1"))


def test_crash_during_save_leaves_previous_checkpoint(tmp_path, monkeypatch):
    v = tf.Variable([1.0, 2.0])
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), str(tmp_path), max_to_keep=2)
    first = manager.save()
    v.assign([5.0, 6.0])

    def crash(f, **arrays):
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk died mid-save")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError):
        manager.save()
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.json", "ckpt-1.npz"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
    v.assign([0.0, 0.0])
    tf.train.Checkpoint(v=v).restore(first)
    assert v.numpy().tolist() == [1.0, 2.0]


def test_manager_keeps_max_and_reloads(tmp_path):
    v = tf.Variable(0.0)
    ckpt = tf.train.Checkpoint(v=v)
    m = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    for i in range(4):
        v.assign(float(i))
        m.save()
    assert [os.path.basename(p) for p in m.checkpoints] == ["ckpt-3", "ckpt-4"]
    m2 = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(0.0)), str(tmp_path))
    assert m2.latest_checkpoint == m.latest_checkpoint
