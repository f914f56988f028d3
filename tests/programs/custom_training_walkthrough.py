"""TF tutorial "Custom training: walkthrough" (penguin classification), run unchanged but for
the import.

Source: https://www.tensorflow.org/tutorials/customization/custom_training_walkthrough
(TF 2 docs, Apache-2.0).  Changes: `import jaxtape as tf`; the penguins CSV (a download) is
replaced by 120 synthetic penguins with the same four features, three classes and batch size,
fed through `tf.data` as the tutorial's pipeline yields them; a seed; 51 epochs instead of 201;
plots left out.
"""

import numpy as np

import jaxtape as tf

tf.keras.utils.set_random_seed(7)

rng = np.random.RandomState(0)
centers = np.array([[39.0, 18.0, 190.0, 3700.0], [48.0, 18.0, 195.0, 3700.0],
                    [47.0, 15.0, 217.0, 5000.0]], np.float32)  # fmt: skip
scale = np.array([3.0, 1.0, 7.0, 400.0], np.float32)
labels_np = rng.randint(0, 3, size=120).astype(np.int64)
features_np = centers[labels_np] + rng.randn(120, 4).astype(np.float32) * scale
# the tutorial's preprocessing scales the features to about [0, 1]
features_np = (features_np - features_np.min(0)) / (features_np.max(0) - features_np.min(0))
class_names = ["Adélie", "Chinstrap", "Gentoo"]

ds_train_batch = tf.data.Dataset.from_tensor_slices((features_np[:100], labels_np[:100]))
ds_train_batch = ds_train_batch.batch(32)

features, labels = next(iter(ds_train_batch))
print(features[:5])

model = tf.keras.Sequential(
    [
        tf.keras.layers.Dense(10, activation=tf.nn.relu, input_shape=(4,)),  # input shape required
        tf.keras.layers.Dense(10, activation=tf.nn.relu),
        tf.keras.layers.Dense(3),
    ]
)

predictions = model(features)
print(predictions[:5])
print(tf.nn.softmax(predictions[:5]))
print("Prediction: {}".format(tf.math.argmax(predictions, axis=1)))
print("    Labels: {}".format(labels))

loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def loss(model, x, y, training):
    # training=training is needed only if there are layers with different
    # behavior during training versus inference (e.g. Dropout).
    y_ = model(x, training=training)

    return loss_object(y_true=y, y_pred=y_)


l = loss(model, features, labels, training=False)  # noqa: E741  (the tutorial's name)
print("Loss test: {}".format(l))


def grad(model, inputs, targets):
    with tf.GradientTape() as tape:
        loss_value = loss(model, inputs, targets, training=True)
    return loss_value, tape.gradient(loss_value, model.trainable_variables)


optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)

loss_value, grads = grad(model, features, labels)

print("Step: {}, Initial Loss: {}".format(optimizer.iterations.numpy(), loss_value.numpy()))

optimizer.apply_gradients(zip(grads, model.trainable_variables))

print(
    "Step: {},         Loss: {}".format(
        optimizer.iterations.numpy(), loss(model, features, labels, training=True).numpy()
    )
)

## Note: Rerunning this cell uses the same model parameters

# Keep results for plotting
train_loss_results = []
train_accuracy_results = []

num_epochs = 51

for epoch in range(num_epochs):
    epoch_loss_avg = tf.keras.metrics.Mean()
    epoch_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()

    # Training loop - using batches of 32
    for x, y in ds_train_batch:
        # Optimize the model
        loss_value, grads = grad(model, x, y)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))

        # Track progress
        epoch_loss_avg.update_state(loss_value)  # Add current batch loss
        # Compare predicted label to actual label
        # training=True is needed only if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        epoch_accuracy.update_state(y, model(x, training=True))

    # End epoch
    train_loss_results.append(epoch_loss_avg.result())
    train_accuracy_results.append(epoch_accuracy.result())

    if epoch % 10 == 0:
        print(
            "Epoch {:03d}: Loss: {:.3f}, Accuracy: {:.3%}".format(
                epoch, epoch_loss_avg.result(), epoch_accuracy.result()
            )
        )

ds_test = tf.data.Dataset.from_tensor_slices((features_np[100:], labels_np[100:]))

test_accuracy = tf.keras.metrics.Accuracy()
ds_test = ds_test.batch(10)

for x, y in ds_test:
    # training=False is needed only if there are layers with different
    # behavior during training versus inference (e.g. Dropout).
    logits = model(x, training=False)
    prediction = tf.math.argmax(logits, axis=-1, output_type=tf.int64)
    test_accuracy(prediction, y)

print("Test set accuracy: {:.3%}".format(test_accuracy.result()))
print(tf.stack([y, prediction], axis=-1)[0])

predict_dataset = tf.convert_to_tensor([[0.3, 0.8, 0.4, 0.5], [0.4, 0.1, 0.8, 0.5],
                                        [0.7, 0.9, 0.8, 0.4]])  # fmt: skip

# training=False is needed only if there are layers with different
# behavior during training versus inference (e.g. Dropout).
predictions = model(predict_dataset, training=False)

for i, logits in enumerate(predictions):
    class_idx = tf.math.argmax(logits).numpy()
    p = tf.nn.softmax(logits)[class_idx]
    name = class_names[class_idx]
    print("Example {} prediction: {} ({:4.1f}%)".format(i, name, 100 * p))
