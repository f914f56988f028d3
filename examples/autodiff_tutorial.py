"""The seed tutorial "Tensorflow - part 3: Automatic differentiation", run with jaxtape.

Every code block of the tutorial, with its lost indentation restored (and the few lines it lost
restored the way the project's conformance oracle restores them), run with `import jaxtape as tf`.
It prints what TensorFlow 2.21 prints for the same code and saves the tutorial's two plots as
`res1.png` and `res2.png` next to this file (or in the folder given as the first argument).

    python examples/autodiff_tutorial.py
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")  # no screen needed: the plots are saved as PNG files

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402,F401  (the tutorial imports it)

import jaxtape as tf  # noqa: E402

OUT_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def section(title):
    print()
    print("=" * 8, title, "=" * 8)


section("A non-persistent tape")
tensor_x = tf.Variable(2.0)  # x: a Tensorflow variable of scalar
with tf.GradientTape() as tape:
    tensor_y1 = tensor_x**2  # y1
    tensor_y2 = tensor_x**3  # y2
tensor_dy1_dx = tape.gradient(tensor_y1, tensor_x)  # dy = 2x dx
print(tensor_dy1_dx)
try:
    tensor_dy2_dx = tape.gradient(tensor_y2, tensor_x)  # dy = 3x^2 dx
    print(tensor_dy2_dx)
except RuntimeError as e:
    print("RuntimeError:", e)

section("Persistent tape")
with tf.GradientTape(persistent=True) as tape:
    tensor_y1 = tensor_x**2
    tensor_y2 = tensor_x**3
    tensor_y3 = 4 * tensor_x + 1
tensor_dy1_dx = tape.gradient(tensor_y1, tensor_x)  # dy = 2x dx
tensor_dy2_dx = tape.gradient(tensor_y2, tensor_x)  # dy = 3x^2 dx
tensor_dy3_dx = tape.gradient(tensor_y3, tensor_x)  # dy = 4 dx
print(tensor_dy1_dx)
print(tensor_dy2_dx)
print(tensor_dy3_dx)
del tape

section("Conditions to use tf.GradientTape.gradient()")
tf.random.set_seed(1)
tensor_w = tf.Variable(tf.random.uniform((4, 3), minval=-20, maxval=20, dtype=tf.float32), name='w')  # w: weight
tensor_b = tf.Variable(tf.ones(3, dtype=tf.float32), name='b')  # bias
print(tensor_w)


def make_x(case):
    if case == 1:
        return tf.Variable([[1, 2, 3, 4]], dtype=tf.float32, name='x')  # Case 1
    if case == 2:
        # "tensor_w and tensor_b are also converted to type tf.int32": regenerated as int32
        return tf.Variable([[1, 2, 3, 4]], dtype=tf.int32, name='x')  # Case 2
    if case == 3:
        return tf.Variable([[1, 2, 3, 4]], dtype=tf.float32, trainable=False)  # Case 3
    if case == 4:
        return tf.constant([[1, 2, 3, 4]], dtype=tf.float32)  # Case 4
    return tf.Variable([[1, 2, 3, 4]], dtype=tf.float32, name='x') + 1.0  # Case 5


def make_wb(case):
    tf.random.set_seed(1)
    if case == 2:
        w = tf.Variable(tf.random.uniform((4, 3), minval=-20, maxval=20, dtype=tf.int32), name='w')
        b = tf.Variable(tf.ones(3, dtype=tf.int32), name='b')
    else:
        w = tf.Variable(tf.random.uniform((4, 3), minval=-20, maxval=20, dtype=tf.float32), name='w')
        b = tf.Variable(tf.ones(3, dtype=tf.float32), name='b')
    return w, b


for watch in (False, True):
    print()
    print("tape.watch(tensor_x) %s:" % ("uncommented" if watch else "commented out"))
    for case in (1, 2, 3, 4, 5):
        tensor_w, tensor_b = make_wb(case)
        tensor_x = make_x(case)
        with tf.GradientTape(persistent=True) as tape:
            if watch:
                tape.watch(tensor_x)
            tensor_y = tensor_x @ tensor_w + tensor_b  # @ is matrix multiplication
            tensor_loss = tf.reduce_mean(tensor_y**2)
        tensor_dy_dx = tape.gradient(tensor_y, tensor_x)
        tensor_dloss_dy = tape.gradient(tensor_loss, tensor_y)
        tensor_dloss_dx = tape.gradient(tensor_loss, tensor_x)
        print("Case %d:" % case)
        print('[+] tensor_y: ', tensor_y)
        print('[+] tensor_loss: ', tensor_loss)
        print('[+] tensor_dy_dx: ', tensor_dy_dx)
        print('[+] tensor_dloss_dy: ', tensor_dloss_dy)
        print('[+] tensor_dloss_dx: ', tensor_dloss_dx)

section("Source as list, dictionary; target as dictionary (case 1)")
tensor_w, tensor_b = make_wb(1)
tensor_x = make_x(1)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(tensor_x)
    tensor_y = tensor_x @ tensor_w + tensor_b
    tensor_loss = tf.reduce_mean(tensor_y**2)
tensor_dloss_dw, tensor_dloss_db = tape.gradient(tensor_loss, [tensor_w, tensor_b])
print('[+] tensor_dloss_dw: ', tensor_dloss_dw)
print('[+] tensor_dloss_db: ', tensor_dloss_db)
dic_vars = {
    'tensor_w': tensor_w,
    'tensor_b': tensor_b,
}
tensor_dloss_dwdb_dic = tape.gradient(tensor_loss, dic_vars)
print('[+] tensor_dloss_dw_dic: ', tensor_dloss_dwdb_dic['tensor_w'])
print('[+] tensor_dloss_db_dic: ', tensor_dloss_dwdb_dic['tensor_b'])
tensor_dydloss_dx = tape.gradient({'tensor_y': tensor_y, 'tensor_loss': tensor_loss}, tensor_x)
print('[+] tensor_dydloss_dx: ', tensor_dydloss_dx)
print([v.name for v in tape.watched_variables()])
tensor_dloss_dx = tape.gradient(tensor_loss, tensor_x)
tensor_dloss_dy = tape.gradient(tensor_loss, tensor_y)
print(tensor_x.shape)  # source
print(tensor_dloss_dx.shape)
print(tensor_y.shape)  # source
print(tensor_dloss_dy.shape)
print(tensor_w.shape)  # source
print(tensor_dloss_dw.shape)
print(tensor_b.shape)  # source
print(tensor_dloss_db.shape)

section("See which variables are watched by tape")
for case in (1, 2, 3, 4, 5):
    tensor_w, tensor_b = make_wb(case)
    tensor_x = make_x(case)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(tensor_x)
        tensor_y = tensor_x @ tensor_w + tensor_b
        tensor_loss = tf.reduce_mean(tensor_y**2)
    print("Case %d:" % case)
    print('[+] watched variables: ', [watched_var.name for watched_var in tape.watched_variables()])

section("Checking which operations are stored for the backward propagation")
# The tutorial's printed kernels, so the output is reproducible (Dense's default is glorot).
layer1 = tf.keras.layers.Dense(2, activation='relu', name="dense_1", kernel_initializer=tf.keras.initializers.Constant(
    [[-0.57740456, -0.572319], [0.00795567, 0.5992962], [0.24269533, 0.8154019]]))
layer2 = tf.keras.layers.Dense(4, activation='relu', name="dense_2", kernel_initializer=tf.keras.initializers.Constant(
    [[0.46956396, -0.71557474, -0.8732331, -0.62160015], [0.59634185, 0.40849257, -0.18213058, 0.02854967]]))
tensor_x = tf.constant([[1., 2., 3.]])
with tf.GradientTape(persistent=True) as tape:
    tensor_h = layer1(tensor_x)
    tensor_y = layer2(tensor_h)
    tensor_loss = tf.reduce_mean(tensor_y**2)
tensor_dloss_dvars_layer1 = tape.gradient(tensor_loss, layer1.trainable_variables)
tensor_dloss_dvars_layer2 = tape.gradient(tensor_loss, layer2.trainable_variables)
print('[+] The trainable vairables of layer1: ', layer1.trainable_variables)
print('[+] The trainable vairables of layer2: ', layer2.trainable_variables)
print("Dense 1:")
for var, grad in zip(layer1.trainable_variables, tensor_dloss_dvars_layer1):
    print('[+] variable name, shape: {0}, {1}'.format(var.name, grad.shape))
print("Dense 2:")
for var, grad in zip(layer2.trainable_variables, tensor_dloss_dvars_layer2):
    print('[+] variable name, shape: {0}, {1}'.format(var.name, grad.shape))

section("Control flow")
tensor_x1 = tf.Variable(3.0)
tensor_x2 = tf.Variable(3.0)
tensor_flag = tf.constant(2.0)  # a tensor to use in the if condition; must be float
with tf.GradientTape(persistent=True) as tape:
    tape.watch(tensor_x1)
    tape.watch(tensor_x2)
    tape.watch(tensor_flag)
    if tensor_flag % 2 == 0:
        tensor_res_1 = 4 * (tensor_x1**2) + 3
    else:
        tensor_res_1 = tensor_x2**3
tensor_dres1_dx1, tensor_dres1_dx2 = tape.gradient(tensor_res_1, [tensor_x1, tensor_x2])
print('[+] tensor_dres1_dx1: ', tensor_dres1_dx1)
print('[+] tensor_dres1_dx2', tensor_dres1_dx2)
with tf.GradientTape(persistent=True) as tape2:
    tape2.watch(tensor_x1)
    tape2.watch(tensor_x2)
    if tf.math.equal(tensor_res_1, 4 * (tensor_x1**2) + 3).numpy().all():
        tensor_res_2 = tensor_x2**3
    else:
        tensor_res_2 = 4 * (tensor_x1**2) + 3
tensor_dres2_dx1, tensor_dres2_dx2 = tape2.gradient(tensor_res_2, [tensor_x1, tensor_x2])
print('[+] tensor_dres2_dx1: ', tensor_dres2_dx1)
print('[+] tensor_dres2_dx2', tensor_dres2_dx2)
tensor_dres2_dx1_tmp, tensor_dres2_dx2_tmp = tape.gradient(tensor_res_2, [tensor_x1, tensor_x2])
print('[+] tensor_dres2_dx1_tmp: ', tensor_dres2_dx1_tmp)
print('[+] tensor_dres2_dx2_tmp: ', tensor_dres2_dx2_tmp)

section("Plot a function and its gradient")
tensor_x1 = tf.linspace(-15.0, 15.0, 150 + 1)
tensor_x2 = tf.linspace(-15.0, 15.0, 150 + 1)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(tensor_x1)
    tape.watch(tensor_x2)
    tape.watch(tensor_flag)
    if tensor_flag % 2 == 0:
        tensor_res_1 = 4 * (tensor_x1**2) + 3
    else:
        tensor_res_1 = tensor_x2**3
tensor_dres1_dx1, tensor_dres1_dx2 = tape.gradient(tensor_res_1, [tensor_x1, tensor_x2])
with tf.GradientTape(persistent=True) as tape2:
    tape2.watch(tensor_x1)
    tape2.watch(tensor_x2)
    if tf.math.equal(tensor_res_1, 4 * (tensor_x1**2) + 3).numpy().all():
        tensor_res_2 = tensor_x2**3
    else:
        tensor_res_2 = 4 * (tensor_x1**2) + 3
tensor_dres2_dx1, tensor_dres2_dx2 = tape2.gradient(tensor_res_2, [tensor_x1, tensor_x2])

plt.figure()
plt.plot(tensor_x1, tensor_res_1, label='res1')
plt.plot(tensor_x1, tensor_dres1_dx1, label='dres1')
plt.legend()
path1 = os.path.join(OUT_DIR, "res1.png")
plt.savefig(path1)
plt.figure()
plt.plot(tensor_x2, tensor_res_2, label='res2')
plt.plot(tensor_x2, tensor_dres2_dx2, label='dres2')
plt.legend()
path2 = os.path.join(OUT_DIR, "res2.png")
plt.savefig(path2)
print("saved", path1, "and", path2)

section("Unconnected gradients as zeros")
tensor_x1 = tf.Variable(3.0)
tensor_x2 = tf.Variable(3.0)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(tensor_x1)
    tape.watch(tensor_x2)
    tensor_res_1 = 4 * (tensor_x1**2) + 3
tensor_dres1_dx1, tensor_dres1_dx2 = tape.gradient(
    tensor_res_1, [tensor_x1, tensor_x2], unconnected_gradients=tf.UnconnectedGradients.ZERO)
print('[+] tensor_dres1_dx2', tensor_dres1_dx2)
