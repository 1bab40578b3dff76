"""Heat's real engine in this process, with sqlite state and no OpenStack.

Heat imports must come after :func:`boot` selects oslo.service's threading
backend, so callers import heat modules lazily, after booting.
"""

import contextlib
import gc
import os
import secrets
import sys

from oslo_service import backend

from heat_docker.standalone import patches
from heat_docker.standalone import sqlite

# Where pip puts openstack-heat's etc/heat: api-paste.ini, environment.d,
# templates.
HEAT_ETC = os.path.join(sys.prefix, 'etc', 'heat')


def _encryption_key(state_dir):
    """The key Heat encrypts hidden parameters with, kept beside the state."""
    path = os.path.join(state_dir, 'auth_encryption_key')
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as key_file:
            key_file.write(secrets.token_hex(16))
    with open(path) as key_file:
        return key_file.read().strip()


class Heat:
    """A started heat-engine in this process: ``engine`` and ``context``.

    ``engine`` is Heat's own EngineService; its RPC methods are called
    directly, as heat-api would call them over the message bus.
    """

    def __init__(self, engine, context, state_dir):
        self.engine = engine
        self.context = context
        self.state_dir = state_dir

    def stop(self):
        from heat.db import api as db_api

        self.engine.stop()
        # The last connection to close checkpoints the write-ahead log.
        db_api.context_manager.dispose_pool()


@contextlib.contextmanager
def _eventlet_hidden():
    """futurist and oslo.messaging import eventlet, when installed, only to
    offer green threads, which the threading backend never uses; importing
    it costs half a second of start-up. Hidden while Heat loads, eventlet
    stays importable afterwards for whatever else wants it."""
    hidden = 'eventlet' not in sys.modules
    if hidden:
        sys.modules['eventlet'] = None
    try:
        yield
    finally:
        if hidden:
            del sys.modules['eventlet']


def boot(state_dir, plugin_dirs=None, log_file=None, debug=False):
    """Configure and start Heat's engine in this process; return a Heat.

    Heat's convergence engine runs with worker threads, so independent
    resources are worked on in parallel. With ``plugin_dirs``, Heat loads
    the resource types from there as a heat-engine does (the tests point it
    at contrib/); without, they are registered directly.
    """
    # Loading Heat allocates hundreds of thousands of objects that live as
    # long as the process: the collector would scan them again and again
    # while they load (a tenth of start-up) and at every collection after.
    # They are kept out of its sight once loaded.
    gc.disable()
    try:
        with _eventlet_hidden():
            heat = _boot(state_dir, plugin_dirs, log_file, debug)
        gc.freeze()
        return heat
    finally:
        gc.enable()


def _boot(state_dir, plugin_dirs, log_file, debug):
    backend.init_backend(backend.BackendType.THREADING)

    from heat.common import config as heat_config  # noqa: F401 (options)
    from heat.common import context
    from heat.common import messaging
    from heat.db import api as db_api
    from heat.engine import resources
    from heat.engine import service
    from heat.rpc import api as rpc_api
    from oslo_config import cfg
    from oslo_log import log as logging

    os.makedirs(state_dir, exist_ok=True)
    conf = cfg.CONF
    logging.register_options(conf)
    conf([], project='heat', default_config_files=[])
    conf.set_override('plugin_dirs', plugin_dirs or [])
    conf.set_override('deferred_auth_method', 'password')
    conf.set_override('convergence_engine', True)
    # Stack users and projects (for signals) live in Heat's fake Keystone.
    conf.import_opt(
        'keystone_backend',
        'heat.engine.clients.os.keystone.heat_keystoneclient',
    )
    conf.set_override(
        'keystone_backend',
        'heat.engine.clients.os.keystone.fake_keystoneclient'
        '.FakeKeystoneClient',
    )
    conf.set_override('encrypt_parameters_and_properties', True)
    conf.set_override('auth_encryption_key', _encryption_key(state_dir))
    # One user on their own machine: the permissive policy, and abandon
    # and adopt, are safe to offer.
    conf.set_override('enable_stack_abandon', True)
    conf.set_override('enable_stack_adopt', True)
    from heat_docker import config as docker_config

    for name, value in docker_config.PERMISSIVE.items():
        conf.set_override(name, value, group=docker_config.GROUP)
    db_path = os.path.join(state_dir, 'heat.sqlite')
    for option in ('connection', 'slave_connection'):
        conf.set_override(option, 'sqlite:///%s' % db_path, group='database')
    # Heat's @reader transactions go to the "slave" engine. oslo.db yields
    # at every connection's checkin, for eventlet's green threads; among
    # OS threads that hands the interpreter lock to another thread, and
    # the yielding one waits to get it back (a create of 20: 4 % slower).
    db_api.context_manager.configure(
        synchronous_reader=False, thread_checkin=False
    )
    conf.set_override('debug', debug)
    if log_file:
        conf.set_override('log_file', log_file)
    conf.set_override(
        'environment_dir', os.path.join(HEAT_ETC, 'environment.d')
    )
    conf.set_override('template_dir', os.path.join(HEAT_ETC, 'templates'))
    logging.setup(conf, 'heat')
    messaging.setup('fake://')

    patches.apply_all()
    sqlite.prepare(
        db_api.get_engine(),
        db_api.context_manager.reader.get_engine(),
        db_path,
        state_dir,
    )
    resources.initialise()
    if not plugin_dirs:
        import heat_docker

        for name, cls in heat_docker.resource_mapping().items():
            resources.global_env().register_class(name, cls)
    engine = service.EngineService('heat-docker', rpc_api.ENGINE_TOPIC)
    engine.start()
    return Heat(
        engine,
        context.RequestContext(
            user_id='heat-docker',
            project_id='admin',
            project_name='admin',
            roles=['admin'],
            is_admin=True,
            username='heat-docker',
            # There is no Keystone. Heat asks the service catalog which
            # OpenStack services (and so resource types) exist: one that is
            # not empty but lists no endpoints answers "none" at once. The
            # URL is never called; Heat only insists on having one.
            auth_url='http://127.0.0.1/no-keystone',
            auth_token_info={
                'token': {'catalog': [{'type': 'identity', 'endpoints': []}]}
            },
        ),
        state_dir,
    )
