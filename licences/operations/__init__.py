"""One module per licence operation; importing this package registers them."""

from licences.operations import (  # noqa: F401
    add_tool,
    apply_decision,
    decide,
    exempt,
    set_tool,
    stop_renewal,
)
