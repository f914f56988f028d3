"""Keras 3 metrics: update_state / result / reset_state, sample weights, eager and in function."""


def _yt(tf):
    return tf.constant([[0.0], [1.0], [1.0], [0.0], [1.0]])


def _yp(tf):
    return tf.constant([[0.1], [0.8], [0.4], [0.6], [0.95]])


def case_mean_and_sum(tf):
    m = tf.keras.metrics.Mean()
    m.update_state([1.0, 3.0, 5.0, 7.0])
    a = m.result()
    m.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[1.0, 0.0])
    b = m.result()
    m.reset_state()
    s = tf.keras.metrics.Sum()
    s.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
    return a, b, m.result(), s.result(), m.name, s.name, [v.name for v in m.variables]


def case_accuracies(tf):
    M = tf.keras.metrics
    out = []
    acc = M.Accuracy()
    acc.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    out.append(acc.result())
    ba = M.BinaryAccuracy()
    ba.update_state(_yt(tf), _yp(tf))
    out.append(ba.result())
    ba2 = M.BinaryAccuracy(threshold=0.7)
    ba2.update_state(_yt(tf), _yp(tf), sample_weight=[1.0, 2.0, 1.0, 0.0, 1.0])
    out.append(ba2.result())
    ca = M.CategoricalAccuracy()
    ca.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
    out.append(ca.result())
    sca = M.SparseCategoricalAccuracy()
    sca.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    sca.update_state([0, 1], [[0.7, 0.2, 0.1], [0.9, 0.05, 0.05]], sample_weight=[0.5, 1.5])
    out.append(sca.result())
    mse = M.MeanSquaredError()
    mse.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    out.append(mse.result())
    mae = M.MeanAbsoluteError()
    mae.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    out.append(mae.result())
    return out + [acc.name, ba.name, ca.name, sca.name, mse.name, mae.name]


def case_precision_recall(tf):
    M = tf.keras.metrics
    p, r = M.Precision(), M.Recall()
    p.update_state(_yt(tf), _yp(tf))
    r.update_state(_yt(tf), _yp(tf))
    p2 = M.Precision(thresholds=[0.3, 0.5, 0.9])
    p2.update_state(_yt(tf), _yp(tf), sample_weight=[1.0, 1.0, 2.0, 1.0, 0.5])
    r2 = M.Recall(thresholds=0.7)
    r2.update_state(_yt(tf), _yp(tf))
    return p.result(), r.result(), p2.result(), r2.result(), p.name, r.name


def case_auc(tf):
    M = tf.keras.metrics
    a = M.AUC()
    a.update_state(_yt(tf), _yp(tf))
    b = M.AUC(num_thresholds=5)
    b.update_state(_yt(tf), _yp(tf), sample_weight=[1.0, 2.0, 1.0, 1.0, 0.5])
    c = M.AUC(curve="PR")
    c.update_state(_yt(tf), _yp(tf))
    d = M.AUC(summation_method="minoring", num_thresholds=10)
    d.update_state(_yt(tf), _yp(tf))
    return a.result(), b.result(), c.result(), d.result(), a.name


def case_metrics_in_function(tf):
    M = tf.keras.metrics
    acc, mean, auc = M.SparseCategoricalAccuracy(), M.Mean(), M.AUC(num_thresholds=20)

    @tf.function
    def step(y, p, b, s):
        acc.update_state(y, p)
        mean.update_state(tf.reduce_sum(p))
        auc.update_state(b, s)

    step(tf.constant([1, 0]), tf.constant([[0.2, 0.8], [0.3, 0.7]]), _yt(tf), _yp(tf))
    step(tf.constant([0, 0]), tf.constant([[0.9, 0.1], [0.6, 0.4]]), _yt(tf), _yp(tf) * 0.5)
    return acc.result(), mean.result(), auc.result()


def case_metric_call_and_reset(tf):
    m = tf.keras.metrics.BinaryAccuracy()
    first = m(_yt(tf), _yp(tf))
    m.reset_state()
    return first, m.result(), m([[1.0]], [[0.2]])
