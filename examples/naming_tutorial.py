"""The MXNet 1.x tutorial "Naming of Gluon Parameter and Blocks", run on distgluon.

Each section of the tutorial is one function below, in the tutorial's order; run::

    python examples/naming_tutorial.py            # writes model.params in the current dir
    python examples/naming_tutorial.py --workdir /tmp/naming

and the output is what MXNet 1.9.1 prints for the same code (the only change is
``import distgluon as mx``): block prefixes (``dense0_``, ``model0_dense0_``,
``sequential0_dense1_``...), parameter listings, the error of loading parameters saved
by ``model0`` into ``model1`` with ``collect_params().load`` (the names differ), and the
structure-based ``save_parameters``/``load_parameters`` that works.

The tutorial's two model-zoo parts (nesting two pretrained AlexNets, and replacing
AlexNet's output layer for fine-tuning) need ``gluon.model_zoo`` and downloaded weights,
which distgluon does not provide: the script prints a note and runs them on an untrained
copy of the model zoo's AlexNet definition, which is named exactly the same way.
"""
import argparse
import os

import distgluon as mx
from distgluon import gluon


class Model(gluon.Block):
    def __init__(self, **kwargs):
        super(Model, self).__init__(**kwargs)
        with self.name_scope():
            self.dense0 = gluon.nn.Dense(20)
            self.dense1 = gluon.nn.Dense(20)
            self.mydense = gluon.nn.Dense(20, prefix='mydense_')

    def forward(self, x):
        x = mx.nd.relu(self.dense0(x))
        x = mx.nd.relu(self.dense1(x))
        return mx.nd.relu(self.mydense(x))


NOTE = ('[note: skipped gluon.model_zoo.vision.alexnet(pretrained=True): distgluon has no '
        'model zoo and downloads nothing; using an untrained copy of its AlexNet definition]')


class AlexNet(gluon.HybridBlock):
    """model_zoo.vision.AlexNet's layers and naming (features share the parent's prefix)."""

    def __init__(self, classes=1000, **kwargs):
        super(AlexNet, self).__init__(**kwargs)
        nn = gluon.nn
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                for channels, kernel, stride, pad, pool in ((64, 11, 4, 2, True),
                                                            (192, 5, 1, 2, True),
                                                            (384, 3, 1, 1, False),
                                                            (256, 3, 1, 1, False),
                                                            (256, 3, 1, 1, True)):
                    self.features.add(nn.Conv2D(channels, kernel_size=kernel, strides=stride,
                                                padding=pad, activation='relu'))
                    if pool:
                        self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
                self.features.add(nn.Flatten())
                self.features.add(nn.Dense(4096, activation='relu'), nn.Dropout(0.5))
                self.features.add(nn.Dense(4096, activation='relu'), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def naming_blocks():
    mydense = gluon.nn.Dense(100, prefix='mydense_')
    print(mydense.prefix)
    dense0 = gluon.nn.Dense(100)
    print(dense0.prefix)
    dense1 = gluon.nn.Dense(100)
    print(dense1.prefix)
    print(dense0.collect_params())   # "Naming Parameters"


def name_scopes():
    model0 = Model()
    model0.initialize()
    model0(mx.nd.zeros((1, 20)))
    print(model0.prefix)
    print(model0.dense0.prefix)
    print(model0.dense1.prefix)
    print(model0.mydense.prefix)
    model1 = Model()
    print(model1.prefix)
    print(model1.dense0.prefix)
    print(model1.dense1.prefix)
    print(model1.mydense.prefix)
    net = gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(20))
        net.add(gluon.nn.Dense(20))
    print(net.prefix)
    print(net[0].prefix)
    print(net[1].prefix)
    return model0, model1


def model_zoo_note():
    print(NOTE)
    net = gluon.nn.Sequential()
    with net.name_scope():
        net.add(AlexNet())
        net.add(AlexNet())
    print(net.prefix, net[0].prefix, net[1].prefix)


def saving_and_loading(model0, model1):
    print(model0.collect_params(), '\n')
    print(model1.collect_params())
    model0.collect_params().save('model.params')
    try:
        model1.collect_params().load('model.params', mx.cpu())
    except Exception as e:
        print(e)
    model0.save_parameters('model.params')
    model1.load_parameters('model.params')
    print(mx.nd.load('model.params').keys())


def replacing_blocks():
    print(NOTE)
    alexnet = AlexNet()
    print(alexnet.output)
    print(alexnet.output.prefix)
    with alexnet.name_scope():
        alexnet.output = gluon.nn.Dense(100)
    alexnet.output.initialize()
    print(alexnet.output)
    print(alexnet.output.prefix)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--workdir', default='.', help='where model.params is written')
    args = p.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    here = os.getcwd()
    os.chdir(args.workdir)   # the tutorial's error message names the file as given
    try:
        naming_blocks()
        model0, model1 = name_scopes()
        model_zoo_note()
        saving_and_loading(model0, model1)
        replacing_blocks()
    finally:
        os.chdir(here)


if __name__ == '__main__':
    main()
