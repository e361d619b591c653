"""Every hint the checks can print, in one place to read, improve and translate.

Each entry names the likely misconception (the numbers refer to the course's catalog of
backprop mistakes) and what to try next. Texts may use ``{placeholders}`` that a check fills
in with shapes, names and sizes, never with expected values.
"""
from __future__ import annotations

import re
from typing import NamedTuple


class Hint(NamedTuple):
    problem: str
    try_next: str


CATALOG: dict[str, Hint] = {
    # ---- the function could not be graded at all
    "not_implemented": Hint(
        "{name} is not implemented yet (it raises NotImplementedError).",
        "Replace `raise NotImplementedError()` in the answer cell with your code, run "
        "that cell, then run this check again.",
    ),
    "raised": Hint(
        "{name} raised {error} on {case}.",
        "Read the error and the line it points to in your code: {where}. Try the same input yourself in a new cell.",
    ),
    "matmul_shapes": Hint(
        "{name} raised {error} on {case}: a matrix product whose inner dimensions differ, at {where}.",
        "A @ B needs A's last axis to equal B's first. Write each array's shape beside that line: in a backward pass "
        "dx = dout @ W.T is (N, H) @ (H, D) and dW = x.T @ dout is (D, N) @ (N, H).",
    ),
    "inplace_shape_mismatch": Hint(
        "{name} raised {error} on {case}: an in-place update (-=, +=, [...] =) got an "
        "array of another shape, at {where}.",
        "a -= b needs b to have a's shape. In an optimizer this is usually one state array shared by all the "
        "parameters (of different shapes): keep one per parameter, [np.zeros_like(p.value) for p in self.params].",
    ),
    "broadcast_shapes": Hint(
        "{name} raised {error} on {case}: numpy could not line up two arrays' shapes, at {where}.",
        "Print the two shapes on that line. The usual cause is an axis reduced without keepdims=True: "
        "np.max(x, axis=1) has shape (N,), which does not line up with (N, C); np.max(x, axis=1, "
        "keepdims=True) has (N, 1), which does.",
    ),
    "dout_shape_in_backward": Hint(
        "On {case}, a layer's backward received a gradient of the wrong shape ({where}).",
        "Each layer's backward takes the gradient of *its own output*, from the forward pass that ran last "
        "(a layer keeps only its last input): go through the layers in reverse order (reversed(self.layers)), hand "
        "each one what the layer after it returned, and run each backward right after the forward it belongs to.",
    ),
    "not_defined": Hint(
        "{name} is not defined in this notebook.",
        "Run the answer cell that defines {name} (Run > Run All Above Selected Cell), and "
        "keep the name {name} exactly as given.",
    ),
    "depends_on_unfinished": Hint(
        "{name} calls {other}, which is not implemented yet.",
        "Finish {other} first and run its check; then run this check again.",
    ),
    "dependency_fails": Hint(
        "{name} runs your {other}, which fails its own check: the problems below may all come from it.",
        "Fix {other} first, run its check until it passes, then run this check again.",
    ),
    "not_callable": Hint(
        "{name} is not a function or class (it is a {kind}).",
        "Run the answer cell that defines {name}, and check you did not reuse its name for a variable.",
    ),
    "could_not_check": Hint(
        "The check could not drive {name} ({error}).",
        "Keep the skeleton's names, arguments and return values (see the docstring): the check "
        "calls them exactly as written there.",
    ),
    "reference_used": Hint(
        "{name} uses bplib's reference implementation ({path}). The exercise must be implemented with numpy.",
        "Write the computation yourself with numpy operations; bplib is what your work is compared with.",
    ),
    "timed_out": Hint(
        "{name} did not finish on {case}: it {error}, and was stopped.",
        "Look for a loop that never ends (a `while` whose condition never changes, a step count that is never "
        "reached), or work that grows far faster than the input.",
    ),
    "worker_lost": Hint(
        "The grader lost the process running your code while it ran {name} on {case} ({error}).",
        "Your code ended its own process (exit(), os._exit), exhausted its memory, or printed over the grader's "
        "channel. Run the notebook top to bottom in a fresh kernel and look for the cell that stops it.",
    ),
    "tampered": Hint(
        "Functions the checks rely on were replaced ({what}). The exercise must be implemented with "
        "numpy, without changing numpy or the grader.",
        "Remove the code that assigns to numpy, builtins or bplib.grading, restart the kernel and run all cells.",
    ),
    # ---- what came back
    "wrong_type": Hint(
        "{name} returned a {kind} on {case}, where a numpy array (or float) was expected.",
        "Return the numpy array you computed (np.ndarray), not a list, a custom object or "
        "None: a missing `return` gives None.",
    ),
    "wrong_length": Hint(
        "{name} returned {got} value(s) on {case}; it should return {expected}.",
        "Check the `return` line against the docstring: it lists what to return and in which order.",
    ),
    "transposed": Hint(
        "On {case}, the result has shape {got}: the transpose of the expected shape {expected}.",
        "Misconception 11 (wrong order or transpose). A gradient has the shape of the thing it is the gradient "
        "of: dW = x.T @ dout has W's shape (D, H).",
    ),
    "not_summed_over_batch": Hint(
        "On {case}, the result has shape {got}: it keeps the batch axis, but should have shape {expected}.",
        "Misconception 12. A parameter shared by all N samples collects gradient from each of "
        "them: sum over the batch axis (axis=0).",
    ),
    "broadcast": Hint(
        "On {case}, the result has shape {got} instead of {expected}, with an extra axis of the batch size: two arrays "
        "of shapes (N,) and (N, 1) were probably broadcast to (N, N) on the way.",
        "Misconception 7. Make both shapes identical before subtracting (y.reshape(-1, 1) or y.ravel()), "
        "and check shapes with .shape while you work.",
    ),
    "wrong_shape": Hint(
        "On {case}, the result has shape {got}; it should have shape {expected}.",
        "Follow the shapes in the docstring step by step: print the .shape of each intermediate array "
        "beside the one the docstring gives, and find the first that differs (an axis summed, kept or "
        "transposed, or a loop that stops early).",
    ),
    "wrong_dtype": Hint(
        "On {case}, the result has dtype {got}; it should be float32, like the input.",
        "A float64 constant or array mixed in promotes the result to float64, and a comparison gives bool: use Python "
        "numbers for constants, and convert masks with .astype(x.dtype).",
    ),
    "mutated_input": Hint(
        "{name} changed its input array `{arg}` in place.",
        "Misconception 14. Never modify inputs: callers (and cached forward values) still need them. Compute "
        "into a new array (np.where, x.copy()).",
    ),
    "uses_global": Hint(
        "{name} seems to read the notebook variable `{global_name}` instead of its argument.",
        "Misconception 24. Use only the function's arguments; the check calls it with new inputs.",
    ),
    # ---- overflow and NaN
    "overflow": Hint(
        "On {case}, your code overflowed or produced NaN/inf ({error}).",
        "Look for np.exp of a large positive number, a log of 0, or a division by 0 (a standard deviation of 0, for a "
        "constant feature). Rewrite the formula so that it never needs them.",
    ),
    "log_zero_on_the_way": Hint(
        "On {case}, the values are right but log(0) or a division by 0 was evaluated on the way "
        "(numpy warns, and 0·log 0 gives NaN elsewhere).",
        "Misconception 4. Make the argument safe *before* the log: np.log(np.clip(p, 1e-12, 1.0)), or work from logits "
        "with log-sum-exp. Clamping the log's result afterwards is too late.",
    ),
    "mean_over_classes": Hint(
        "On {case}, the result is C times too small: it averages over all N·C entries.",
        "The loss sums over the classes of each sample and averages over the N samples only: -np.sum(y * log_p) / N.",
    ),
    "overflow_sigmoid": Hint(
        "On {case}, np.exp overflowed: 1 / (1 + np.exp(-x)) needs exp(10000) for x = -1e4 (and np.where computes both "
        "of its branches for every x, so a naive branch overflows there too).",
        "Misconception 1. Use exp(-|x|), which never exceeds 1: for x >= 0, 1 / (1 + exp(-x)); "
        "for x < 0, exp(x) / (1 + exp(x)).",
    ),
    "overflow_on_the_way": Hint(
        "On {case}, the values are right but np.exp overflowed on the way (numpy warns, and "
        "in other formulas the inf becomes NaN).",
        "Misconception 1. Never exponentiate a large positive number: e = np.exp(-np.abs(x)) lies in (0, 1], and both "
        "cases (x >= 0, x < 0) can be written with it. Beware: np.where evaluates both of its branches on every entry.",
    ),
    "overflow_softmax": Hint(
        "On {case}, softmax overflowed: exp of a logit near 1e4 is infinite, and inf / inf is NaN.",
        "Misconception 2. Subtract each row's maximum first: x - x.max(axis=-1, keepdims=True). "
        "Softmax is unchanged by that shift.",
    ),
    "log_of_zero": Hint(
        "On {case}, the loss became infinite or NaN: a probability rounded to 0 and was then logged.",
        "Misconception 4. Work from logits with log-sum-exp (log softmax = z - max - log(sum(exp(z - max)))) "
        "or clip probabilities before the log.",
    ),
    # ---- wrong values, recognised from their pattern
    "wrong_values": Hint(
        "On {case}, the values are wrong.",
        "Test your function on a small input you can work out by hand, and compare "
        "each step with the derivation above.",
    ),
    "nearly_right": Hint(
        "On {case}, the values are close to the right ones (within 1 %) but not equal.",
        "That is the mark of an approximation (a finite difference where the exact derivative is asked for), "
        "of precision lost on the way (in float32, subtracting nearly equal numbers), or of a small "
        "term in the wrong place (an eps added outside its denominator, // for /). Compare your "
        "formula with the derivation term by term.",
    ),
    "ratio_N": Hint(
        "On {case}, the result is exactly {N} times too large ({N} is the batch size, or "
        "the number of values the loss averages).",
        "Misconception 8. The loss is a mean over the batch, so its gradient carries a factor 1/N too.",
    ),
    "ratio_inv_N": Hint(
        "On {case}, the result is exactly {N} times too small ({N} is the batch size, or "
        "the number of values the loss averages).",
        "Misconception 8. You divide by N twice (or average where the loss sums). Divide by N once, as the loss does.",
    ),
    "ratio_2": Hint(
        "On {case}, the result is exactly twice the right one.",
        "Misconception 9. A factor 2 too many: d/dx of x² is 2x, but check where else you multiplied by 2, or divided "
        "by h instead of 2h, or by half the count that the mean runs over.",
    ),
    "ratio_half": Hint(
        "On {case}, the result is exactly half the right one.",
        "A factor 2 is missing (misconception 9: d/dŷ of (ŷ - y)² is 2(ŷ - y)), or you divide by twice the count that "
        "the mean runs over (misconception 26, e.g. by N·K instead of N when each sample holds K = 2 values).",
    ),
    "ratio_minus_1": Hint(
        "On {case}, the result has the wrong sign.",
        "Misconception 10. Check the order of subtraction (prediction minus target) and that "
        "descent subtracts: w ← w − lr·∂L/∂w.",
    ),
    "constant_ratio": Hint(
        "On {case}, every entry is off by the same constant factor.",
        "A constant is wrong: check every scale factor in your formula (1/N, 2, the learning rate, alpha).",
    ),
    "all_zero": Hint(
        "On {case}, the result is all zeros.",
        "Find where the zeros come from: print the intermediate arrays. A result that is never "
        "filled in (np.zeros_like, then a loop that writes elsewhere), overwritten at the end, or a "
        "comparison that is never true all give this.",
    ),
    "should_raise": Hint(
        "On {case}, {name} returned a value; it should raise ValueError.",
        "{why}",
    ),
    # ---- specific wrong variants, recognised by recomputing them
    "grad_of_activated": Hint(
        "On {case}, the values match the derivative evaluated at the activation a = f(z) instead of at its input z.",
        "Misconception 5. A derivative takes the function's *input*: σ′(z) = σ(z)(1 − σ(z)), tanh′(z) = 1 − tanh(z)². "
        "Decide whether the variable you hold is z or a = f(z).",
    ),
    "relu_grad_at_zero": Hint(
        "Your derivative at exactly 0 differs from the course's convention.",
        "At the kink, take the slope of the negative side, as PyTorch does: relu_grad(0) = 0, "
        "leaky_relu_grad(0) = alpha. Use x > 0, not x >= 0.",
    ),
    "softmax_no_keepdims": Hint(
        "On {case}, the row sums were divided along the wrong axis: the sum lost its axis "
        "(keepdims missing) and broadcast across columns.",
        "Misconception 3. Keep the reduced axis so that it lines up with its rows: "
        "np.sum(e, axis=axis, keepdims=True).",
    ),
    "overflow_sigmoid_grad": Hint(
        "On {case}, np.exp overflowed while computing the derivative.",
        "Compute σ′ from a numerically stable σ: s = sigmoid(x); s * (1 - s). Formulas with "
        "exp(-x) directly overflow for x ≪ 0.",
    ),
    "softmax_wrong_axis": Hint(
        "On {case}, the rows of your softmax do not sum to 1: it is normalised along the wrong axis.",
        "Misconception 3. Normalise each row: np.sum(e, axis=axis, keepdims=True), with the function's axis argument.",
    ),
    "softmax_global_max": Hint(
        "On {case}, the numbers match a softmax shifted by the largest logit of the whole array, not of each row: a "
        "row far below that maximum underflows to 0 / 0.",
        "Misconception 2. Subtract each row's own maximum: z - np.max(z, axis=1, keepdims=True). Then every row has an "
        "entry exp(0) = 1 and its sum can never be 0.",
    ),
    "softmax_elementwise_grad": Hint(
        "On {case}, the gradient matches the elementwise p(1 − p), which leaves out the "
        "off-diagonal terms of the softmax Jacobian.",
        "Misconception 13. With cross-entropy the Jacobian terms combine: d loss / d logits = (p − onehot) / N.",
    ),
    "forward_difference": Hint(
        "On {case}, the result matches the one-sided difference (f(x + h) − f(x)) / h.",
        "Misconception 20. Use the centred difference (f(x + h) − f(x − h)) / 2h: its error shrinks like h², not h.",
    ),
    "derivative_of_the_input": Hint(
        "On {case}, the values match the output-form derivative applied to the input: x(1 − x) or "
        "1 − x², where x is the function's input.",
        "Misconception 25. σ′(x) = σ(x)(1 − σ(x)) and tanh′(x) = 1 − tanh(x)²: those forms need the *output*. Here you "
        "hold the input x, so compute s = σ(x) (or t = tanh(x)) first.",
    ),
    "tanh_grad_without_square": Hint(
        "On {case}, the values match 1 − tanh(x): the square is missing.",
        "Misconception 25. d/dx tanh(x) = 1 − tanh(x)²: square the tanh before subtracting.",
    ),
    "leaky_slope_on_positive_side": Hint(
        "On {case}, the slope alpha is applied to the positive inputs instead of the negative ones.",
        "Leaky ReLU lets a little through where x < 0: f(x) = x for x > 0 and alpha·x otherwise, "
        "so np.where(x > 0, x, alpha * x).",
    ),
    "ignores_alpha": Hint(
        "On {case}, the result is the one of the default alpha = 0.01: the alpha argument is ignored.",
        "Use the alpha parameter in your formula instead of a fixed 0.01.",
    ),
    "ignores_h": Hint(
        "On {case}, the result is the one of the default h = 1e-5: the h argument is ignored.",
        "Use the h parameter in your formula instead of a fixed step.",
    ),
    "bce_log_p_twice": Hint(
        "On {case}, the loss uses log p in both terms.",
        "The second term is the log-probability of class 0: −[t·log p + (1 − t)·log(1 − p)].",
    ),
    "mean_over_rows_only": Hint(
        "On {case}, the gradient is divided by the number of rows N, but the loss averages over all N·K entries.",
        "Misconception 26. Divide by the number of terms the loss averages: pred.size, not len(pred).",
    ),
    "bias_grad_missing": Hint(
        "On {case}, b.grad stayed 0: backward never added the bias gradient.",
        "Add db = dout.sum(axis=0) into self.b.grad in backward (+=), as you do for W.",
    ),
    "adam_correction_stored": Hint(
        "On {case}, the bias-corrected m̂ and v̂ were stored back into m and v, so the next step corrects them again.",
        "Keep m and v uncorrected in the state; compute m̂ = m / (1 − β₁ᵗ) and v̂ = v / (1 − β₂ᵗ) "
        "in new variables for the update only.",
    ),
    "adam_step_per_parameter": Hint(
        "On {case}, the step count t grows once per parameter instead of once per step.",
        "Increment self.t once at the start of step(), before the loop over the parameters: every "
        "parameter's bias correction uses the same t.",
    ),
    "local_grad_swapped": Hint(
        "On {case}, the gradients of the two inputs are swapped.",
        "For out = a·b, ∂out/∂a = b and ∂out/∂b = a: each input's gradient uses the *other* input.",
    ),
    "summed_over_everything": Hint(
        "On {case}, every entry of the bias gradient holds the sum of the whole upstream gradient.",
        "Misconception 12. Sum over the batch axis only, so that each output unit keeps "
        "its own gradient: dout.sum(axis=0).",
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
        "Misconception 6. The error reaching a hidden layer is dout @ W.T (then times the activation's "
        "derivative), not the output error itself.",
    ),
    "assign_instead_of_add": Hint(
        "On {case}, a second backward pass replaced the gradient instead of adding to it.",
        "Misconception 15. Use += for .grad: gradients from every path and every call add up until zero_grad().",
    ),
    "second_backward_differs": Hint(
        "On {case}, the second backward pass, with the same dout, added a different gradient from the first.",
        "Misconception 14. Something the first backward pass reads was changed by it (a cached array modified in "
        "place, e.g. `self.x *= ...` or `dout[...] = ...`): compute into new arrays instead.",
    ),
    "accumulates_across_steps": Hint(
        "On {case}, the gradient from the previous step was still there.",
        "Misconception 16. Reset gradients before each backward pass (optimizer.zero_grad()).",
    ),
    "regularised_bias": Hint(
        "On {case}, the values are off by exactly the regularisation term, applied "
        "where it should not be (or missing).",
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
        "Shuffle a permutation of the indices (rng.permutation(N)) and slice it: every index lands in exactly "
        "one batch, the last one possibly smaller.",
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
        "Shuffle each pass with the rng argument (rng.permutation), or SGD sees the data "
        "in the same biased order every epoch.",
    ),
    "batches_fixed_blocks": Hint(
        "On {case}, every seed puts the same samples together in a batch: only the "
        "order inside fixed blocks is shuffled.",
        "Shuffle all N indices at once (order = rng.permutation(N)) and then cut order into batches, so that which "
        "samples meet in a batch changes every epoch.",
    ),
    "ignores_rng": Hint(
        "On {case}, the shuffle does not follow the rng argument (same seed, different "
        "order; or different seeds, same order).",
        "Use the generator passed in (rng.permutation(N)), not np.random or a new "
        "default_rng: results must be reproducible.",
    ),
    "bce_sigmoid_cancel": Hint(
        "On {case}, the gradient carries an extra factor σ′(z) = p(1 − p).",
        "With binary cross-entropy the σ′ of the sigmoid cancels against the log: ∂L/∂z = (p − y)/N exactly.",
    ),
    "mse_on_sigmoid": Hint(
        "On {case}, the gradient is that of the squared error (p − y)², with its "
        "factor 2p(1 − p), not of cross-entropy.",
        "Differentiate the binary cross-entropy: its σ′ cancels against the log, leaving ∂L/∂z = (p − y)/N.",
    ),
    "bias_not_updated": Hint(
        "On {case}, the bias b never moves from its start.",
        "Update b in every step too: b ← b − lr·db.",
    ),
    "wrong_step_count": Hint(
        "On {case}, the result matches one update too many.",
        "Start from zeros and make exactly `epochs` updates: for _ in range(epochs) (not range(epochs + 1), "
        "and no extra update after the loop).",
    ),
    "one_step_short": Hint(
        "On {case}, the result matches one update too few.",
        "Make exactly as many updates as asked (steps, or epochs): for _ in range(steps), "
        "not range(steps - 1) or range(1, steps).",
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
        "Divide m by (1 − β1ᵗ) and v by (1 − β2ᵗ), with t counting steps from 1: m and v start at 0, so without the "
        "correction the early steps are several times too large.",
    ),
    "eps_inside_sqrt": Hint(
        "On {case}, eps is inside the square root.",
        "PyTorch adds eps after the square root: g / (sqrt(v) + eps).",
    ),
    "optimizer_state_lost": Hint(
        "On {case}, every step behaves like the first: the optimizer forgets its running averages between steps.",
        "Update the stored buffers themselves: `self.v[i] = ...` or in place (`v *= alpha; v += ...`). Assigning to a "
        "loop variable (`v = alpha * v + ...`) creates a new array that is thrown away.",
    ),
    "optimizer_nonfinite": Hint(
        "On {case}, step() divided by zero or overflowed ({error}).",
        "Check each denominator and each square root: a running sum of squares must be of g**2 "
        "(a sum of g can go negative under the root), eps goes after the square root, and a step counter t starts at 1 "
        "(increment it before use, so that 1 − β1ᵗ is never 0).",
    ),
    "nesterov_lookahead": Hint(
        "On {case}, the Nesterov steps match plain momentum.",
        "Nesterov looks ahead: after b = μ·b + g, step along g + μ·b instead of b.",
    ),
    "lr_inside_velocity": Hint(
        "On {case}, the updates after the learning rate changed match a velocity that "
        "has lr folded into it (b = μb + lr·g).",
        "Keep lr out of the stored state, as torch.optim.SGD does: b = μb + g, then w -= lr·b (w -= lr·(g + μb) with "
        "Nesterov). Then lowering lr changes every later step at once.",
    ),
    "wrong_default": Hint(
        "{name}'s default for `{arg}` is not the one the exercise gives (for an optimizer, torch.optim's).",
        "Keep the signature of the answer cell, defaults included: code that leaves `{arg}` out relies on them "
        "(and an optimizer's match PyTorch's, as the table above says).",
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
        "On {case}, the result matches a denominator of one magnitude (|a|, |b| or "
        "their maximum) instead of their sum.",
        "Use the course's definition: |a − b| / max(|a| + |b|, 1e-8), the sum of the magnitudes.",
    ),
    "confusion_transposed": Hint(
        "On {case}, the matrix is transposed.",
        "Row i is the true class i, column j the predicted class j: count pairs (y_true[k], y_pred[k]).",
    ),
    "argmax_axis": Hint(
        "On {case}, the predictions come from np.argmax over the whole array.",
        "np.argmax(scores) without an axis returns one index into the flattened array; take each "
        "row's argmax: np.argmax(scores, axis=1).",
    ),
    "accuracy_count": Hint(
        "On {case}, the result is the number of correct predictions, not the fraction.",
        "Divide by N, or take the mean of the boolean array: np.mean(predicted == labels).",
    ),
    "fancy_index_add": Hint(
        "On {case}, pairs that occur more than once were counted once.",
        "Count, do not mark: `M[t, p] = 1` in a loop, or `M[y_true, y_pred] += 1` on whole arrays "
        "(which adds once per repeated index pair), both count a pair once. Use `M[t, p] += 1` inside a loop over the "
        "samples, or np.add.at(M, (y_true, y_pred), 1).",
    ),
    "returns_scores": Hint(
        "On {case}, {name} returned scores of shape {got}, not one label per sample.",
        "Return the predicted classes: np.argmax(scores, axis=1), shape (N,).",
    ),
    "ignores_input": Hint(
        "On {case}, the accuracy collapses when the same samples come in another order or selection: each prediction "
        "depends on the other samples in X, or ignores X.",
        "A sample's prediction must depend on that sample alone: standardise X with the mean and std saved from "
        "*training* (not X's own), then run the model on X itself, not on a stored array.",
    ),
    "too_inaccurate": Hint(
        "{name} reached {got} on {case}; the goal is at least {expected}.",
        "Check that the training cell ran, that X is standardised with the *training* mean and std (not its own), the "
        "learning rate (try 0.01 to 0.1) and the number of epochs; plot the loss curve to see what happens.",
    ),
    # ---- 10 deep networks: initialisation, clipping, batch norm, residual connections
    "init_transposed": Hint(
        "On {case}, the weights have shape (fan_out, fan_in): transposed.",
        "A Dense layer computes x @ W with x of shape (N, fan_in), so W must be (fan_in, fan_out): draw "
        "rng.standard_normal((fan_in, fan_out)).",
    ),
    "init_fan_out": Hint(
        "On {case}, the weights' spread matches √(2 / fan_out): the variance is divided by the number of outputs.",
        "He initialisation keeps the variance of the *activations* constant going forward, and each output "
        "sums fan_in inputs: use std = √(2 / fan_in).",
    ),
    "init_xavier": Hint(
        "On {case}, the weights' spread matches Xavier's √(2 / (fan_in + fan_out)), not He's.",
        "Xavier averages the forward and backward fan for tanh; for ReLU, which zeroes half "
        "its inputs, He uses std = √(2 / fan_in).",
    ),
    "init_lecun": Hint(
        "On {case}, the weights' spread matches √(1 / fan_in): the factor 2 is missing.",
        "ReLU passes only half of its inputs, which halves the variance at every layer; He's factor "
        "2 makes up for it: std = √(2 / fan_in).",
    ),
    "init_variance_as_std": Hint(
        "On {case}, the weights' spread matches 2 / fan_in: the variance was used as the standard deviation.",
        "Var(w) = 2 / fan_in, so multiply the standard normal draws by its square root, np.sqrt(2 / fan_in).",
    ),
    "init_not_centred": Hint(
        "On {case}, the weights' mean is clearly not 0.",
        "Draw from a distribution centred on 0 (rng.standard_normal, not rng.random, which is uniform on [0, 1)): "
        "positive-only weights shift every activation the same way.",
    ),
    "init_wrong_scale": Hint(
        "On {case}, the weights' standard deviation is {got} times the one of He initialisation, "
        "which matches none of the usual mistakes.",
        "Compute std = np.sqrt(2 / fan_in) and return rng.standard_normal((fan_in, fan_out)) * std; "
        "print W.std() next to std to compare.",
    ),
    "init_uniform_not_normal": Hint(
        "On {case}, the weights have the right spread but come from a uniform "
        "distribution (their tails are too short).",
        "he_normal draws from a normal distribution: rng.standard_normal (or rng.normal(0, std, shape)). The uniform "
        "version is a different initialiser, he_uniform.",
    ),
    "init_ignores_rng": Hint(
        "On {case}, the same rng seed did not give the same weights, or another seed did not give other weights.",
        "Draw every number from the rng argument (rng.standard_normal(...)), not from np.random or a Generator made "
        "inside the function: that is what makes experiments reproducible.",
    ),
    "clip_not_in_place": Hint(
        "On {case}, the parameters' gradients were not changed: the rescaled gradient went into a new array.",
        "`g = g * scale` rebinds a local name and leaves p.grad as it was; change the array itself: p.grad *= scale.",
    ),
    "clip_each_entry": Hint(
        "On {case}, each gradient entry was clipped to [-max_norm, max_norm] on its own.",
        "Clipping by norm rescales the whole gradient by one factor, so that its direction is kept: total = √(Σ over "
        "all params of Σ g²), then every grad *= max_norm / (total + 1e-6) when that factor is below 1.",
    ),
    "clip_each_parameter": Hint(
        "On {case}, each parameter's gradient was clipped by its own norm.",
        "The norm is taken over all gradients together, as one long vector: sum the squares of every parameter's grad "
        "first, then use one factor for all of them.",
    ),
    "clip_always_rescales": Hint(
        "On {case}, the gradients were rescaled although their norm was already below max_norm.",
        "Clip only when the norm is too large: multiply by max_norm / (total + 1e-6) only if that factor is below 1.",
    ),
    "clip_norm_squared": Hint(
        "On {case}, the norm is the sum of squares, without the square root.",
        "The L2 norm is √(Σ g²): take np.sqrt of the total before comparing it with max_norm.",
    ),
    "clip_returns_clipped_norm": Hint(
        "On {case}, the norm returned is the one after clipping.",
        "Return the total norm *before* clipping, as torch.nn.utils.clip_grad_norm_ does: it is what "
        "tells you whether the gradients explode.",
    ),
    "bn_wrong_init": Hint(
        "On {case}, `{attr}` is not an array of {start} of shape ({d},) after __init__.",
        "Start as PyTorch does: gamma = Parameter(np.ones(D)), beta = Parameter(np.zeros(D)), running_mean = "
        "np.zeros(D), running_var = np.ones(D), so that a new layer is the identity up to normalisation.",
    ),
    "bn_unbiased_variance": Hint(
        "On {case}, the output matches a normalisation by the unbiased variance (dividing by N - 1).",
        "Normalise with the batch's biased variance, x.var(axis=0) (dividing by N); the unbiased one, times "
        "N / (N - 1), is only for updating running_var.",
    ),
    "bn_eps_outside_sqrt": Hint(
        "On {case}, the output matches (x - μ) / (σ + eps): eps is added outside the square root.",
        "eps goes under the root: (x - μ) / np.sqrt(σ² + eps), as PyTorch does "
        "(the difference is large when eps is not tiny).",
    ),
    "bn_wrong_axis": Hint(
        "On {case}, the output matches a normalisation of each row (each sample) "
        "instead of each column (each feature).",
        "Batch norm normalises every feature over the batch: take the mean and "
        "variance with axis=0, giving shape (D,).",
    ),
    "bn_affine_missing": Hint(
        "On {case}, the output is the normalised x̂ without the scale and shift.",
        "Return gamma.value * x̂ + beta.value: the learned γ and β let the network undo "
        "the normalisation where that helps.",
    ),
    "bn_backward_missing_terms": Hint(
        "On {case}, dx matches γ·dout/√(σ² + eps): the paths through the batch mean and variance are missing.",
        "In training mode μ and σ² depend on every row of x, so dx has two more terms: "
        "dx = γ/√(σ² + eps) · (dout − mean(dout) − x̂ · mean(dout · x̂)), means over axis 0.",
    ),
    "bn_backward_missing_variance_term": Hint(
        "On {case}, dx has the mean's term but not the variance's: the − x̂ · mean(dout · x̂) term is missing.",
        "σ² depends on x too; its path gives − x̂ · mean(dout · x̂, axis=0) inside the bracket.",
    ),
    "bn_backward_missing_mean_term": Hint(
        "On {case}, dx has the variance's term but not the mean's: the − mean(dout) term is missing.",
        "μ depends on every row of x; its path subtracts mean(dout, axis=0) inside the bracket.",
    ),
    "bn_momentum_reversed": Hint(
        "On {case}, the running statistics keep a fraction momentum of the old value instead of (1 − momentum).",
        "PyTorch's momentum is the weight of the *new* batch: running = (1 − momentum) · "
        "running + momentum · batch_statistic.",
    ),
    "bn_running_var_biased": Hint(
        "On {case}, running_var was updated with the biased batch variance.",
        "As PyTorch does, store the unbiased estimate in running_var: the batch variance times N / (N − 1) "
        "(x.var(axis=0, ddof=1)). Normalise with the biased one.",
    ),
    "bn_running_overwritten": Hint(
        "On {case}, the running statistics were replaced by the batch's instead of moving towards them.",
        "Blend them: running = (1 − momentum) · running + momentum · batch_statistic, so that "
        "evaluation uses an average over many batches.",
    ),
    "bn_running_not_updated": Hint(
        "On {case}, running_mean and running_var did not change after a training-mode forward pass.",
        "Update them in forward when self.training is True, in place or by rebinding self.running_mean "
        "(the check reads the attributes).",
    ),
    "bn_batch_stats_in_eval": Hint(
        "On {case}, evaluation mode normalised with the batch's own statistics.",
        "In evaluation mode (self.training is False) use running_mean and running_var: a prediction must not "
        "depend on the other samples in the batch.",
    ),
    "bn_running_updated_in_eval": Hint(
        "On {case}, the running statistics changed during an evaluation-mode forward pass.",
        "Update running_mean and running_var only when self.training is True: evaluating "
        "on test data must not change the model.",
    ),
    "bn_eval_backward_uses_batch": Hint(
        "On {case}, backward in evaluation mode used the training-mode formula.",
        "In evaluation mode μ and σ² are constants (the running statistics), so the layer is affine: "
        "dx = γ · dout / √(running_var + eps).",
    ),
    "residual_forward_missing_skip": Hint(
        "On {case}, the output is layer(x) alone: the skip connection is missing.",
        "A residual block returns x + self.layer.forward(x).",
    ),
    "residual_forward_doubled": Hint(
        "On {case}, x was added twice.",
        "Return x + self.layer.forward(x), once.",
    ),
    "residual_backward_missing_identity": Hint(
        "On {case}, dx is the inner layer's gradient alone: the identity path's dout is missing.",
        "out = x + layer(x) has two paths back to x, and the gradients of paths add: "
        "dx = dout + self.layer.backward(dout). The identity path is what keeps deep networks trainable.",
    ),
    "residual_backward_skip_only": Hint(
        "On {case}, dx is dout alone: the gradient through the inner layer is missing.",
        "Call self.layer.backward(dout) (which also fills its parameters' gradients) and add its result: "
        "dx = dout + self.layer.backward(dout).",
    ),
    "residual_inner_backward_skipped": Hint(
        "On {case}, the inner layer's parameters got no gradient: its backward was not called.",
        "Call self.layer.backward(dout) in Residual.backward, so that the wrapped layer's weights learn.",
    ),
    "residual_parameters_hidden": Hint(
        "On {case}, the parameters returned are not those of the wrapped layer.",
        "Return self.layer.parameters(): an optimizer given model.parameters() must "
        "reach the weights inside the block.",
    ),
    "residual_mode_not_passed": Hint(
        "On {case}, the wrapped layer stayed in training mode.",
        "Override train(self, mode=True): set self.training = mode, call self.layer.train(mode), "
        "return self; eval() calls train(False).",
    ),
    # ---- 11 regularisation: penalties, dropout, early stopping, augmentation
    "penalty_grad_overwritten": Hint(
        "On {case}, the gradient that backward had already put in p.grad was replaced by the penalty's.",
        "Misconception 15. The penalty's gradient adds to the loss's: p.grad += reg * ..., never p.grad = ....",
    ),
    "penalty_grad_not_added": Hint(
        "On {case}, p.grad did not change: the penalty's gradient was never added.",
        "Add it in place: p.grad += ... (a loop variable `g = g + ...` changes a copy only).",
    ),
    "l2_value_missing_half": Hint(
        "On {case}, the value and gradient match reg · Σw² with gradient reg · w: they do not belong together.",
        "With the gradient reg · w (PyTorch's weight_decay), the penalty is reg / 2 · Σw²: the 1/2 is "
        "what makes the derivative exactly reg · w.",
    ),
    "l2_grad_doubled": Hint(
        "On {case}, the gradient is 2 · reg · w: the factor 2 of d(w²)/dw was kept although the penalty carries a 1/2.",
        "d/dw of reg/2 · w² is reg · w: the 2 and the 1/2 cancel.",
    ),
    "l2_grad_halved": Hint(
        "On {case}, the gradient is reg/2 · w: the factor 2 of d(w²)/dw was dropped.",
        "d/dw of reg/2 · w² = reg/2 · 2w = reg · w.",
    ),
    "l2_norm_not_squared": Hint(
        "On {case}, the penalty is reg times the norm ‖w‖ rather than half its square.",
        "The L2 penalty is reg / 2 · Σ w² over every weight: square each weight and sum, without a square root.",
    ),
    "l1_value_without_abs": Hint(
        "On {case}, the penalty sums the weights themselves, not their absolute values.",
        "L1 is reg · Σ|w|: np.abs before the sum, or negative weights cancel positive ones.",
    ),
    "l1_gradient_of_l2": Hint(
        "On {case}, the gradient is reg · w: that is L2's gradient.",
        "The derivative of |w| is sign(w): the L1 gradient is reg · np.sign(w), the same "
        "size for every weight however small.",
    ),
    "l1_gradient_without_sign": Hint(
        "On {case}, the gradient is reg for every weight: the sign is missing.",
        "d|w|/dw is +1 for positive weights and −1 for negative ones: use reg * np.sign(w) (which is 0 at w = 0).",
    ),
    "l1_sign_of_zero": Hint(
        "On {case}, the gradient is NaN where a weight is exactly 0: w / |w| divides 0 by 0.",
        "Use np.sign(w), which is 0 at w = 0 (as PyTorch's abs backward): |w| has no slope "
        "there, and 0 leaves such weights alone.",
    ),
    "dropout_not_applied": Hint(
        "On {case}, nothing was dropped: the output equals the input.",
        "In training mode (self.training is True) draw a mask with self.rng and multiply by it; "
        "only evaluation mode is the identity.",
    ),
    "dropout_not_scaled": Hint(
        "On {case}, the kept units are not scaled: they equal x.",
        "Inverted dropout divides the kept units by (1 − p), so that every unit's expected output equals "
        "its input and evaluation needs no rescaling.",
    ),
    "dropout_scaled_by_p": Hint(
        "On {case}, the kept units are multiplied by p.",
        "Divide by the probability of *keeping* a unit, 1 − p: out = x · keep / (1 − p).",
    ),
    "dropout_divided_by_p": Hint(
        "On {case}, the kept units are divided by p.",
        "p is the probability of dropping; divide by the probability of keeping, 1 − p.",
    ),
    "dropout_scaled_by_keep": Hint(
        "On {case}, the kept units are multiplied by (1 − p): that is the old, non-inverted dropout's "
        "test-time scaling, applied in training.",
        "Inverted dropout divides by (1 − p) in training and does nothing in evaluation: out = x · keep / (1 − p).",
    ),
    "dropout_not_a_mask": Hint(
        "On {case}, the output is not x times a mask of zeros and one constant scale.",
        "Build keep = self.rng.random(x.shape) >= self.p (an array of True/False), "
        "then return x * keep / (1 - self.p).",
    ),
    "dropout_keeps_p": Hint(
        "On {case}, about a fraction 1 − p of the units was dropped: the mask keeps with probability p.",
        "p is the probability of *dropping*: keep a unit where self.rng.random(x.shape) >= p.",
    ),
    "dropout_wrong_rate": Hint(
        "On {case}, {got} of the units were dropped: far from a fraction p of them.",
        "Draw one uniform number per unit, u = self.rng.random(x.shape), and drop exactly where u < p.",
    ),
    "dropout_backward_not_scaled": Hint(
        "On {case}, dx is dout times the 0/1 mask, without the 1 / (1 − p).",
        "out = x · mask / (1 − p), so dx = dout · mask / (1 − p): store the scaled mask in forward and reuse it.",
    ),
    "dropout_backward_identity": Hint(
        "On {case}, dx equals dout: the mask was not applied in backward.",
        "A dropped unit did not reach the loss, so its gradient is 0: dx = dout · mask / (1 − p), with forward's mask.",
    ),
    "dropout_new_mask_in_backward": Hint(
        "On {case}, backward applied a mask other than forward's.",
        "Store the mask in forward (self.mask = ...) and use that one in backward: a new draw zeroes "
        "the gradient of units that were kept.",
    ),
    "dropout_same_mask": Hint(
        "On {case}, two forward passes dropped exactly the same units.",
        "Draw a new mask at every forward pass (self.rng.random(x.shape) inside forward, not in __init__): each "
        "step must train a different thinned network.",
    ),
    "dropout_ignores_rng": Hint(
        "On {case}, two layers made with the same rng seed dropped different units, or layers "
        "with different seeds dropped the same.",
        "Create self.rng = np.random.default_rng(rng) in __init__ and draw every mask "
        "from self.rng, not from np.random.",
    ),
    "dropout_eval_rescaled": Hint(
        "On {case}, evaluation mode multiplied x by (1 − p).",
        "With inverted dropout the scaling already happened in training: in evaluation mode return x unchanged.",
    ),
    "dropout_eval_divided": Hint(
        "On {case}, evaluation mode divided x by (1 − p).",
        "Only kept units in training are divided by (1 − p); in evaluation mode return x unchanged.",
    ),
    "dropout_in_eval": Hint(
        "On {case}, units were dropped in evaluation mode.",
        "Check self.training in forward (it is False after .eval()): drop only while training, "
        "and return x unchanged otherwise.",
    ),
    "patience_off_by_one": Hint(
        "On {case}, step returned True one epoch late: after patience + 1 epochs without improvement.",
        "Stop as soon as the count of epochs without improvement reaches patience: "
        "return self.bad_epochs >= self.patience.",
    ),
    "patience_not_reset": Hint(
        "On {case}, the count of epochs without improvement was not reset by an improvement.",
        "When the loss improves, set self.bad_epochs = 0: patience counts epochs *in a row* without improvement.",
    ),
    "compares_with_last_epoch": Hint(
        "On {case}, an epoch counted as an improvement when it beat the previous epoch rather than the best one.",
        "Compare with self.best_loss, the lowest loss so far: a curve that wobbles up and "
        "down above its best is not improving.",
    ),
    "tie_counts_as_improvement": Hint(
        "On {case}, a loss equal to the best counted as an improvement.",
        "Improvement means strictly lower: val_loss < self.best_loss - self.min_delta (use <, not <=).",
    ),
    "min_delta_ignored": Hint(
        "On {case}, a loss lower than the best by less than min_delta counted as an improvement.",
        "An improvement must beat the best by more than min_delta: val_loss < self.best_loss - self.min_delta.",
    ),
    "shift_wraps_around": Hint(
        "On {case}, pixels pushed off one edge came back on the other: np.roll wraps around.",
        "Start from np.zeros_like(images) and copy the overlapping block with slices, "
        "so that the uncovered border stays 0.",
    ),
    "shift_axes_swapped": Hint(
        "On {case}, the image moved dx rows and dy columns: the two axes are swapped.",
        "images has shape (N, H, W): dy moves along axis 1 (rows, down), dx along axis 2 (columns, right).",
    ),
    "shift_wrong_direction": Hint(
        "On {case}, the image moved the opposite way.",
        "Positive dy moves the picture *down*: the pixel at row r goes to row r + dy, so "
        "out[:, dy:, :] = images[:, :H - dy, :].",
    ),
    # ---- found by the audit of 01-09
    "bias_missing_in_forward": Hint(
        "On {case}, the output matches x @ W alone: the bias is missing.",
        "Add self.b.value (shape (H,)), which broadcasts over the N rows: x @ self.W.value + self.b.value.",
    ),
    "bias_missing": Hint(
        "On {case}, the result matches the computation without the bias b.",
        "The score is z = X @ w + b: add b (a float, broadcast over the N rows) before anything else.",
    ),
    "bias_after_sigmoid": Hint(
        "On {case}, the result matches b added after the sigmoid: σ(X w) + b is not a probability.",
        "Add b inside: σ(X @ w + b).",
    ),
    "divided_by_features": Hint(
        "On {case}, dw matches a division by the number of features D instead of the number of samples N.",
        "The loss is a mean over the N samples: divide Xᵀ(p − y) by N = len(y) = X.shape[0]. Misconception 26.",
    ),
    "sgd_dampened_momentum": Hint(
        "On {case}, the result matches a velocity that averages, b = μb + (1 − μ)g: torch.optim.SGD "
        "adds the whole gradient, b = μb + g.",
        "Keep (1 − β) for Adam's moments; SGD's momentum buffer is b = momentum * b + g.",
    ),
    "adaptive_without_root": Hint(
        "On {case}, the result matches a step divided by the running average of g² itself, without its square root.",
        "Divide by np.sqrt(v) + eps: the root brings g² back to the scale of g, so that the step is about lr.",
    ),
    "rmsprop_alpha_swapped": Hint(
        "On {case}, the result matches α and 1 − α swapped: v = (1 − α)v + αg² "
        "forgets almost everything at every step.",
        "v = alpha * v + (1 - alpha) * g**2, with alpha = 0.99 by default: the old average keeps the large weight.",
    ),
    "adam_corrections_swapped": Hint(
        "On {case}, the result matches m divided by 1 − β2ᵗ and v by 1 − β1ᵗ: the two corrections swapped.",
        "Each moment is corrected by its own β: m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ).",
    ),
    "adam_only_m_corrected": Hint(
        "On {case}, the result matches m corrected for its bias and v not.",
        "Correct both: v̂ = v / (1 − β2ᵗ) too; v starts at 0 like m, and early steps would be too large without it.",
    ),
    "adam_only_v_corrected": Hint(
        "On {case}, the result matches v corrected for its bias and m not.",
        "Correct both: m̂ = m / (1 − β1ᵗ) too; m starts at 0 like v, and early steps would be too small without it.",
    ),
    "relu_max_not_maximum": Hint(
        "On {case}, the result matches np.max(x, 0): the largest entry along axis 0, not max(x, 0) entry by entry.",
        "np.max reduces an axis; np.maximum(x, 0) compares each entry with 0.",
    ),
    "leaky_as_relu": Hint(
        "On {case}, the result is plain ReLU: the negative side is 0 where it should be alpha · x.",
        "Leaky ReLU keeps a small slope for x < 0: np.where(x > 0, x, alpha * x).",
    ),
    "softmax_normalised_globally": Hint(
        "On {case}, the result matches one normalisation over the whole array: all entries "
        "together sum to 1, each row to less.",
        "Each row is one sample's distribution: divide by the sum of its own row, e.sum(axis=-1, keepdims=True).",
    ),
    "one_step_too_many": Hint(
        "On {case}, the trajectory has one update too many ({got} rows instead of {expected}).",
        "steps updates give steps + 1 points, w0 included: for _ in range(steps), one update each.",
    ),
    "backward_changes_weights": Hint(
        "After {case}, self.{attr}.value has changed: backward updated the weights.",
        "backward only computes gradients (into .grad); the optimizer's step() changes the weights, after zero_grad, "
        "backward and perhaps clipping. Remove the update from backward.",
    ),
    "rel_error_abs_of_sum": Hint(
        "On {case}, the result matches |a − b| / |a + b|: for a gradient with the wrong "
        "sign, a + b is 0 and the error explodes.",
        "Divide by |a| + |b| (each taken absolute first), which is 0 only where both are: np.abs(a) + np.abs(b).",
    ),
    "accuracy_zero_unless_all_right": Hint(
        "On {case}, the result is 0 although some rows are right: integer division (//) rounds the fraction down, and "
        "np.all asks whether all rows are right, not how many.",
        "The accuracy is the fraction of right rows: np.mean(predicted == labels), or their count divided with / by N.",
    ),
    "accuracy_divided_by_classes": Hint(
        "On {case}, the result matches the number of right rows divided by the number of classes C.",
        "Divide by the number of samples N = len(labels) (or take np.mean over the rows).",
    ),
    "accuracy_compares_scores": Hint(
        "On {case}, the result matches the largest *score* compared with the label: np.max "
        "gives the score, np.argmax its class.",
        "The predicted class is the index of the largest score: np.argmax(scores, axis=1).",
    ),
    "accuracy_error_rate": Hint(
        "On {case}, the result matches the fraction of *wrong* rows: that is the error rate, 1 − accuracy.",
        "Count the rows where the predicted class equals the label (==).",
    ),
    "counts_not_integers": Hint(
        "On {case}, the counts are right but stored as {got}.",
        "A confusion matrix counts samples: create it with an integer dtype, np.zeros((C, C), "
        "dtype=np.int64) (np.bincount gives one too).",
    ),
    # ---- 12-convolutions
    "conv_size_no_plus_one": Hint(
        "On {case}, the size is one short: the + 1 is missing.",
        "Count the window's starting positions 0, s, 2s, …: the last one is at most size + 2·padding − kernel, so "
        "there are ⌊(size + 2·padding − kernel) / stride⌋ + 1 of them. Misconception 32.",
    ),
    "conv_size_padding_once": Hint(
        "On {case}, the size matches padding added on one side only.",
        "padding zeros go on *each* side: the padded length is size + 2·padding. Misconception 32.",
    ),
    "conv_size_padding_ignored": Hint(
        "On {case}, the size matches no padding at all.",
        "The windows slide over the padded input, of length size + 2·padding. Misconception 32.",
    ),
    "conv_size_ceil": Hint(
        "On {case}, the size is rounded up: it counts a last window that does not fit.",
        "A window that would stick out of the padded input is dropped (as in PyTorch): "
        "round down with //. Misconception 32.",
    ),
    "conv_size_true_division": Hint(
        "On {case}, the size is not a whole number: / divides exactly where the count must round down.",
        "Use integer division, (size + 2 * padding - kernel) // stride + 1.",
    ),
    "conv_size_not_int": Hint(
        "On {case}, the size is right but a {kind}, not an int: np.zeros((N, F, Ho, Wo)) refuses it.",
        "Compute it with // on ints (not /, and not through math.floor of a float), or convert with int(...).",
    ),
    "conv_kernel_flipped_in_forward": Hint(
        "On {case}, the output matches the kernel flipped: a true convolution, where conv2d "
        "(as PyTorch's) is a cross-correlation.",
        "In forward, multiply x_pad[n, :, s·i + u, s·j + v] by W[f, :, u, v], the kernel as it is; only dx "
        "uses the flipped kernel. Misconception 32.",
    ),
    "conv_bias_missing": Hint(
        "On {case}, the output matches no bias at all.",
        "Add b[f] to every position of output channel f: out += b[None, :, None, None] (b has shape (F,)).",
    ),
    "conv_padding_ignored": Hint(
        "On {case}, the output matches no padding ({got} instead of {expected}).",
        "Pad x with zeros first: np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))), then "
        "slide the kernel over the padded images.",
    ),
    "conv_stride_ignored": Hint(
        "On {case}, the output matches stride 1 ({got} instead of {expected}).",
        "Output pixel (i, j) reads the window that starts at row stride·i and column stride·j of the padded input.",
    ),
    "conv_last_channel_only": Hint(
        "On {case}, the output matches the last input channel alone: the sum over channels is "
        "missing, probably `=` inside a loop over c.",
        "Each output sums over every input channel c and every kernel offset: accumulate with += (or contract the "
        "channel axis with np.tensordot or np.einsum).",
    ),
    "conv_dx_kernel_not_flipped": Hint(
        "On {case}, dx matches a full convolution of dout with the kernel *not* flipped.",
        "Each input pixel gathers W[f, c, u, v] · dout[n, f, i, j] from every output (i, j) whose window "
        "covered it at offset (u, v): written as a convolution of dout, that is the *flipped* kernel. Adding "
        "W[f, :, u, v] · dout[n, f, i, j] into the window at (s·i, s·j) avoids the flip altogether. Misconception 32.",
    ),
    "conv_backward_padding_kept": Hint(
        "On {case}, dx has the shape of the *padded* input, {got} instead of {expected}.",
        "Accumulate into a padded dx, then cut the padding off: dx_pad[:, :, p:p + H, p:p + W]. The padding zeros are "
        "not inputs and get no gradient. Misconception 32.",
    ),
    "conv_dW_last_image_only": Hint(
        "On {case}, dW matches the last image of the batch alone: the sum over the batch is "
        "missing, probably `=` inside a loop over n.",
        "The same W is used on every image, so dW adds up the contribution of every image n (and every position): "
        "+=, or sum over n. Misconception 32.",
    ),
    "conv_dx_last_filter_only": Hint(
        "On {case}, dx matches the last filter alone: the sum over filters is missing, "
        "probably `=` inside a loop over f.",
        "Every filter f read the same input pixel, so dx adds up W[f] · dout[:, f] "
        "over all F filters. Misconception 15.",
    ),
    "conv_db_mean_over_positions": Hint(
        "On {case}, db matches the *mean* of dout over the output positions instead of the sum.",
        "b[f] is added at every position of every image, so db[f] = dout[:, f].sum() over the batch and all "
        "Ho × Wo positions: dout.sum(axis=(0, 2, 3)).",
    ),
    "conv_backward_stride_ignored": Hint(
        "On {case}, dx and dW match windows that move by 1 instead of by the stride.",
        "Backward must visit the same windows as forward: output (i, j) read the input at rows stride·i … "
        "stride·i + kh − 1; send its gradient back there.",
    ),
    "pool_average_not_max": Hint(
        "On {case}, the output matches the *mean* of each window: average pooling.",
        "Max pooling keeps each window's largest entry: window.max(axis=(2, 3)).",
    ),
    "pool_absolute_max": Hint(
        "On {case}, the output matches the largest *absolute* value of each window.",
        "Take the maximum of the values themselves (np.max), not of np.abs: a window of negative "
        "numbers gives its least negative one.",
    ),
    "pool_default_stride_one": Hint(
        "On {case}, with the stride left out, the output matches stride 1 ({got} instead of {expected}).",
        "stride=None means the stride equals kernel_size (windows that tile the image, as in PyTorch): start with "
        "`if stride is None: stride = kernel_size`.",
    ),
    "pool_grad_spread_over_window": Hint(
        "On {case}, dx matches each window's gradient spread evenly over the window: "
        "that is average pooling's backward.",
        "Only the maximum reached the output, so only it gets dout; the other pixels "
        "of the window get 0. Misconception 33.",
    ),
    "pool_grad_to_every_pixel": Hint(
        "On {case}, dx matches each window's gradient copied to every pixel of the window.",
        "Only the pixel that was the window's maximum reached the output: send dout there alone "
        "(a one-hot mask of the argmax). Misconception 33.",
    ),
    "pool_grad_to_every_tie": Hint(
        "On {case}, dx matches the gradient sent to *every* pixel equal to the window's maximum: with "
        "ties, dx then adds up to more than dout.",
        "Make the mask with np.argmax, which picks one pixel (the first maximum in row-major order, as PyTorch), "
        "not with x == max. Misconception 33.",
    ),
    "pool_grad_to_last_tie": Hint(
        "On {case}, where a window holds tied maxima, dx matches the gradient sent to the *last* of them.",
        "PyTorch, and this course, route it to the first maximum in row-major order, which is what np.argmax of the "
        "flattened window returns (> in a loop keeps the first; >= keeps the last). Misconception 33.",
    ),
    "pool_overlap_overwritten": Hint(
        "On {case}, with overlapping windows (stride < kernel_size), dx matches each window's gradient written with "
        "`=` over the window, erasing what an earlier window put there.",
        "A pixel in two windows can be the maximum of both: add into dx (+=) so that it "
        "receives both gradients. Misconception 15.",
    ),
    "pool_overlap_assigned": Hint(
        "On {case}, with overlapping windows (stride < kernel_size), dx matches the gradient written with `=` at each "
        "maximum: a pixel that is the maximum of two windows keeps only one of their gradients.",
        "Add into dx (+=): the chain rule sums over every use of a pixel. Misconception 15.",
    ),
    # ---- 13-recurrent-networks
    "rnn_sigmoid_not_tanh": Hint(
        "On {case}, the state matches a sigmoid where the RNN uses tanh.",
        "h = np.tanh(x @ Wx + h_prev @ Wh + b): tanh keeps the state in (−1, 1), centred on 0, as torch.nn.RNN does.",
    ),
    "rnn_wh_transposed": Hint(
        "On {case}, the state matches h_prev @ Wh.T: Wh is square, so the shapes could not warn you.",
        "With row vectors (x is (N, D), h_prev is (N, H)), the recurrent term is "
        "h_prev @ Wh, as x @ Wx. Misconception 11.",
    ),
    "rnn_previous_state_ignored": Hint(
        "On {case}, the state matches x @ Wx + b alone: h_prev is not used.",
        "The recurrence is what makes it an RNN: add h_prev @ Wh inside the tanh.",
    ),
    "rnn_bias_missing": Hint(
        "On {case}, the state matches no bias.",
        "Add b (shape (H,)) inside the tanh; it broadcasts over the N rows.",
    ),
    "rnn_no_tanh": Hint(
        "On {case}, the state matches the pre-activation: the tanh is missing.",
        "Return np.tanh(x @ Wx + h_prev @ Wh + b).",
    ),
    "rnn_tanh_grad_of_state": Hint(
        "On {case}, the gradients match 1 − tanh(h)²: tanh applied to the state again. h is already tanh(a).",
        "tanh'(a) = 1 − tanh(a)² = 1 − h², from the output you are given. Misconception 25.",
    ),
    "rnn_tanh_grad_no_square": Hint(
        "On {case}, the gradients match tanh' taken as 1 − h, without the square.",
        "tanh'(a) = 1 − tanh(a)² = 1 − h**2. Misconception 25.",
    ),
    "rnn_tanh_grad_missing": Hint(
        "On {case}, the gradients match dh passed on without the tanh's derivative.",
        "First back through the tanh: da = dh * (1 - h**2); every other gradient is computed from da.",
    ),
    "rnn_dh_prev_not_transposed": Hint(
        "On {case}, dh_prev matches da @ Wh: Wh is square, so the shapes could not warn you.",
        "h_prev was multiplied by Wh on the right (h_prev @ Wh), so its gradient is da @ Wh.T, "
        "as dx = da @ Wx.T. Misconception 11.",
    ),
    "rnn_dWh_transposed": Hint(
        "On {case}, dWh matches da.T @ h_prev, the transpose: Wh is square, so the shapes could not warn you.",
        "dWh = h_prev.T @ da, (H, N) @ (N, H), as dWx = x.T @ da. Misconception 11.",
    ),
    "bptt_next_step_dropped": Hint(
        "On {case}, the gradients match BPTT without the gradient that step t + 1 sends back to h_t.",
        "h_t feeds the output at t *and* step t + 1: dh = dhs[:, t] + dh_next, where dh_next is the dh_prev of the "
        "step after (zeros after the last step). Misconception 34.",
    ),
    "bptt_weights_not_accumulated": Hint(
        "On {case}, dWx, dWh and db match the first time step alone: each step's gradient overwrote the one before.",
        "The same weights are used at every step, so their gradients add up over t: dWh += ... "
        "(start from zeros). Misconception 34.",
    ),
    "bptt_h_prev_wraps_around": Hint(
        "On {case}, dWh matches hs[:, t - 1] used as h_prev at t = 0, where index −1 is the *last* state.",
        "At t = 0 the previous state is h0: h_prev = hs[:, t - 1] if t > 0 else h0.",
    ),
    "bptt_forward_order": Hint(
        "On {case}, the gradients match the steps visited from t = 0 forwards.",
        "The gradient of h_t needs what step t + 1 sends back, so go backwards: for t in "
        "reversed(range(T)). Misconception 34.",
    ),
    "lstm_gates_ifog": Hint(
        "On {case}, the result matches the gates in the order i, f, o, g (as in CS231n): "
        "this course uses PyTorch's i, f, g, o.",
        "Columns 0:H are i, H:2H f, 2H:3H g (the tanh candidate), 3H:4H o, in forward "
        "and in backward. Misconception 35.",
    ),
    "lstm_gates_igfo": Hint(
        "On {case}, the result matches the gates in the order i, g, f, o (as in TensorFlow's old LSTM cell): "
        "this course uses PyTorch's i, f, g, o.",
        "Columns 0:H are i, H:2H f, 2H:3H g (the tanh candidate), 3H:4H o, in forward "
        "and in backward. Misconception 35.",
    ),
    "lstm_g_sigmoid": Hint(
        "On {case}, the result matches a sigmoid for the candidate g.",
        "i, f and o are gates in (0, 1), through sigmoid; the candidate g is a value in (−1, 1), through tanh.",
    ),
    "lstm_forget_path_missing": Hint(
        "On {case}, c matches i ⊙ g alone: the previous cell state, through the forget gate, is missing.",
        "c = f * c_prev + i * g: the forget gate decides how much memory is kept. Misconception 35.",
    ),
    "lstm_h_without_tanh": Hint(
        "On {case}, h matches o ⊙ c: the tanh of the cell state is missing.",
        "h = o * np.tanh(c).",
    ),
    "lstm_incoming_dc_ignored": Hint(
        "On {case}, the gradients match dc (from the next step) left out: only the path through h reaches c.",
        "c_t reaches the loss through h_t and through c_(t+1): dc_t = dc + dh * o "
        "* (1 - tanh(c)**2). Misconception 35.",
    ),
    "lstm_dc_prev_missing_f": Hint(
        "On {case}, dc_prev matches dc_t without the forget gate.",
        "c_t = f ⊙ c_(t−1) + …, so dc_prev = dc_t * f: the forget gate scales what flows back "
        "along the cell state. Misconception 35.",
    ),
    "lstm_tanh_grad_of_c": Hint(
        "On {case}, the gradients match 1 − c² as the slope of tanh(c).",
        "The slope of tanh at c is 1 − tanh(c)², from tanh(c), not from c itself. Misconception 25.",
    ),
    "lstm_dc_missing_h_path": Hint(
        "On {case}, the gradients match dc_t = dc alone: the path from h_t = o ⊙ tanh(c_t) into c_t is missing.",
        "Add dh * o * (1 - np.tanh(c)**2) to the dc that arrives from the next step.",
    ),
    # ---- 14-gan
    "gan_d_labels_swapped": Hint(
        "On {case}, the result matches the labels swapped: the real samples labelled 0 and the fakes 1.",
        "The discriminator says 'real' with a high σ(s): its loss is softplus(−r) for the reals (label 1) and "
        "softplus(f) for the fakes (label 0). Misconception 36.",
    ),
    "gan_d_mean_over_both": Hint(
        "On {case}, the result matches one mean over the real and fake samples together.",
        "The loss is a mean over the M reals plus a mean over the K fakes: d_real divides by M "
        "and d_fake by K (the check uses M ≠ K).",
    ),
    "gan_d_sum_not_mean": Hint(
        "On {case}, the result matches sums over the samples instead of means.",
        "Average each half: np.mean(...) for the loss, and divide each gradient by "
        "its own batch size. Misconception 8.",
    ),
    "gan_d_halved": Hint(
        "On {case}, the result is half the right one: the two halves are averaged instead of added.",
        "The loss is BCE(real, 1) + BCE(fake, 0), each a mean over its own batch: add them.",
    ),
    "gan_loss_overflow": Hint(
        "On {case}, a floating-point error occurred ({error}): log σ(s) is log(0) once σ underflows, "
        "and exp(−s) overflows for s far below 0.",
        "Write the losses with softplus, computed stably: −log σ(s) = np.logaddexp(0, −s) and "
        "−log(1 − σ(s)) = np.logaddexp(0, s). Misconception 4.",
    ),
    "gan_g_saturating_loss": Hint(
        "On {case}, the result matches the saturating loss log(1 − D(G(z))): its gradient vanishes exactly when D "
        "confidently rejects the fakes, early in training.",
        "Use the non-saturating loss −log D(G(z)) = softplus(−f), with gradient (σ(f) − 1) / K.",
    ),
    "gan_g_fake_label": Hint(
        "On {case}, the result matches the discriminator's loss on the fakes (label 0): the generator "
        "would then help D reject its own samples.",
        "The generator wants D to call its fakes real: label 1, loss softplus(−f) = −log D(G(z)). Misconception 36.",
    ),
    "gan_g_discriminator_gradient": Hint(
        "On {case}, the generator's gradients match the discriminator's own gradient on the fakes, "
        "sent through D: that trains G to be caught.",
        "Start G's backward from the *generator's* loss, generator_loss(logits), not from "
        "discriminator_loss's d_fake. Misconception 36.",
    ),
    "gan_g_not_through_d": Hint(
        "On {case}, the generator's gradients match d loss / d logits fed straight into generator.backward, skipping "
        "the discriminator (with 1-D samples the shapes agree, so nothing raised).",
        "The loss depends on G's weights only through D(fake): first d_fake = discriminator.backward(d_logits), then "
        "generator.backward(d_fake). Misconception 36.",
    ),
    "gan_g_step_first": Hint(
        "On {case}, the weights match the generator's step taken before the discriminator's.",
        "First the discriminator learns from the current fakes; then the generator learns "
        "against the *updated* discriminator.",
    ),
    "gan_steps_not_alternating": Hint(
        "On {case}, the weights match both gradients computed first and both steps taken after: the generator's "
        "backward went through D and added to D's gradients before D's step.",
        "Finish the discriminator's step (zero_grad, backward, step) before the generator's backward, which "
        "also leaves gradients in D. Misconception 16.",
    ),
    "gan_generator_against_old_d": Hint(
        "On {case}, the weights match the generator's gradient computed against the discriminator *before* its step.",
        "Take the discriminator's step first, then compute generator_backward with the updated "
        "discriminator, then the generator's step.",
    ),
    "gan_d_grads_not_zeroed": Hint(
        "On {case}, the discriminator's weights match its gradients not reset before its step: what the generator's "
        "backward left in D from the call before was added in.",
        "Call d_optimizer.zero_grad() (or discriminator.zero_grad()) before the "
        "discriminator's backward. Misconception 16.",
    ),
    "gan_g_grads_not_zeroed": Hint(
        "On {case}, the generator's weights match its gradients piling up from one call to the next.",
        "Call g_optimizer.zero_grad() before generator_backward. Misconception 16.",
    ),
    "gan_d_loss_into_generator": Hint(
        "On {case}, the generator's weights match the discriminator's loss also back-propagated into the generator.",
        "In the discriminator's step the fakes are constants: do not call generator.backward "
        "there (PyTorch writes fake.detach()).",
    ),
}


# A hint that cites a misconception by number points at the students' catalog, which explains
# each with an example: course/misconceptions.md, one folder above every notebook.
_CITATION = re.compile(r"\bMisconception (\d+)\.")


def render(key: str, **fields) -> str:
    """The hint ``key`` as two lines: what went wrong, and what to try next."""
    hint = CATALOG[key]
    try_next = _CITATION.sub(r"Misconception \1 (see ../misconceptions.md).", hint.try_next.format(**fields))
    return f"{hint.problem.format(**fields)}\n     Try: {try_next}"
