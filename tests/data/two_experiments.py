from control.lang import EnvExperiment


class First(EnvExperiment):
    def run(self):
        self.set_dataset("which", 1)


class Second(EnvExperiment):
    def run(self):
        self.set_dataset("which", 2)
