"""Every hint the checks can print, in one place to read, improve and translate.

Each entry names the likely misconception (the numbers refer to the course's catalog of
backprop mistakes) and what to try next. Texts may use ``{placeholders}`` that a check fills
in with shapes, names and sizes, never with expected values.
"""
from __future__ import annotations

from typing import NamedTuple


class Hint(NamedTuple):
    problem: str
    try_next: str


CATALOG: dict[str, Hint] = {
    # ---- the function could not be graded at all
    "not_implemented": Hint(
        "{name} is not implemented yet (it raises NotImplementedError).",
        "Replace `raise NotImplementedError()` in the answer cell with your code, run that cell, then run this check again.",
    ),
    "raised": Hint(
        "{name} raised {error} on {case}.",
        "Read the error and the line it points to in your code: {where}. Try the same input yourself in a new cell.",
    ),
    "not_defined": Hint(
        "{name} is not defined in this notebook.",
        "Run the answer cell that defines {name} (Run > Run All Above Selected Cell), and keep the name {name} exactly as given.",
    ),
    "depends_on_unfinished": Hint(
        "{name} calls {other}, which is not implemented yet.",
        "Finish {other} first and run its check; then run this check again.",
    ),
    "not_callable": Hint(
        "{name} is not a function or class (it is a {kind}).",
        "Run the answer cell that defines {name}, and check you did not reuse its name for a variable.",
    ),
    "could_not_check": Hint(
        "The check could not drive {name} ({error}).",
        "Keep the skeleton's names, arguments and return values (see the docstring): the check calls them exactly as written there.",
    ),
    "reference_used": Hint(
        "{name} uses bplib's reference implementation ({path}). The exercise must be implemented with numpy.",
        "Write the computation yourself with numpy operations; bplib is what your work is compared with.",
    ),
    "timed_out": Hint(
        "{name} did not finish on {case}: it {error}, and was stopped.",
        "Look for a loop that never ends (a `while` whose condition never changes, a step count that is never reached), or work that grows far faster than the input.",
    ),
    "worker_lost": Hint(
        "The grader lost the process running your code while it ran {name} on {case} ({error}).",
        "Your code ended its own process (exit(), os._exit), exhausted its memory, or printed over the grader's channel. Run the notebook top to bottom in a fresh kernel and look for the cell that stops it.",
    ),
    "tampered": Hint(
        "Functions the checks rely on were replaced ({what}). The exercise must be implemented with numpy, without changing numpy or the grader.",
        "Remove the code that assigns to numpy, builtins or bplib.grading, restart the kernel and run all cells.",
    ),
    # ---- what came back
    "wrong_type": Hint(
        "{name} returned a {kind} on {case}, where a numpy array (or float) was expected.",
        "Return the numpy array you computed (np.ndarray), not a list, a custom object or None: a missing `return` gives None.",
    ),
    "wrong_length": Hint(
        "{name} returned {got} value(s) on {case}; it should return {expected}.",
        "Check the `return` line against the docstring: it lists what to return and in which order.",
    ),
    "transposed": Hint(
        "On {case}, the result has shape {got}: the transpose of the expected shape {expected}.",
        "Misconception 11 (wrong order or transpose). A gradient has the shape of the thing it is the gradient of: dW = x.T @ dout has W's shape (D, H).",
    ),
    "not_summed_over_batch": Hint(
        "On {case}, the result has shape {got}: it keeps the batch axis, but should have shape {expected}.",
        "Misconception 12. A parameter shared by all N samples collects gradient from each of them: sum over the batch axis (axis=0).",
    ),
    "broadcast": Hint(
        "On {case}, the result has shape {got} instead of {expected}: two arrays of shapes (N,) and (N, 1) were probably broadcast to (N, N).",
        "Misconception 7. Make both shapes identical before subtracting (y.reshape(-1, 1) or y.ravel()), and check shapes with .shape while you work.",
    ),
    "wrong_shape": Hint(
        "On {case}, the result has shape {got}; it should have shape {expected}.",
        "Follow the shapes in the docstring step by step; keepdims=True keeps a reduced axis so that broadcasting lines up.",
    ),
    "wrong_dtype": Hint(
        "On {case}, the result has dtype {got}; it should be float32, like the input.",
        "A float64 constant or array mixed in promotes the result to float64, and a comparison gives bool: use Python numbers for constants, and convert masks with .astype(x.dtype).",
    ),
    "mutated_input": Hint(
        "{name} changed its input array `{arg}` in place.",
        "Misconception 14. Never modify inputs: callers (and cached forward values) still need them. Compute into a new array (np.where, x.copy()).",
    ),
    "uses_global": Hint(
        "{name} seems to read the notebook variable `{global_name}` instead of its argument.",
        "Misconception 24. Use only the function's arguments; the check calls it with new inputs.",
    ),
    # ---- overflow and NaN
    "overflow": Hint(
        "On {case}, your code overflowed or produced NaN/inf ({error}).",
        "Look for np.exp of a large positive number or a log of 0. Rewrite the formula so that it never needs them.",
    ),
    "log_zero_on_the_way": Hint(
        "On {case}, the values are right but log(0) or a division by 0 was evaluated on the way (numpy warns, and 0·log 0 gives NaN elsewhere).",
        "Misconception 4. Make the argument safe *before* the log: np.log(np.clip(p, 1e-12, 1.0)), or work from logits with log-sum-exp. Clamping the log's result afterwards is too late.",
    ),
    "mean_over_classes": Hint(
        "On {case}, the result is C times too small: it averages over all N·C entries.",
        "The loss sums over the classes of each sample and averages over the N samples only: -np.sum(y * log_p) / N.",
    ),
    "overflow_sigmoid": Hint(
        "On {case}, np.exp overflowed: computing 1 / (1 + np.exp(-x)) directly needs exp(10000) for x = -1e4.",
        "Misconception 1. Use exp(-|x|), which never exceeds 1: for x >= 0, 1 / (1 + exp(-x)); for x < 0, exp(x) / (1 + exp(x)).",
    ),
    "overflow_on_the_way": Hint(
        "On {case}, the values are right but np.exp overflowed on the way (numpy warns, and in other formulas the inf becomes NaN).",
        "Misconception 1. Never exponentiate a large positive number: e = np.exp(-np.abs(x)) lies in (0, 1], and both cases (x >= 0, x < 0) can be written with it. Beware: np.where evaluates both of its branches on every entry.",
    ),
    "overflow_softmax": Hint(
        "On {case}, softmax overflowed: exp of a logit near 1e4 is infinite, and inf / inf is NaN.",
        "Misconception 2. Subtract each row's maximum first: x - x.max(axis=-1, keepdims=True). Softmax is unchanged by that shift.",
    ),
    "log_of_zero": Hint(
        "On {case}, the loss became infinite or NaN: a probability rounded to 0 and was then logged.",
        "Misconception 4. Work from logits with log-sum-exp (log softmax = z - max - log(sum(exp(z - max)))) or clip probabilities before the log.",
    ),
    # ---- wrong values, recognised from their pattern
    "wrong_values": Hint(
        "On {case}, the values are wrong.",
        "Test your function on a small input you can work out by hand, and compare each step with the derivation above.",
    ),
    "ratio_N": Hint(
        "On {case}, the result is exactly {N} times too large ({N} is the batch size, or the number of values the loss averages).",
        "Misconception 8. The loss is a mean over the batch, so its gradient carries a factor 1/N too.",
    ),
    "ratio_inv_N": Hint(
        "On {case}, the result is exactly {N} times too small ({N} is the batch size, or the number of values the loss averages).",
        "Misconception 8. You divide by N twice (or average where the loss sums). Divide by N once, as the loss does.",
    ),
    "ratio_2": Hint(
        "On {case}, the result is exactly twice the right one.",
        "Misconception 9. A factor 2 too many: d/dx of x² is 2x, but check where else you multiplied by 2 (or divided by h instead of 2h).",
    ),
    "ratio_half": Hint(
        "On {case}, the result is exactly half the right one.",
        "Misconception 9. A factor 2 is missing: d/dŷ of (ŷ - y)² is 2(ŷ - y).",
    ),
    "ratio_minus_1": Hint(
        "On {case}, the result has the wrong sign.",
        "Misconception 10. Check the order of subtraction (prediction minus target) and that descent subtracts: w ← w − lr·∂L/∂w.",
    ),
    "constant_ratio": Hint(
        "On {case}, every entry is off by the same constant factor.",
        "A constant is wrong: check every scale factor in your formula (1/N, 2, the learning rate, alpha).",
    ),
    "all_zero": Hint(
        "On {case}, the result is all zeros.",
        "Check that you return the computed array and do not overwrite it (for example with np.zeros_like at the end).",
    ),
    "should_raise": Hint(
        "On {case}, {name} returned a value; it should raise ValueError.",
        "{why}",
    ),
    # ---- specific wrong variants, recognised by recomputing them
    "grad_of_activated": Hint(
        "On {case}, the values match the derivative evaluated at the activation a = f(z) instead of at its input z.",
        "Misconception 5. A derivative takes the function's *input*: σ′(z) = σ(z)(1 − σ(z)), tanh′(z) = 1 − tanh(z)². Decide whether the variable you hold is z or a = f(z).",
    ),
    "relu_grad_at_zero": Hint(
        "Your derivative at exactly 0 differs from the course's convention.",
        "At the kink, take the slope of the negative side, as PyTorch does: relu_grad(0) = 0, leaky_relu_grad(0) = alpha. Use x > 0, not x >= 0.",
    ),
    "softmax_no_keepdims": Hint(
        "On {case}, the row sums were divided along the wrong axis: the sum lost its axis (keepdims missing) and broadcast across columns.",
        "Misconception 3. Keep the reduced axis so that it lines up with its rows: np.sum(e, axis=axis, keepdims=True).",
    ),
    "overflow_sigmoid_grad": Hint(
        "On {case}, np.exp overflowed while computing the derivative.",
        "Compute σ′ from a numerically stable σ: s = sigmoid(x); s * (1 - s). Formulas with exp(-x) directly overflow for x ≪ 0.",
    ),
    "softmax_wrong_axis": Hint(
        "On {case}, the rows of your softmax do not sum to 1: it is normalised along the wrong axis.",
        "Misconception 3. Normalise each row: np.sum(e, axis=axis, keepdims=True), with the function's axis argument.",
    ),
    "softmax_elementwise_grad": Hint(
        "On {case}, the gradient matches the elementwise p(1 − p), which leaves out the off-diagonal terms of the softmax Jacobian.",
        "Misconception 13. With cross-entropy the Jacobian terms combine: d loss / d logits = (p − onehot) / N.",
    ),
    "forward_difference": Hint(
        "On {case}, the result matches the one-sided difference (f(x + h) − f(x)) / h.",
        "Misconception 20. Use the centred difference (f(x + h) − f(x − h)) / 2h: its error shrinks like h², not h.",
    ),
    "local_grad_swapped": Hint(
        "On {case}, the gradients of the two inputs are swapped.",
        "For out = a·b, ∂out/∂a = b and ∂out/∂b = a: each input's gradient uses the *other* input.",
    ),
    "summed_over_everything": Hint(
        "On {case}, every entry of the bias gradient holds the sum of the whole upstream gradient.",
        "Misconception 12. Sum over the batch axis only, so that each output unit keeps its own gradient: dout.sum(axis=0).",
    ),
    "missing_local_derivative": Hint(
        "On {case}, the upstream gradient passes through unchanged.",
        "Chain rule: multiply dout by the layer's local derivative (for ReLU, the mask x > 0 saved in forward).",
    ),
    "forgot_upstream": Hint(
        "On {case}, the result is the local derivative alone.",
        "Chain rule: multiply the local derivative by the upstream gradient dout that flows in from above.",
    ),
    "hidden_delta_uses_output_error": Hint(
        "On {case}, the output layer's gradients are right but the hidden layer's are wrong.",
        "Misconception 6. The error reaching a hidden layer is dout @ W.T (then times the activation's derivative), not the output error itself.",
    ),
    "assign_instead_of_add": Hint(
        "On {case}, a second backward pass replaced the gradient instead of adding to it.",
        "Misconception 15. Use += for .grad: gradients from every path and every call add up until zero_grad().",
    ),
    "accumulates_across_steps": Hint(
        "On {case}, the gradient from the previous step was still there.",
        "Misconception 16. Reset gradients before each backward pass (optimizer.zero_grad()).",
    ),
    "regularised_bias": Hint(
        "On {case}, the values are off by exactly the regularisation term, applied where it should not be (or missing).",
        "Misconception 17. The L2 penalty's gradient reg·W belongs to the weights only, never the biases.",
    ),
    "integer_arithmetic": Hint(
        "On {case} (integer input), the result was truncated.",
        "Misconception 18. Convert inputs to float64 first (np.asarray(x, dtype=float)).",
    ),
    "ascent": Hint(
        "On {case}, the loss went up: the update moves along the gradient.",
        "Misconception 10. Gradient descent subtracts: w ← w − lr·∂L/∂w.",
    ),
    "missing_attribute": Hint(
        "{name} has no attribute `{attr}` after {when}.",
        "Keep the names from the skeleton: {hint}",
    ),
    "batches_lose_samples": Hint(
        "On {case}, the mini-batches do not contain every sample exactly once.",
        "Shuffle a permutation of the indices (rng.permutation(N)) and slice it: every index lands in exactly one batch, the last one possibly smaller.",
    ),
    "batches_misaligned": Hint(
        "On {case}, the batches of X and y no longer match sample for sample.",
        "Index X and y with the same shuffled indices: X[idx], y[idx].",
    ),
    "batches_wrong_sizes": Hint(
        "On {case}, the batch sizes are {got}; expected {expected}.",
        "Every batch has batch_size samples, except possibly the last, which holds the remainder (it is not dropped).",
    ),
    "batches_not_shuffled": Hint(
        "On {case}, the samples come out in their original order.",
        "Shuffle each pass with the rng argument (rng.permutation), or SGD sees the data in the same biased order every epoch.",
    ),
    "ignores_rng": Hint(
        "On {case}, the shuffle does not follow the rng argument (same seed, different order; or different seeds, same order).",
        "Use the generator passed in (rng.permutation(N)), not np.random or a new default_rng: results must be reproducible.",
    ),
    "bce_sigmoid_cancel": Hint(
        "On {case}, the gradient carries an extra factor σ′(z) = p(1 − p).",
        "With binary cross-entropy the σ′ of the sigmoid cancels against the log: ∂L/∂z = (p − y)/N exactly.",
    ),
    "mse_on_sigmoid": Hint(
        "On {case}, the gradient is that of the squared error (p − y)², with its factor 2p(1 − p), not of cross-entropy.",
        "Differentiate the binary cross-entropy: its σ′ cancels against the log, leaving ∂L/∂z = (p − y)/N.",
    ),
    "bias_not_updated": Hint(
        "On {case}, the bias b never moves from its start.",
        "Update b in every step too: b ← b − lr·db.",
    ),
    "wrong_step_count": Hint(
        "On {case}, the result matches one update too many or too few.",
        "Start from zeros and make exactly `epochs` updates: for _ in range(epochs).",
    ),
    "trajectory_missing_start": Hint(
        "On {case}, the trajectory has shape {got}: one row short of {expected}; row 0 must be w0 itself.",
        "Store w0 first, then one row after each of the `steps` updates.",
    ),
    "trajectory_aliased": Hint(
        "On {case}, every row of the trajectory is the final point: the same array was stored at every step.",
        "`w -= lr * g` changes the array you already stored. Write `w = w - lr * g` (a new array), or store w.copy().",
    ),
    "adam_no_bias_correction": Hint(
        "On {case}, the steps match Adam without bias correction.",
        "Divide m by (1 − β1ᵗ) and v by (1 − β2ᵗ), with t counting steps from 1: m and v start at 0, so without the correction the early steps are several times too large.",
    ),
    "eps_inside_sqrt": Hint(
        "On {case}, eps is inside the square root.",
        "PyTorch adds eps after the square root: g / (sqrt(v) + eps).",
    ),
    "optimizer_state_lost": Hint(
        "On {case}, every step behaves like the first: the optimizer forgets its running averages between steps.",
        "Update the stored buffers themselves: `self.v[i] = ...` or in place (`v *= alpha; v += ...`). Assigning to a loop variable (`v = alpha * v + ...`) creates a new array that is thrown away.",
    ),
    "optimizer_nonfinite": Hint(
        "On {case}, step() divided by zero or overflowed ({error}).",
        "Check each denominator: the step counter t must start at 1 (increment it before use, so that 1 − β1ᵗ is never 0), and eps goes after the square root.",
    ),
    "nesterov_lookahead": Hint(
        "On {case}, the Nesterov steps match plain momentum.",
        "Nesterov looks ahead: after b = μ·b + g, step along g + μ·b instead of b.",
    ),
    "wrong_default": Hint(
        "{name}'s default for `{arg}` differs from torch.optim's.",
        "Use PyTorch's defaults so that your numbers match a real framework: see the table above.",
    ),
    "missing_activation_derivative": Hint(
        "On {case}, the gradient reaching the first layer skipped the ReLU's derivative.",
        "Between dh = dscores @ W2.T and the first layer, multiply by ReLU's derivative: dh * (h_pre > 0).",
    ),
    "rel_error_zero_division": Hint(
        "On {case}, the relative error became NaN or inf where both inputs are 0.",
        "Divide by np.maximum(|a| + |b|, 1e-8), so that entries where both gradients are 0 count as agreeing.",
    ),
    "regularisation_missing": Hint(
        "On {case}, dW lacks the penalty's gradient.",
        "Misconception 17. The loss includes (reg/2)·‖W‖², whose gradient reg·W adds to dW.",
    ),
    "regularisation_halved": Hint(
        "On {case}, dW carries reg·W/2 instead of reg·W.",
        "Misconception 9. d/dW of (reg/2)·‖W‖² is reg·W: the ½ cancels the 2 from the square.",
    ),
    "rel_error_mean": Hint(
        "On {case}, the result matches the *mean* of the entrywise relative errors.",
        "Take the maximum: one wrong entry among many right ones must still show up.",
    ),
    "rel_error_denominator": Hint(
        "On {case}, the result uses max(|a|, |b|) as the denominator.",
        "Use the course's definition: |a − b| / max(|a| + |b|, 1e-8), the sum of the magnitudes.",
    ),
    "confusion_transposed": Hint(
        "On {case}, the matrix is transposed.",
        "Row i is the true class i, column j the predicted class j: count pairs (y_true[k], y_pred[k]).",
    ),
    "argmax_axis": Hint(
        "On {case}, the predictions come from np.argmax over the whole array.",
        "np.argmax(scores) without an axis returns one index into the flattened array; take each row's argmax: np.argmax(scores, axis=1).",
    ),
    "accuracy_count": Hint(
        "On {case}, the result is the number of correct predictions, not the fraction.",
        "Divide by N, or take the mean of the boolean array: np.mean(predicted == labels).",
    ),
    "fancy_index_add": Hint(
        "On {case}, pairs that occur more than once were counted once.",
        "`M[y_true, y_pred] += 1` adds only once per repeated index pair. Use np.add.at(M, (y_true, y_pred), 1), or a loop.",
    ),
    "returns_scores": Hint(
        "On {case}, {name} returned scores of shape {got}, not one label per digit.",
        "Return the predicted classes: np.argmax(scores, axis=1), shape (N,).",
    ),
    "ignores_input": Hint(
        "On {case}, the accuracy collapses when the same digits come in another order or selection: each prediction depends on the other digits in X, or ignores X.",
        "A digit's prediction must depend on that digit alone: standardise X with the mean and std saved from *training* (not X's own), then run the model on X itself, not on a stored array.",
    ),
    "too_inaccurate": Hint(
        "{name} reached {got} on {case}; the goal is at least {expected}.",
        "Check that the training cell ran, that X is standardised with the *training* mean and std (not its own), the learning rate (try 0.01 to 0.1) and the number of epochs; plot the loss curve to see what happens.",
    ),
}


def render(key: str, **fields) -> str:
    """The hint ``key`` as two lines: what went wrong, and what to try next."""
    hint = CATALOG[key]
    return f"{hint.problem.format(**fields)}\n     Try: {hint.try_next.format(**fields)}"
