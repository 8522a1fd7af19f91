"""The test oracles for OpenSTL's models: straightforward re-statements in benchmarks/."""
from benchmarks.eager_mim import RefMIM  # noqa: F401
from benchmarks.eager_predrnnpp import (RefPredRNNpp, full_size_mask,  # noqa: F401
                                        reference_test_predictions, reshape_patch)


def strip_unused(state_dict: dict, backbone_cls) -> dict:
    """A reference state dict without the keys ``backbone_cls`` declares unused."""
    import re
    return {k: v for k, v in state_dict.items()
            if not any(re.match(p, k) for p in backbone_cls.reference_unused_keys)}
