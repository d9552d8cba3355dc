"""A broken experiment: its build uses an argument's value, which the master's repository
scan gives as None. The master skips this file; ``control list`` must say so."""
from control.lang import EnvExperiment, NumberValue


class NeedsItsArguments(EnvExperiment):
    def build(self):
        self.setattr_argument("points", NumberValue(5, precision=0, step=1))
        self.grid = list(range(self.points))  # TypeError when points is None

    def run(self):
        pass
