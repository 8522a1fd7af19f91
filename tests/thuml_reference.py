"""The test oracle: the straightforward re-statement of the original release in benchmarks/."""
from benchmarks.eager_predrnn import (RefCell, RefRNN, full_size_mask,  # noqa: F401
                                      reference_test_predictions, reshape_patch,
                                      reshape_patch_back, test_time_mask)
