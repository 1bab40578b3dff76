"""Stopping a container: its stop signal, the grace, then SIGKILL; for
delete and suspend."""

import dataclasses
import time

from oslo_config import cfg
from oslo_log import log as logging

from heat_docker import client as docker_client
from heat_docker import config
from heat_docker import container_spec as cspec
from heat_docker.resources.docker_resource import UNANSWERED

LOG = logging.getLogger(__name__)

# After the stop signal, wait this long (at most the grace period) for the
# container to stop before polling it: most stop in milliseconds.
STOP_WAIT_SECONDS = 1


@dataclasses.dataclass
class Progress:
    """State carried between a handle_* call and its check_*_complete."""

    started: float | None = None
    # The end of the stop grace, once the stop signal is sent.
    deadline: float | None = None
    killed: bool = False
    stopped: bool = False
    unanswered_since: float | None = None
    server_error_since: float | None = None


class Stopping:
    """How a container resource stops its container."""

    def _begin_stop(self, unrecorded=False):
        """The progress of stopping the container, or None if it is gone.

        The stop signal is sent from the first poll, so that an engine that
        times out is retried there like any other poll. With
        ``unrecorded``, a container made but not recorded is found too.
        """
        if self.resource_id is None and not unrecorded:
            return None
        try:
            client = self._client()
        except docker_client.EndpointUnavailable as exc:
            LOG.warning(
                'Treating container %s as gone: %s', self.resource_id, exc
            )
            return None
        if self.resource_id is None and not self._find_unrecorded(client):
            return None
        return Progress()

    def _find_unrecorded(self, client):
        """A container this resource created but never recorded: its
        engine died between Docker's create and the record. Recorded now,
        so that it is removed like any other."""
        found = client.containers(
            all=True,
            filters={
                'label': '%s=%s' % (cspec.RESOURCE_UUID_LABEL, self.uuid)
            },
        )
        if found:
            self.resource_id_set(found[0]['Id'])
        return bool(found)

    def _grace(self, info):
        """Seconds between the stop signal and SIGKILL."""
        for grace in (
            self.values()['stop_timeout'],
            info['Config'].get('StopTimeout'),
        ):
            if grace is not None:
                return grace
        return cfg.CONF[config.GROUP].stop_timeout

    def _stopped(self, progress):
        if progress.stopped:
            return True
        client = self._client()
        if progress.deadline is None:
            return self._send_stop_signal(client, progress)
        if not client.inspect_container(self.resource_id)['State']['Running']:
            return True
        if time.monotonic() >= progress.deadline and not progress.killed:
            client.kill(self.resource_id, signal='SIGKILL')
            progress.killed = True
        return False

    def _send_stop_signal(self, client, progress):
        info = client.inspect_container(self.resource_id)
        grace = self._grace(info)
        progress.deadline = time.monotonic() + grace
        if not info['State']['Running']:
            progress.stopped = True
            return True
        # The container's own stop signal also disables its restart policy
        # until it is started again, as "docker stop" does.
        client.kill(
            self.resource_id,
            signal=info['Config'].get('StopSignal') or 'SIGTERM',
        )
        wait = min(grace, STOP_WAIT_SECONDS)
        if wait <= 0:
            return False  # no grace: killed at the next poll
        try:
            client.wait(self.resource_id, timeout=wait)
        except UNANSWERED:
            return False  # still stopping: polled until the grace ends
        progress.stopped = True
        return True
