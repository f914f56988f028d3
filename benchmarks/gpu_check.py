"""On an accelerator: the forward ops, the compiled backward pass and jaxtape.function all run
on the device (not on the CPU)."""

import jax

import jaxtape as tf

dev = jax.devices()[0]
print("default backend:", jax.default_backend(), dev.device_kind)
x = tf.Variable(tf.random.normal((512, 512)))
with tf.GradientTape() as t:
    y = tf.reduce_sum(tf.tanh(x @ x))
g = t.gradient(y, x)
arr = tf.to_jax(g)
print("gradient device:", g.device, "| jax devices:", arr.devices())
assert all(d.platform != "cpu" for d in arr.devices()), "backward pass ran on the CPU"


@tf.function
def step():
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.tanh(x @ x) ** 2)
    x.assign_sub(0.01 * tape.gradient(loss, x))
    return loss


step()
print("function output device:", step().device, "| variable device:", x.device)
assert "GPU" in x.device or "TPU" in x.device
print("GPU CHECK OK")
