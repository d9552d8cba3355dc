# The simulated twin of this trap's crate, for artiq_run / artiq_master:
#   artiq_run --device-db drivers/systems/yb171/device_db_sim.py EXPERIMENT.py
# (control run --sim does the same from device_db.py.)
import os as _os

from control.device_db import load_device_db as _load
from control.sim import enable as _enable
from drivers.systems.yb171.sim import sim_config as _sim_config

device_db = _enable(_load(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)),
                                        "device_db.py")), **_sim_config())
