# A crate with nothing but its core device: enough for timeline-only experiments.
device_db = {
    "core": {
        "type": "local",
        "module": "artiq.coredevice.core",
        "class": "Core",
        "arguments": {"host": None, "ref_period": 1e-9, "target": "rv32g"},
    },
}
