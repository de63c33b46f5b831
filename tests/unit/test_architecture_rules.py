"""Question 1b.6's rules (grading/judging/architecture_rules.py), on facts as the trusted evaluator writes
them; tests/sandbox/test_trusted_model.py derives such facts from real graphs."""
import copy

import pytest

from grading.judging.architecture_rules import MAX_LEVELS, architecture_problems

# A U-Net of two levels as the evaluator describes it: the heights its pooling layers read and its
# upsamplings give, its concatenations, its convolutions' kernels (h, w, in, out), output and dropout.
U_NET = {
    "pooling": [128, 64],
    "upsampling": [64, 128],
    "concatenations": [{"heights": [64, 64], "skip": True}, {"heights": [128, 128], "skip": True}],
    "convolutions": [[3, 3, 1, 8], [3, 3, 8, 16], [3, 3, 16, 32], [2, 2, 32, 16], [3, 3, 32, 16], [2, 2, 16, 8],
                     [3, 3, 16, 8], [1, 1, 8, 1]],
    "output": {"op": "Sigmoid", "channels": 1},
    "dropout": [0.5],
    "dropout_at_inference": False,
    "training_matches_inference": True,
}


def broken(**changes):
    facts = copy.deepcopy(U_NET)
    facts.update(changes)
    return facts


def test_a_u_net_of_the_questions_layers_breaks_no_rule():
    assert architecture_problems(U_NET) == []


@pytest.mark.parametrize("facts, problem", [
    (broken(pooling=[128], upsampling=[128], concatenations=[{"heights": [128, 128], "skip": True}]),
     "the contracting path has 1 max-pooling level(s): a U-Net needs 2 or more"),
    (broken(upsampling=[128]), "the expanding path has 1 upsampling(s) for 2 max-pooling(s)"),
    (broken(concatenations=[{"heights": [128, 128], "skip": True}, {"heights": [64, 64], "skip": False}]),
     "the upsampled 64x64 maps are not concatenated with the contracting path's 64x64 maps"),
    (broken(convolutions=[*U_NET["convolutions"], [9, 9, 8, 8]]), "convolutions with 9x9 kernels"),
    (broken(convolutions=[*U_NET["convolutions"], [3, 3, 2000, 2000]]), "36,016,265 weights: at most 10,000,000"),
    (broken(pooling=[128 >> level for level in range(MAX_LEVELS + 1)],
            upsampling=[128 >> level for level in range(MAX_LEVELS + 1)],
            concatenations=[{"heights": [128 >> level] * 2, "skip": True} for level in range(MAX_LEVELS + 1)]),
     f"{MAX_LEVELS + 1} max-pooling levels: at most {MAX_LEVELS}"),
    (broken(output={"op": "BiasAdd", "channels": 1}), "the output is not a sigmoid (its last operation is BiasAdd)"),
    (broken(output={"op": "Sigmoid", "channels": 2}), "the output has 2 channels"),
    (broken(dropout=[]), "there is no Dropout layer"),
    (broken(dropout_at_inference=True), "Dropout is active at inference too"),
    (broken(training_matches_inference=False), "another network in training mode than at inference"),
])
def test_each_broken_rule_is_named_for_the_student(facts, problem):
    problems = architecture_problems(facts)
    assert len(problems) == 1 and problem in problems[0], problems
