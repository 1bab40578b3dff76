"""Heat's own heat-api, served in-process beside the engine.

``heat-all`` left openstack-heat in release 25, and the ``fake://``
transport between API and engine reaches only within one process, so the
API's WSGI application runs here on a threading server, on 127.0.0.1 only.
Its ``noauth`` pipeline takes every request as the local admin: the real
``openstack stack ...`` CLI works with ``OS_AUTH_TYPE=none`` and
``OS_ENDPOINT=http://127.0.0.1:PORT/v1/admin``.
"""

import os
import socketserver
from wsgiref import simple_server

from oslo_config import cfg
from oslo_log import log as logging

from heat_docker import standalone

LOG = logging.getLogger(__name__)

LOOPBACK = '127.0.0.1'


class _ThreadingServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):
        LOG.info('%s %s', self.address_string(), format % args)


def make_server(port):
    """A WSGI server for heat-api on 127.0.0.1:``port`` (0 picks one)."""
    from heat.common import config as heat_config

    conf = cfg.CONF
    conf.set_override('flavor', 'noauth', group='paste_deploy')
    conf.set_override(
        'api_paste_config',
        os.path.join(standalone.HEAT_ETC, 'api-paste.ini'),
        group='paste_deploy',
    )
    # noauth grants the admin role only; the new default policies also
    # want reader/member roles scoped to a project.
    conf.set_override('enforce_new_defaults', False, group='oslo_policy')
    app = heat_config.load_paste_app('heat-api')
    return simple_server.make_server(
        LOOPBACK, port, app, _ThreadingServer, _QuietHandler
    )
