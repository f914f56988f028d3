"""tf.distribute with one replica (what TF 2.21 gives on a CPU-only machine): values, types,
contexts, Variable aggregation and the loss-scaling helpers, as TF's."""

import numpy as np

from tfdiff.harness import catch


def case_mirrored_one_replica_run_reduce(tf):
    s = tf.distribute.MirroredStrategy()
    with s.scope():
        v = tf.Variable(2.0)
        w = tf.Variable(1.0, aggregation=tf.VariableAggregation.SUM)

    def step(x):
        w.assign_add(x)
        return x * v

    out = s.run(step, args=(tf.constant(3.0),))
    fn_out = tf.function(lambda x: s.reduce("SUM", s.run(step, args=(x,)), axis=None))(
        tf.constant(4.0)
    )
    return (
        s.num_replicas_in_sync,
        out,
        s.reduce(tf.distribute.ReduceOp.SUM, out, axis=None),
        s.reduce(tf.distribute.ReduceOp.MEAN, tf.constant([1.0, 2.0, 4.0]), axis=0),
        s.reduce("SUM", tf.constant([[1.0, 2.0], [3.0, 4.0]]), axis=1),
        fn_out,
        w,
        s.experimental_local_results(out),
        s.gather(tf.constant([[1.0], [2.0]]), axis=0),
        v.aggregation,
        w.aggregation,
        v.synchronization,
    )


def case_replica_contexts(tf):
    s = tf.distribute.MirroredStrategy()
    outside = tf.distribute.get_replica_context()

    def fn():
        ctx = tf.distribute.get_replica_context()
        return (
            ctx.num_replicas_in_sync,
            ctx.replica_id_in_sync_group,
            ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.constant([1.0, 2.0])),
            ctx.all_reduce("MEAN", tf.constant(3.0)),
            tf.distribute.in_cross_replica_context(),
        )

    with s.scope():
        in_scope = (
            tf.distribute.get_replica_context() is None,
            tf.distribute.in_cross_replica_context(),
            tf.distribute.has_strategy(),
            tf.distribute.get_strategy() is s,
        )
    return (
        outside.num_replicas_in_sync,
        outside.replica_id_in_sync_group,
        tf.distribute.has_strategy(),
        tf.distribute.in_cross_replica_context(),
        in_scope,
        s.run(fn),
    )


def case_compute_average_loss(tf):
    per_example = tf.constant([1.0, 2.0, 3.0, 4.0])
    s = tf.distribute.MirroredStrategy()
    return (
        tf.nn.compute_average_loss(per_example),
        tf.nn.compute_average_loss(per_example, global_batch_size=8),
        tf.nn.compute_average_loss(per_example, sample_weight=[1.0, 0.0, 2.0, 1.0]),
        tf.nn.compute_average_loss(per_example, sample_weight=0.5, global_batch_size=3),
        tf.nn.compute_average_loss(tf.constant([[1.0, 2.0], [3.0, 5.0]])),
        tf.nn.compute_average_loss(per_example, global_batch_size=0),
        tf.nn.compute_average_loss(tf.constant([1.0, 2.0], tf.float64), global_batch_size=4),
        tf.nn.scale_regularization_loss(tf.constant([1.0, 3.0])),
        tf.nn.scale_regularization_loss(5.0),
        s.run(lambda: tf.nn.compute_average_loss(per_example)),
        s.run(lambda: tf.nn.scale_regularization_loss(tf.constant(2.0))),
        catch(tf.nn.compute_average_loss, tf.constant(1.0)),
        catch(lambda: tf.nn.compute_average_loss(per_example, global_batch_size=2.0)),
    )


def case_loss_helpers_in_cross_replica_context(tf):
    s = tf.distribute.MirroredStrategy()
    with s.scope():
        return (
            catch(tf.nn.compute_average_loss, tf.constant([1.0, 2.0])),
            tf.nn.compute_average_loss(tf.constant([1.0, 2.0]), global_batch_size=4),
            catch(tf.nn.scale_regularization_loss, tf.constant(1.0)),
        )


def case_variable_aggregation_modes(tf):
    return (
        tf.Variable(1.0).aggregation,
        tf.Variable(1.0).synchronization,
        tf.Variable(1.0, aggregation=tf.VariableAggregation.MEAN).aggregation,
        tf.Variable(
            1.0,
            trainable=False,
            synchronization=tf.VariableSynchronization.ON_READ,
            aggregation=tf.VariableAggregation.SUM,
        ).synchronization,
        tf.Variable(
            1.0,
            synchronization=tf.VariableSynchronization.ON_READ,
            aggregation=tf.VariableAggregation.SUM,
        ).trainable,
        catch(tf.Variable, 1.0, aggregation="sum"),
        catch(tf.Variable, 1.0, synchronization="on_read", name="v"),
        catch(
            tf.Variable,
            1.0,
            trainable=True,
            synchronization=tf.VariableSynchronization.ON_READ,
        ),
        catch(tf.Variable, 1.0, aggregation="bogus"),
        str(tf.VariableAggregation.ONLY_FIRST_REPLICA),
        str(tf.distribute.ReduceOp.MEAN),
    )


def case_distributed_dataset_one_replica(tf):
    s = tf.distribute.MirroredStrategy()
    ds = tf.data.Dataset.from_tensor_slices(np.arange(10, dtype=np.float32)).batch(4)
    dist = s.experimental_distribute_dataset(ds)
    seen = [x for x in dist]

    def fn(ctx):
        return (
            ctx.num_input_pipelines,
            ctx.input_pipeline_id,
            ctx.num_replicas_in_sync,
            ctx.get_per_replica_batch_size(8),
        )

    info = []

    def dataset_fn(ctx):
        info.append(fn(ctx))
        return tf.data.Dataset.range(3).batch(2)

    from_fn = [x for x in s.distribute_datasets_from_function(dataset_fn)]
    return seen, from_fn, info


def case_keras_training_in_scope(tf):
    tf.keras.utils.set_random_seed(3)
    s = tf.distribute.MirroredStrategy()
    with s.scope():
        model = tf.keras.Sequential(
            [
                tf.keras.Input((3,)),
                tf.keras.layers.Dense(4, activation="relu"),
                tf.keras.layers.Dense(2),
            ]
        )
        opt = tf.keras.optimizers.Adam(0.05)
        loss_obj = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
        metric = tf.keras.metrics.SparseCategoricalAccuracy()
    x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3)
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])

    def step(inputs):
        a, b = inputs
        with tf.GradientTape() as tape:
            p = model(a, training=True)
            loss = tf.nn.compute_average_loss(loss_obj(b, p))
            loss += tf.nn.scale_regularization_loss(
                tf.add_n([tf.reduce_sum(w**2) for w in model.trainable_variables]) * 1e-3
            )
        g = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(g, model.trainable_variables))
        metric.update_state(b, p)
        return loss

    @tf.function
    def dstep(inputs):
        return s.reduce(tf.distribute.ReduceOp.SUM, s.run(step, args=(inputs,)), axis=None)

    dist = s.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((x, y)).batch(4))
    losses = [dstep(b) for _ in range(3) for b in dist]
    return losses, metric.result(), tf.convert_to_tensor(model.weights[0]), opt.iterations.numpy()
