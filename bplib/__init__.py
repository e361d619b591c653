"""bplib: backpropagation from scratch, the reference library of the Backprop course.

Modules, in the order the course meets them:

- ``bplib.autograd``     a scalar reverse-mode engine, for the chain rule (drawn by ``plot.plot_graph``)
- ``bplib.activations``  sigmoid, tanh, relu, leaky_relu, softmax and their derivatives
- ``bplib.losses``       mse, binary and softmax cross-entropy, their gradients, loss objects
- ``bplib.layers``       Parameter, Layer, Dense, activation layers, BatchNorm1d, Dropout, Residual
- ``bplib.network``      Sequential, fit, evaluate, gradient_norms, EarlyStopping
- ``bplib.metrics``      accuracy, confusion_matrix, and the rules they read classes by: predicted_classes,
                         true_classes (numpy only)
- ``bplib.optim``        SGD, AdaGrad, RMSProp, Adam, clip_grad_norm
- ``bplib.gradcheck``    numerical_gradient, rel_error, check_layer
- ``bplib.conv``         Conv2d, MaxPool2d, Flatten (also in bplib.layers); conv2d, max_pool2d, im2col
- ``bplib.recurrent``    RNN, LSTM (also in bplib.layers); their one-step and BPTT functions
- ``bplib.gan``          a GAN's two losses, the generator's gradient through D, a training step
- ``bplib.init``         Xavier and He initialisers
- ``bplib.data``         toy data sets, the digits, mini-batches, shift_images
- ``bplib.plot``         the course's figures (imports matplotlib, so it is not imported here)
- ``bplib.grading``      the checks that the notebooks' tests call

Randomness: every random function and class takes one argument, ``rng``: an int seed (the same
numbers on every call and every machine), a ``np.random.Generator`` (used as it is and advanced,
so that successive calls sharing one Generator draw new numbers: a new batch order in every
epoch), or None (seeded from the operating system, different every time). The default follows
the purpose:

- ``rng=0`` wherever randomness makes or orders data, so that the same call gives the same
  result: ``bplib.data``'s generators, ``minibatches``, ``train_test_split``, the shuffle of
  ``network.fit`` and the upstream gradient of ``gradcheck.check_layer``;
- ``rng=None`` wherever it starts a model, as in PyTorch, so that two layers built alike differ:
  the initial weights of ``Dense``, ``Conv2d``, ``RNN``, ``LSTM`` and of ``bplib.init``'s
  initialisers, and the masks of ``Dropout``. Pass an int to get the same weights again.
"""
from . import activations, gradcheck, init, layers, losses, metrics, network, optim

__all__ = ["activations", "gradcheck", "init", "layers", "losses", "metrics", "network", "optim"]

__version__ = "0.1.0"
