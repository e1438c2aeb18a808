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
    UPDATE_REBINDS_NAME = "UPDATE_REBINDS_NAME"
    TRAIN_MODE_NOT_SET = "TRAIN_MODE_NOT_SET"
    EVAL_MODE_MISSING = "EVAL_MODE_MISSING"
    NO_GRAD_MISSING = "NO_GRAD_MISSING"
    UPDATES_IN_EVAL = "UPDATES_IN_EVAL"
    RANDOM_IN_EVAL = "RANDOM_IN_EVAL"
    LOSS_GRAPH_RETAINED = "LOSS_GRAPH_RETAINED"
    DEVICE_MISMATCH = "DEVICE_MISMATCH"
    ACCURACY_WRONG = "ACCURACY_WRONG"
    ACCURACY_BELOW_TARGET = "ACCURACY_BELOW_TARGET"
    WRONG_OUTPUT_SHAPE = "WRONG_OUTPUT_SHAPE"
    WRONG_PARAMETER_COUNT = "WRONG_PARAMETER_COUNT"
    HARDCODED_BATCH_SIZE = "HARDCODED_BATCH_SIZE"
    HARDCODED_INPUT_WIDTH = "HARDCODED_INPUT_WIDTH"
    UNSTABLE_NUMERICS = "UNSTABLE_NUMERICS"
    WRONG_VALUE = "WRONG_VALUE"
    TARGET_SHAPE = "TARGET_SHAPE"
    SHUFFLE_SETTINGS = "SHUFFLE_SETTINGS"
    BUILTIN_USED = "BUILTIN_USED"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    TAMPERING = "TAMPERING"
    SUBMISSION_ERROR = "SUBMISSION_ERROR"
    TIMEOUT = "TIMEOUT"

    @property
    def is_misconception(self) -> bool:
        """False for the codes that say a cell was unanswered or could not be graded."""
        return self not in _OUTCOMES


# Codes that name what happened to the submission, not what the student misunderstood.
_OUTCOMES = frozenset({Code.NOT_IMPLEMENTED, Code.SUBMISSION_ERROR, Code.TIMEOUT, Code.TAMPERING})

# What each code means, in one line; a detector's docstring starts with "CODE:", so
# `grep -rn "CODE:" grader/` lists every place a finding with that code can come from.
MEANING: dict[Code, str] = {
    Code.SOFTMAX_BEFORE_CE: "probabilities (a softmax output) reached a loss that applies "
                            "log-softmax itself",
    Code.SIGMOID_BEFORE_BCE_WITH_LOGITS: "outputs squashed by a sigmoid reached a loss that "
                                         "applies the sigmoid itself",
    Code.ACTIVATION_ON_OUTPUT: "the model's last layer squashes or clips its scores",
    Code.MISSING_ZERO_GRAD: "gradients were not cleared between steps, so the next backward() "
                            "adds to those of earlier batches",
    Code.ZERO_GRAD_AFTER_BACKWARD: "gradients were cleared between backward() and step()",
    Code.STEP_BEFORE_BACKWARD: "step() ran before backward() of the same batch",
    Code.STEP_OUTSIDE_BATCH_LOOP: "fewer optimizer steps than batches",
    Code.UPDATE_REBINDS_NAME: "a hand-written update made new tensors and bound them to a name "
                              "(`p = p - lr * p.grad`), so the parameters never changed",
    Code.TRAIN_MODE_NOT_SET: "training ran with the model in eval mode",
    Code.EVAL_MODE_MISSING: "evaluation ran with the model in train mode",
    Code.NO_GRAD_MISSING: "autograd recorded work it must not: an evaluation, or a hand-written "
                          "update of the parameters",
    Code.UPDATES_IN_EVAL: "evaluation computed gradients or changed the model",
    Code.RANDOM_IN_EVAL: "the model stays random in eval mode (dropout that ignores "
                         "model.training), so evaluating it twice gives two results",
    Code.LOSS_GRAPH_RETAINED: "a loss tensor, with its autograd graph, outlived its batch",
    Code.DEVICE_MISMATCH: "a model or tensor was not on the device it was given",
    Code.ACCURACY_WRONG: "the accuracy is not the fraction of samples predicted right",
    Code.ACCURACY_BELOW_TARGET: "the trained model, re-measured, misses the accuracy target",
    Code.WRONG_OUTPUT_SHAPE: "a result has another shape than its contract",
    Code.WRONG_PARAMETER_COUNT: "trainable parameters differ from the architecture asked for",
    Code.HARDCODED_BATCH_SIZE: "works for one batch size only",
    Code.HARDCODED_INPUT_WIDTH: "layers sized for one input width, not the one passed in",
    Code.UNSTABLE_NUMERICS: "inf/nan or lost precision for large but valid inputs",
    Code.WRONG_VALUE: "a value or gradient differs from torch's own result",
    Code.TARGET_SHAPE: "targets in another shape or format than the loss expects",
    Code.SHUFFLE_SETTINGS: "shuffling on the wrong loader, or not at all",
    Code.BUILTIN_USED: "torch's ready-made function was called where the exercise asks for "
                       "the formula",
    Code.NOT_IMPLEMENTED: "the exercise is not done yet",
    Code.TAMPERING: "the submission replaced torch, builtins or the grader",
    Code.SUBMISSION_ERROR: "the submission crashed, or defines the wrong kind of object",
    Code.TIMEOUT: "the submission did not finish in time",
}


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
