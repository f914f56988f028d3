"""tf.TensorArray as TF 2's eager one: writes, reads (cleared after read), stack / gather /
concat / unstack / scatter / split, dynamic size, inferred element shapes, errors, gradients
through the writes, and a Python loop inside function."""

from tfdiff.harness import catch


def case_fixed_size_reads_and_errors(tf):
    ta = tf.TensorArray(tf.float32, size=3)
    ta = ta.write(0, 1.0)
    ta = ta.write(1, 2.0)
    return (
        ta.stack(), ta.size(), ta.read(1), catch(ta.read, 1, match=True), ta.read(2),
        catch(ta.write, 3, 1.0, match=True), catch(ta.write, -1, 1.0, match=True),
        catch(ta.write, 0, tf.constant(1, tf.int32), match=True),
        catch(ta.write, 0, [1.0, 2.0], match=True),
    )  # fmt: skip


def case_dynamic_size(tf):
    d = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in range(4):
        d = d.write(i, tf.constant([float(i), 2.0 * i]))
    return d.stack(), d.gather([3, 1]), d.concat(), d.size(), d.element_shape.as_list()


def case_unstack_scatter_split(tf):
    u = tf.TensorArray(tf.int32, size=2, clear_after_read=False).unstack([[1, 2], [3, 4]])
    s = tf.TensorArray(tf.float32, size=3, clear_after_read=False)
    s = s.scatter([2, 0], tf.constant([[1.0, 1.0], [5.0, 5.0]]))
    p = tf.TensorArray(tf.float32, size=2, infer_shape=False).split([1.0, 2.0, 3.0], [1, 2])
    return (
        u.read(1), u.read(1), u.stack(), s.stack(), p.concat(),
        tf.TensorArray(tf.float32, size=0).stack(),
        tf.TensorArray(tf.float32, size=2, element_shape=[2]).stack(),
    )  # fmt: skip


def case_gradient_and_function(tf):
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as g:
        t = tf.TensorArray(tf.float32, size=3)
        for i in range(3):
            t = t.write(i, x[i] * x[i])
        y = tf.reduce_sum(t.stack() * tf.constant([1.0, 10.0, 100.0]))

    @tf.function
    def f(v):
        t = tf.TensorArray(tf.float32, size=3)
        for i in range(3):
            t = t.write(i, v * float(i))
        return t.stack()

    return g.gradient(y, x), f(tf.constant(2.0))
