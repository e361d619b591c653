"""bplib: backpropagation from scratch, the reference library of the Backprop course.

Modules, in the order the course meets them:

- ``bplib.autograd``     a scalar reverse-mode engine, for the chain rule
- ``bplib.activations``  sigmoid, tanh, relu, leaky_relu, softmax and their derivatives
- ``bplib.losses``       mse, binary and softmax cross-entropy, their gradients, loss objects
- ``bplib.layers``       Parameter, Layer, Dense and activation layers
- ``bplib.network``      Sequential, fit, evaluate
- ``bplib.optim``        SGD, AdaGrad, RMSProp, Adam, clip_grad_norm
- ``bplib.gradcheck``    numerical_gradient, rel_error, check_layer
- ``bplib.init``         Xavier and He initialisers
- ``bplib.data``         toy data sets, the digits, mini-batches
- ``bplib.plot``         the course's figures (imports matplotlib, so it is not imported here)
- ``bplib.grading``      the checks that the notebooks' tests call
"""
from . import activations, gradcheck, init, layers, losses, network, optim

__version__ = "0.1.0"
