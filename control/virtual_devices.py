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
        """True if the run should yield: here only when its termination was requested
        (nothing else is queued)."""
        return self.termination_requested

    def check_termination(self, rid=None):
        """True once the run's termination was requested."""
        return self.termination_requested

    def pause(self):
        """Return at once (nothing else to run), or raise ``TerminationRequested`` if
        the run's termination was requested."""
        if self.termination_requested:
            from control.lang import TerminationRequested
            raise TerminationRequested

    def submit(self, pipeline_name=None, expid=None, priority=None, due_date=None,
               flush=False):
        """Record and log ``expid`` without running it (a command-line run has no
        queue); returns a made-up RID."""
        self.submitted.append(expid)
        logger.info("submit (not run on the command line): %s", expid)
        return len(self.submitted) + self.rid

    def delete(self, rid):
        """Log the request and do nothing."""
        logger.info("delete RID %s (ignored on the command line)", rid)

    def request_termination(self, rid):
        """Ask this run (``rid`` its own RID) to end at its next ``pause``; other RIDs
        are ignored."""
        if rid == self.rid:
            self.termination_requested = True

    def get_status(self):
        """The master's schedule: empty, as nothing is queued."""
        return {}


class CCB:
    """The ``ccb`` virtual device: records applet requests (the dashboard would open
    them)."""

    def __init__(self):
        self.issued = []

    def issue(self, service, *args, **kwargs):
        """Record and log a request (``create_applet``, ...) the dashboard would act on."""
        self.issued.append((service, args, kwargs))
        logger.info("CCB %s %s %s", service, args, kwargs)
