"""One module per licence operation; importing this package registers them (tools with the
licences executor, reclaim cases with `licences/cases.py`'s)."""

from licences.operations import (  # noqa: F401
    add_tool,
    advance_reclaim,
    answer_reclaim,
    apply_decision,
    decide,
    decide_keep,
    exempt,
    set_tool,
    start_reclaim,
    stop_renewal,
)
