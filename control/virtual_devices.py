"""The virtual devices ARTIQ's master gives every experiment, for a single command-line
run: ``scheduler`` (this run alone: nothing else is queued) and ``ccb`` (applet requests,
recorded and logged; the dashboard would open them)."""
import logging

logger = logging.getLogger(__name__)

__all__ = ["Scheduler", "CCB"]


class Scheduler:
    """The ``scheduler`` virtual device of a single command-line run."""

    def __init__(self, rid=0, expid=None):
        self.rid = rid
        self.expid = expid
        self.pipeline_name = "main"
        self.priority = 0
        self.termination_requested = False
        self.submitted = []

    def check_pause(self, rid=None):
        return self.termination_requested

    def check_termination(self, rid=None):
        return self.termination_requested

    def pause(self):
        if self.termination_requested:
            from control.lang import TerminationRequested
            raise TerminationRequested

    def submit(self, pipeline_name=None, expid=None, priority=None, due_date=None,
               flush=False):
        self.submitted.append(expid)
        logger.info("submit (not run on the command line): %s", expid)
        return len(self.submitted) + self.rid

    def delete(self, rid):
        logger.info("delete RID %s (ignored on the command line)", rid)

    def request_termination(self, rid):
        if rid == self.rid:
            self.termination_requested = True

    def get_status(self):
        return {}


class CCB:
    """The ``ccb`` virtual device: records applet requests (the dashboard would open
    them)."""

    def __init__(self):
        self.issued = []

    def issue(self, service, *args, **kwargs):
        self.issued.append((service, args, kwargs))
        logger.info("CCB %s %s %s", service, args, kwargs)
