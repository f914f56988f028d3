import jaxtape as tf

x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x * x
print(tape.gradient(y, x))   # tf.Tensor(6.0, shape=(), dtype=float32)
