import os, sys, warnings, re
sys.path.insert(0, "benchmarks")
warnings.simplefilter("always")
import bench_function as bf
import jax, jax.numpy as jnp, optax
import jaxtape as tf
OUT = os.environ.get("OUT", "/tmp")
cfg = bf.CONFIGS["W3"]
run_tape, fn = bf.jaxtape_step(cfg)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    for _ in range(3): run_tape()
    print("warnings:", [str(x.message)[:200] for x in w])
conc = list(fn._cache.values())[0]
args = [jnp.copy(v._value) for v in conc.donated] + [v._value for v in conc.readonly]
comp = conc.jitted.lower(*args).compile()
open(os.path.join(OUT, "tape_hlo.txt"), "w").write(comp.as_text())
open(os.path.join(OUT, "tape_jaxpr.txt"), "w").write(str(jax.make_jaxpr(conc.jitted)(*args)))
params, x, y = bf._data(cfg)
ps = [jnp.array(p.numpy()) for p in params]
xj, yj = tf.to_jax(x), tf.to_jax(y)
tx = optax.sgd(0.01)
def loss_fn(ps):
    h = xj
    for i in range(3):
        h = h @ ps[2 * i] + ps[2 * i + 1]
        if i < 2: h = jax.nn.relu(h)
    return jnp.mean((h - yj) ** 2)
def _step(ps, st):
    loss, g = jax.value_and_grad(loss_fn)(ps)
    upd, st = tx.update(g, st, ps)
    return optax.apply_updates(ps, upd), st, loss
ref = jax.jit(_step, donate_argnums=(0, 1)).lower(ps, tx.init(ps)).compile()
open(os.path.join(OUT, "ref_hlo.txt"), "w").write(ref.as_text())
for name, h in (("tape", comp.as_text()), ("ref", ref.as_text())):
    e = h[h.index("ENTRY"):]
    print(name, "fusions", len(re.findall(r"fusion\(", e)), "copies", len(re.findall(r" copy\(", e)),
          "custom-calls", e.count("custom-call("), "alias:", re.findall(r"input_output_alias=\{[^}]*\}", h)[:1])
