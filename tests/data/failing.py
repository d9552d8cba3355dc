from control.lang import EnvExperiment, NumberValue, TerminationRequested


class Failing(EnvExperiment):
    """Sets some data, then fails in run, as a crashed experiment would."""

    def build(self):
        self.setattr_argument("how", NumberValue(0, precision=0, step=1, min=0, max=2))

    def run(self):
        self.set_dataset("before_failure", [1, 2, 3])
        if self.how == 0:
            raise RuntimeError("the laser unlocked")
        if self.how == 1:
            raise KeyboardInterrupt
        raise TerminationRequested
