"""bplib: backpropagation from scratch, the reference library of the Backprop course.

Modules, in the order the course meets them:

- ``bplib.autograd``     a scalar reverse-mode engine, for the chain rule
- ``bplib.activations``  sigmoid, tanh, relu, leaky_relu, softmax and their derivatives
- ``bplib.losses``       mse, binary and softmax cross-entropy, their gradients, loss objects
- ``bplib.layers``       Parameter, Layer, Dense, activation layers, BatchNorm1d, Dropout, Residual
- ``bplib.network``      Sequential, fit, evaluate, gradient_norms, EarlyStopping
- ``bplib.metrics``      accuracy, confusion_matrix (numpy only)
- ``bplib.optim``        SGD, AdaGrad, RMSProp, Adam, clip_grad_norm
- ``bplib.gradcheck``    numerical_gradient, rel_error, check_layer
- ``bplib.conv``         Conv2d, MaxPool2d, Flatten (also in bplib.layers); conv2d, max_pool2d, im2col
- ``bplib.recurrent``    RNN, LSTM (also in bplib.layers); their one-step and BPTT functions
- ``bplib.gan``          a GAN's two losses, the generator's gradient through D, a training step
- ``bplib.init``         Xavier and He initialisers
- ``bplib.data``         toy data sets, the digits, mini-batches, shift_images
- ``bplib.plot``         the course's figures (imports matplotlib, so it is not imported here)
- ``bplib.grading``      the checks that the notebooks' tests call
"""
from . import activations, gradcheck, init, layers, losses, metrics, network, optim

__version__ = "0.1.0"
