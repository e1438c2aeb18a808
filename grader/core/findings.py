"""Finding codes and the Finding record: what a check observed, named by misconception."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Code(StrEnum):
    """Every misconception (or failure) a check can name. The names are a public contract."""

    SOFTMAX_BEFORE_CE = "SOFTMAX_BEFORE_CE"
    SIGMOID_BEFORE_BCE_WITH_LOGITS = "SIGMOID_BEFORE_BCE_WITH_LOGITS"
    ACTIVATION_ON_OUTPUT = "ACTIVATION_ON_OUTPUT"
    MISSING_ZERO_GRAD = "MISSING_ZERO_GRAD"
    ZERO_GRAD_AFTER_BACKWARD = "ZERO_GRAD_AFTER_BACKWARD"
    STEP_BEFORE_BACKWARD = "STEP_BEFORE_BACKWARD"
    STEP_OUTSIDE_BATCH_LOOP = "STEP_OUTSIDE_BATCH_LOOP"
    TRAIN_MODE_NOT_SET = "TRAIN_MODE_NOT_SET"
    EVAL_MODE_MISSING = "EVAL_MODE_MISSING"
    NO_GRAD_MISSING = "NO_GRAD_MISSING"
    UPDATES_IN_EVAL = "UPDATES_IN_EVAL"
    LOSS_GRAPH_RETAINED = "LOSS_GRAPH_RETAINED"
    DEVICE_MISMATCH = "DEVICE_MISMATCH"
    ACCURACY_WRONG = "ACCURACY_WRONG"
    WRONG_OUTPUT_SHAPE = "WRONG_OUTPUT_SHAPE"
    WRONG_PARAMETER_COUNT = "WRONG_PARAMETER_COUNT"
    HARDCODED_BATCH_SIZE = "HARDCODED_BATCH_SIZE"
    UNSTABLE_NUMERICS = "UNSTABLE_NUMERICS"
    WRONG_VALUE = "WRONG_VALUE"
    TARGET_SHAPE = "TARGET_SHAPE"
    SHUFFLE_SETTINGS = "SHUFFLE_SETTINGS"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    TAMPERING = "TAMPERING"
    SUBMISSION_ERROR = "SUBMISSION_ERROR"
    TIMEOUT = "TIMEOUT"


@dataclass(frozen=True)
class Finding:
    """One observation about a submission: a misconception code and a message for the student.

    The message says what was observed and why it matters; it never states the expected answer.
    """

    code: Code
    message: str

    def to_dict(self) -> dict[str, str]:
        d = asdict(self)
        d["code"] = self.code.value
        return d
