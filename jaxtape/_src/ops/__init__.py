"""The op definitions.  Importing this package fills the op table (`registry.API`)."""

from jaxtape._src.ops import (  # noqa: F401
    array_ops,
    math_ops,
    nn_ops,
    linalg_ops,
    random_ops,
    control_flow_ops,
    misc_ops,
    functional_ops,
    segment_ops,
    sparse_ops,
    string_ops,
    image_ops,
    script_ops,
)

from jaxtape._src.ops import checks as _checks  # noqa: E402

_checks.install()  # TF's argument checks in front of the public ops
