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
AlexNet's output layer for fine-tuning) need downloaded weights, which distgluon does not
fetch: the script prints a note and runs them on an untrained
``gluon.model_zoo.vision.alexnet()``, which is named exactly the same way.
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


NOTE = ('[note: gluon.model_zoo.vision.alexnet(pretrained=True) needs downloaded weights; '
        'using an untrained alexnet(), which is named the same way]')


def AlexNet():
    """The model zoo's AlexNet, untrained (pretrained weights are not downloaded)."""
    return gluon.model_zoo.vision.alexnet()


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
