"""What ``stack create`` and ``stack update`` send to heat-api: the
template, the files it and its environments name, the environment and the
parameters, read as python-heatclient's commands read them.

The warm engine reads them for the command (the control API's
``stack-input``): it runs as the same user on the same machine, and has
heatclient's modules loaded already, which would cost every command a
twentieth of a second to import. Paths come already resolved against the
command's working directory (:func:`resolved`); parameter files stay
relative to the template, as heatclient takes them.
"""

import pathlib
import urllib.parse


def resolved(path, cwd):
    """``path`` as heatclient would resolve it in the command's working
    directory ``cwd``: an absolute path, or a URL as it is."""
    if path is None or urllib.parse.urlparse(path).scheme:
        return path
    return str(pathlib.Path(cwd, path).resolve())


def fields(
    template=None,
    environment=(),
    parameters=(),
    parameter_files=(),
    existing=False,
    hook=None,
    hooked=(),
):
    """The request body heatclient's create and update send, with the
    ``hook`` (pre-create, pre-update) set on the ``hooked`` resources."""
    from heatclient.common import template_utils
    from heatclient.common import utils as heat_utils

    template_files, template_body = template_utils.process_template_path(
        template, existing=existing
    )
    env_file_names = []
    env_files, env = template_utils.process_multiple_environments_and_files(
        env_paths=list(environment), env_list_tracker=env_file_names
    )
    body = {
        'parameters': heat_utils.format_all_parameters(
            list(parameters), list(parameter_files), template
        ),
        'template': template_body,
        'files': {**template_files, **env_files},
        'environment': env,
    }
    # heatclient reads files (and parameter files) as bytes, base64 where
    # not UTF-8, which its JSON encoder decodes; this body is sent as JSON.
    for part in ('parameters', 'files'):
        body[part] = {
            name: value.decode() if isinstance(value, bytes) else value
            for name, value in body[part].items()
        }
    if env_file_names:
        body['environment_files'] = env_file_names
    if hooked:
        template_utils.hooks_to_env(env, list(hooked), hook)
    return body
