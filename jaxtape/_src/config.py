"""`tf.config`: devices as TF names them (over `jax.devices()`), and `run_functions_eagerly`.

What maps to JAX and what is accepted without effect:

* `list_physical_devices` / `list_logical_devices` / `get_visible_devices`: JAX's devices of this
  process, named as TF names them (`/physical_device:GPU:0`).
* `set_visible_devices`: JAX cannot hide a device once it has started; the call is accepted
  when it keeps every device visible, else it raises RuntimeError naming JAX's route
  (`CUDA_VISIBLE_DEVICES` / `JAX_PLATFORMS` set before the process starts), as TF raises once its
  devices are initialised.
* `experimental.set_memory_growth`: accepted for GPUs (JAX's allocator is configured with
  `XLA_PYTHON_CLIENT_PREALLOCATE=false` before start); refused for CPUs with TF's ValueError.
* `run_functions_eagerly(True)`: every `jaxtape.function` calls its Python function directly,
  as TF does (for debugging); `functions_run_eagerly()` reads the switch.
* `experimental.set_lazy_eager(True)` (jaxtape's own; `JAXTAPE_LAZY_EAGER=1` before start): eager
  ops are recorded into a pending segment that runs as one compiled call when a value is read
  or an optimizer step ends (see lazy.py and docs/lazy_eager.md); `get_lazy_eager()` reads it.
"""

from __future__ import annotations

import collections

from jaxtape._src import lazy
from jaxtape._src.registry import export_value

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])

RUN_EAGERLY = {"enabled": False}
_MEMORY_GROWTH: dict = {}


def _kind(d):
    p = d.platform.upper()
    return "GPU" if p in ("GPU", "CUDA", "ROCM") else p


def _devices(kind_filter, make, prefix):
    import jax

    out, counts = [], collections.Counter()
    for d in jax.devices():
        k = _kind(d)
        i = counts[k]
        counts[k] += 1
        if kind_filter is None or kind_filter.upper() == k:
            out.append(make("%s:%s:%d" % (prefix, k, i), k))
    return out


def list_physical_devices(device_type=None):
    """`tf.config.list_physical_devices`.  As TF, one physical CPU whatever the number of
    (logical) CPU devices; asking for the CPU only does not start JAX's devices, so
    `set_logical_device_configuration` can follow."""
    if device_type is not None and device_type.upper() == "CPU":
        return [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    found = _devices(device_type, PhysicalDevice, "/physical_device")
    cpus = [d for d in found if d.device_type == "CPU"]
    return [d for d in found if d.device_type != "CPU" or d is cpus[0]]


def list_logical_devices(device_type=None):
    """`tf.config.list_logical_devices`."""
    return _devices(device_type, LogicalDevice, "/device")


def get_visible_devices(device_type=None):
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type=None):
    """Accepted when every device stays visible; JAX cannot hide a started device."""
    wanted = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    current = list_physical_devices(device_type)
    if sorted(wanted) != sorted(current):
        raise RuntimeError(
            "Visible devices cannot be modified after being initialized. "
            "jaxtape runs on JAX, which chooses its devices when it starts: set "
            "CUDA_VISIBLE_DEVICES or JAX_PLATFORMS before the process starts."
        )


def set_memory_growth(device, enable):
    if device.device_type == "CPU":
        raise ValueError("Cannot set memory growth on non-GPU and non-Pluggable devices")
    _MEMORY_GROWTH[device.name] = bool(enable)


def get_memory_growth(device):
    if device.device_type == "CPU":
        raise ValueError("Cannot get memory growth on non-GPU and non-Pluggable devices")
    return _MEMORY_GROWTH.get(device.name, False)


LogicalDeviceConfiguration = collections.namedtuple(
    "LogicalDeviceConfiguration",
    ["memory_limit", "experimental_priority", "experimental_device_ordinal"],
    defaults=(None, None, 0),
)
_LOGICAL: dict = {}


def set_logical_device_configuration(device, logical_devices):
    """`tf.config.set_logical_device_configuration`.  N logical CPUs are JAX's N CPU devices
    (`jax_num_cpu_devices`), settable before JAX starts its devices, as TF's before its
    runtime starts.  A GPU cannot be split in JAX: one logical GPU is accepted (its
    `memory_limit` is not applied: set `XLA_PYTHON_CLIENT_MEM_FRACTION` before the start)."""
    import jax

    configs = list(logical_devices)
    if device.device_type == "CPU":
        try:
            jax.config.update("jax_num_cpu_devices", len(configs))
        except RuntimeError:
            raise RuntimeError(
                "Virtual devices cannot be modified after being initialized"
            ) from None
    elif len(configs) > 1:
        raise NotImplementedError(
            "JAX cannot split one %s into %d logical devices. Use one device per replica, "
            "or simulate devices on the CPU (tf.config.set_logical_device_configuration on the "
            "CPU before any tensor is made)." % (device.device_type, len(configs))
        )
    _LOGICAL[device.name] = configs


def get_logical_device_configuration(device):
    return _LOGICAL.get(device.name)


def run_functions_eagerly(run_eagerly):
    """`tf.config.run_functions_eagerly`: `jaxtape.function` runs its Python function as is."""
    RUN_EAGERLY["enabled"] = bool(run_eagerly)


def functions_run_eagerly():
    return RUN_EAGERLY["enabled"]


def set_lazy_eager(enabled):
    """jaxtape's `tf.config.experimental.set_lazy_eager`: record eager ops and run them in
    compiled segments (True) or run each op at once (False, the default).  What is pending runs
    before the switch."""
    lazy.set_enabled(enabled)


def get_lazy_eager():
    return lazy.ON[0]


def _accept(*args, **kwargs):
    """Accepted for compatibility; XLA decides this itself."""
    return None


for _f in (
    list_physical_devices,
    list_logical_devices,
    get_visible_devices,
    set_visible_devices,
    run_functions_eagerly,
    functions_run_eagerly,
):
    export_value("config." + _f.__name__, _f)
export_value("config.set_logical_device_configuration", set_logical_device_configuration)
export_value("config.get_logical_device_configuration", get_logical_device_configuration)
export_value("config.LogicalDeviceConfiguration", LogicalDeviceConfiguration)
export_value(
    "config.experimental.set_virtual_device_configuration", set_logical_device_configuration
)
export_value("config.experimental.set_lazy_eager", set_lazy_eager)
export_value("config.experimental.get_lazy_eager", get_lazy_eager)
export_value("config.experimental.set_memory_growth", set_memory_growth)
export_value("config.experimental.get_memory_growth", get_memory_growth)
export_value("config.experimental.list_physical_devices", list_physical_devices)
export_value("config.experimental.set_visible_devices", set_visible_devices)
export_value("config.experimental.get_visible_devices", get_visible_devices)
export_value("config.threading.set_intra_op_parallelism_threads", _accept)
export_value("config.threading.set_inter_op_parallelism_threads", _accept)
export_value("config.optimizer.set_jit", _accept)
export_value("config.PhysicalDevice", PhysicalDevice)
export_value("config.LogicalDevice", LogicalDevice)
